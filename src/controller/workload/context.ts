// What every workload controller of one process shares, on top of the runtime's Manager (one
// connection, one informer per resource, one event recorder): the pod and ControllerRevision
// informers (GameServerSet and GameDeployment read the same pods: one list, one watch, one
// cache) and one write counter.

import type { Logger } from 'pino';
import type { Clients, EventRecorder, Informer, InformerFactory, Manager } from '../runtime/index.js';
import { ApiWriter } from './api-writer.js';
import { REVISION_API_VERSION, REVISION_KIND } from './revisions.js';

export interface WorkloadContextOptions {
  manager: Manager;
  /** Parallel reconciles per controller (different keys). Default 4. */
  workers?: number;
}

export interface WorkloadContext {
  manager: Manager;
  clients: Clients;
  factory: InformerFactory;
  writer: ApiWriter;
  recorder: EventRecorder;
  logger: Logger;
  workers: number;
  /** Every pod of the cluster (all namespaces). */
  pods: Informer;
  /** Every ControllerRevision of the cluster (all namespaces). */
  revisions: Informer;
}

export function createWorkloadContext(opts: WorkloadContextOptions): WorkloadContext {
  const m = opts.manager;
  return {
    manager: m,
    clients: m.clients,
    factory: m.informers,
    writer: new ApiWriter(m.clients.objects),
    recorder: m.recorder,
    logger: m.log,
    workers: opts.workers ?? 4,
    pods: m.informers.informerFor({ apiVersion: 'v1', kind: 'Pod' }),
    revisions: m.informers.informerFor({ apiVersion: REVISION_API_VERSION, kind: REVISION_KIND }),
  };
}
