// Creating a workload's pod: the create awaited in the owner's expectations (so the next pass
// does not create it again before the cache shows it), and its Event. The pod itself comes from
// podFromTemplate; its name is the workload's choice.

import { type Expectations } from '../runtime/index.js';
import { isAlreadyExists, type EventRecorder, type KubeObject } from '../../kube/index.js';
import type { ApiWriter } from './api-writer.js';
import { ownerKey, type WorkloadOwner } from './owner.js';

export interface PodCreatorOptions {
  writer: ApiWriter;
  /** Expectations over the pod cache, keyed by owner (the PodUpdater's). */
  expectations: Expectations;
  recorder: EventRecorder;
  /**
   * A name held by a pod this owner does not see: `retry` when names are random (the next pass
   * picks another; no Event, no error), `fail` when the name is the pod's own (an ordinal).
   */
  nameTaken: 'retry' | 'fail';
  /** The Events' texts, in the workload API's own words. */
  created: (owner: WorkloadOwner, pod: string) => string;
  failed: (owner: WorkloadOwner, pod: string, why: string) => string;
}

export class PodCreator {
  constructor(private readonly o: PodCreatorOptions) {}

  /** The pod as created; undefined when the name was taken and `nameTaken` is `retry`. */
  async create(owner: WorkloadOwner, pod: KubeObject): Promise<KubeObject | undefined> {
    const key = ownerKey(owner);
    const child = { namespace: owner.metadata.namespace, name: pod.metadata!.name! };
    this.o.expectations.expectCreate(key, child);
    let created: KubeObject;
    try {
      created = await this.o.writer.create(pod);
    } catch (err) {
      this.o.expectations.cancel(key, child, 'create');
      const taken = isAlreadyExists(err);
      if (taken && this.o.nameTaken === 'retry') return;
      const why = taken ? `a pod of that name exists and is not controlled by this ${owner.kind}` : (err as Error).message;
      this.o.recorder.event(owner, 'Warning', 'FailedCreate', this.o.failed(owner, child.name, why));
      throw new Error(`pod ${child.namespace}/${child.name}: create failed: ${why}`, { cause: err });
    }
    this.o.recorder.event(owner, 'Normal', 'SuccessfulCreate', this.o.created(owner, child.name));
    return created;
  }
}
