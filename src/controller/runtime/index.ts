// The controller runtime: what every hotpod reconciler is built on. Entry points:
// createClients (connection), InformerFactory (caches), Controller (queue + workers),
// Expectations, EventRecorder. See ../README.md.

export { createClients, loadKubeConfig, type ClientOptions, type Clients, type RequestObserver } from './client.js';
export { describeRequest, requestAttributes, type ApiRequest, type RequestAttributes, type ResourceAttributes, type NonResourceAttributes } from './request-attributes.js';
export {
  ObjectClient,
  KubeApiError,
  errorCode,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isExpired,
  MERGE_PATCH,
  JSON_PATCH,
  STRATEGIC_MERGE_PATCH,
  type ListOptions,
  type ObjectList,
  type StatusBody,
} from './object-client.js';
export { Informer, type InformerOptions, type InformerSpec, type InformerStats, type ResourceEventHandler } from './informer.js';
export { InformerFactory } from './informer-factory.js';
export { IndexedCache, NAMESPACE_INDEX, CONTROLLER_INDEX, OWNER_INDEX, LABEL_INDEX, type IndexFunc } from './indexed-cache.js';
export { matchesSelector, type LabelSelector, type LabelSelectorRequirement } from './label-selector.js';
export { enqueueObject, enqueueController, enqueueMapped, controllerKey, type OwnerKind, type KeySink } from './event-handlers.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export {
  TokenBucket,
  ItemExponentialRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './rate-limit.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { Controller, type Reconciler, type ReconcileContext, type ReconcileResult, type ControllerOptions } from './controller.js';
export { Expectations, resourceVersionAtLeast, type ExpectationsOptions, type PendingExpectation } from './expectations.js';
export { EventRecorder, type EventRecorderOptions, type EventType } from './event-recorder.js';
export { realClock, FakeClock, type Clock } from '../../util/clock.js';
export { microTime } from '../../util/time.js';
export {
  keyString,
  parseKey,
  keyOf,
  objectKeyString,
  controllerRef,
  groupOf,
  describeObject,
  type KubeObject,
  type ObjectKey,
  type ObjectMeta,
  type OwnerReference,
} from './objects.js';
export { Manager, type ManagerOptions } from './manager.js';
export { ControllerMetrics, type PodUpdatePolicy, type WorkloadSource } from './metrics.js';
export {
  LeaderElector,
  decideLease,
  releasedLease,
  defaultIdentity,
  validateLeaderElection,
  LEASE_API_VERSION,
  LEASE_KIND,
  type LeaderElectionConfig,
  type LeaseSpec,
  type LeaseDecision,
} from './leader-election.js';
export { serveHttp, parseBindAddress, type HttpEndpoint } from './http-endpoints.js';
