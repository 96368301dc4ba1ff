// What every workload controller of one process shares, on top of the runtime's Manager (one
// connection, one informer per resource, one event recorder): the pod and ControllerRevision
// informers (GameServerSet and GameDeployment read the same pods: one list, one watch, one
// cache) and one write counter.

import type { Logger } from 'pino';
import type { Manager } from '../runtime/index.js';
import type { KubeClient, EventRecorder, Informer, InformerFactory } from '../../kube/index.js';
import { ApiWriter } from './api-writer.js';
import { REVISION_API_VERSION, REVISION_KIND } from './revisions.js';
import { REVISION_LABEL } from '../../update/in-place.js';

/**
 * Every pod a workload creates carries its revision label (podFromTemplate), and most pods of a
 * real cluster (Deployments', Jobs', bare ones) carry none: watching only those keeps the cache
 * to the pods that can be ours, without relabelling pods made by an earlier version.
 */
const POD_SELECTOR = REVISION_LABEL;

export interface WorkloadContextOptions {
  manager: Manager;
  /** Parallel reconciles per controller (different keys). Default 4. */
  workers?: number;
}

export interface WorkloadContext {
  manager: Manager;
  client: KubeClient;
  factory: InformerFactory;
  writer: ApiWriter;
  recorder: EventRecorder;
  logger: Logger;
  workers: number;
  /** The pods hotpod made, in every namespace (those with the revision label, see POD_SELECTOR). */
  pods: Informer;
  /** Every ControllerRevision of the cluster (all namespaces). */
  revisions: Informer;
}

export function createWorkloadContext(opts: WorkloadContextOptions): WorkloadContext {
  const m = opts.manager;
  return {
    manager: m,
    client: m.client,
    factory: m.informers,
    writer: new ApiWriter(m.client),
    recorder: m.recorder,
    logger: m.log,
    workers: opts.workers ?? 4,
    pods: m.informers.informerFor({ apiVersion: 'v1', kind: 'Pod', labelSelector: POD_SELECTOR }),
    revisions: m.informers.informerFor({ apiVersion: REVISION_API_VERSION, kind: REVISION_KIND }),
  };
}
