// What a workload does for its pods' BCS hooks (the gate itself is pure: src/update/hook-gate.ts):
// start a pod's HookRun from the hook's HookTemplate, start a failed one over (`retry`), and
// delete the runs no pod needs any more. Runs are named and labelled as BCS names them, so a
// run started before a restart, or by a cache one write behind, is found again by name: a
// second create of the same run is an AlreadyExists, taken as started.

import { isAlreadyExists, isNotFound, type Informer, type KubeObject } from '../../kube/index.js';
import { hookRunLabels, hookRunName, POD_DELETING_ANNOTATION, type HookMoment, type HookStep, type RunLike } from '../../update/hook-gate.js';
import type { ApiWriter } from '../workload/api-writer.js';
import { invalidSpecMessage } from '../workload/invalid-spec.js';
import { validateHookTemplate, type HookTemplate } from '../../api/hooks.js';
import type { WorkloadOwner } from '../workload/owner.js';
import { hookRunFromTemplate, podArgs, type Arg } from './from-template.js';
import { HOOK_RUN_API_VERSION, HOOK_RUN_KIND } from './reconciler.js';

export const HOOK_TEMPLATE_KIND = 'HookTemplate';

/** The field that names each moment's hook, for messages. */
export const HOOK_FIELD: Record<HookMoment, string> = {
  preDelete: 'spec.preDeleteUpdateStrategy.hook',
  preInplace: 'spec.preInplaceUpdateStrategy.hook',
  postInplace: 'spec.postInplaceUpdateStrategy.hook',
};

/** A hook that cannot start (no such HookTemplate, an arg nothing fills): the pod waits, the workload says why. */
export class HookNotStarted extends Error {}

export interface PodHooksOptions {
  writer: ApiWriter;
  templates: Informer;
  hookRuns: Informer;
  /** The pod label that holds the pod's instance id (part of every run's name and labels). */
  instanceLabel: string;
}

export class PodHooks {
  constructor(private readonly o: PodHooksOptions) {}

  /** The runs the owner's controller reference is on (from the cache). */
  runsOf(owner: WorkloadOwner): KubeObject[] {
    return this.o.hookRuns.cache.byController(owner.metadata.uid).filter((r) => r.metadata?.namespace === owner.metadata.namespace);
  }

  /**
   * Starts the pod's run for the moment; true if it was created now (false: it existed). A
   * pre-delete or pre-inplace run also marks the pod (BCS's game-pod-deleting annotation).
   */
  async start(owner: WorkloadOwner, pod: KubeObject, moment: HookMoment, step: HookStep): Promise<boolean> {
    const run = this.runObject(owner, pod, moment, step);
    let created = true;
    try {
      await this.o.writer.create(run, { purpose: `hookRun.${moment}` });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      created = false;
    }
    if (moment !== 'postInplace' && pod.metadata?.annotations?.[POD_DELETING_ANNOTATION] !== 'true') {
      await this.o.writer
        .patch('v1', 'Pod', { namespace: pod.metadata!.namespace!, name: pod.metadata!.name! }, { metadata: { annotations: { [POD_DELETING_ANNOTATION]: 'true' } } }, { purpose: 'hookMark' })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
    return created;
  }

  /** Deletes runs (a failed one to retry, or ones no pod needs); gone already is fine. */
  async deleteRuns(runs: readonly RunLike[], namespace: string, purpose: string): Promise<void> {
    for (const r of runs) {
      await this.o.writer.delete(HOOK_RUN_API_VERSION, HOOK_RUN_KIND, { namespace, name: r.metadata!.name! }, undefined, { purpose }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  /** Starts a canary step's run (BCS: `canary-<revision>-<index>-<template>`, HostIP the controller's). */
  async startStep(owner: WorkloadOwner, name: string, labels: Record<string, string>, step: HookStep): Promise<boolean> {
    const args: Arg[] = [...(step.args ?? []), { name: 'HostIP', value: process.env.HOST_IP ?? '' }];
    const field = 'spec.updateStrategy.canary.steps[].hook';
    const run = fromTemplate({ template: this.template(owner, step, field), name, namespace: owner.metadata.namespace, labels, owner, args }, step, field);
    try {
      await this.o.writer.create(run, { purpose: 'hookRun.canaryStep' });
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  private runObject(owner: WorkloadOwner, pod: KubeObject, moment: HookMoment, step: HookStep): KubeObject {
    const template = this.template(owner, step, HOOK_FIELD[moment]);
    const args = [...(step.args ?? []), ...podArgs(pod)];
    const name = hookRunName(moment, pod, this.o.instanceLabel, step.templateName);
    return fromTemplate({ template, name, namespace: owner.metadata.namespace, labels: hookRunLabels(moment, pod, this.o.instanceLabel), owner, args }, step, HOOK_FIELD[moment]);
  }

  private template(owner: WorkloadOwner, step: HookStep, field: string): Record<string, any> {
    const t = this.o.templates.cache.get(`${owner.metadata.namespace}/${step.templateName}`);
    if (!t) throw new HookNotStarted(`${field}: HookTemplate "${step.templateName}" not found in namespace ${owner.metadata.namespace}`);
    // A cluster without hotpod's admission checks can hold a template no run can be made of.
    const causes = validateHookTemplate(t as unknown as HookTemplate);
    if (causes.length) throw new HookNotStarted(`${field}: HookTemplate "${step.templateName}" is invalid: ${invalidSpecMessage(causes)}`);
    return t;
  }
}

/** The run, or HookNotStarted naming the field when the template's args cannot be filled. */
function fromTemplate(r: Parameters<typeof hookRunFromTemplate>[0], step: HookStep, field: string): KubeObject {
  try {
    return hookRunFromTemplate(r) as KubeObject;
  } catch (err) {
    throw new HookNotStarted(`${field}: HookTemplate "${step.templateName}": ${(err as Error).message}`);
  }
}
