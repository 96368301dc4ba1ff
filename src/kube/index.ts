// The Kubernetes client kit every part of hotpod is built on: the controller, the scheduler and
// node agents, the CLI and the benches. One client (KubeClient: kubeconfig, kept-alive JSON over
// HTTPS, paged lists, watches, typed errors), one informer with its indexed cache, one work queue
// with client-go's rate limiters, one event recorder with client-go's correlation. See README.md.

export { KubeClient, loadKubeConfig, apiVersionPath, MERGE_PATCH, JSON_PATCH, STRATEGIC_MERGE_PATCH, type ExecResult } from './client.js';
export type { KubeClientOptions, RequestOptions, ListOptions, ObjectList, ResourceInfo, RequestObserver } from './client.js';
export { KubeApiError, errorCode, isNotFound, isConflict, isAlreadyExists, isExpired, type StatusBody } from './errors.js';
export { describeRequest, requestAttributes, type ApiRequest, type RequestAttributes, type ResourceAttributes, type NonResourceAttributes } from './request-attributes.js';
export { Informer, type InformerOptions, type InformerSpec, type InformerStats, type ResourceEventHandler } from './informer.js';
export { InformerFactory, type FactoryDefaults } from './informer-factory.js';
export { IndexedCache, NAMESPACE_INDEX, CONTROLLER_INDEX, OWNER_INDEX, LABEL_INDEX, type IndexFunc } from './indexed-cache.js';
export { WorkQueue, processQueue, type WorkQueueOptions } from './work-queue.js';
export { ItemExponentialRateLimiter, BucketRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter, type RateLimiter } from './rate-limit.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { EventRecorder, eventNanos, containerField, type EventRecorderOptions, type EventType, type EventDetail } from './event-recorder.js';
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
