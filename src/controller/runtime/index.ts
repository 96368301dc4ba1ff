// The controller runtime: what hotpod's reconcilers are built on, above the client kit
// (src/kube): Controller (queue + workers), Manager (one client, one informer per resource,
// one event recorder, metrics, leader election), Expectations. See ../README.md.

export { enqueueObject, enqueueController, enqueueMapped, controllerKey, type OwnerKind, type KeySink } from './event-handlers.js';
export { Controller, type Reconciler, type ReconcileContext, type ReconcileResult, type ControllerOptions } from './controller.js';
export { Expectations, resourceVersionAtLeast, type ExpectationsOptions, type PendingExpectation } from './expectations.js';
export { realClock, FakeClock, type Clock } from '../../util/clock.js';
export { microTime } from '../../util/time.js';
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
