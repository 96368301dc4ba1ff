// BlueKing BCS's pod hooks (`preDeleteUpdateStrategy`, `preInplaceUpdateStrategy`,
// `postInplaceUpdateStrategy` of a GameDeployment) as a pure gate. Before a pod is deleted or
// updated, the workload runs a HookRun made from the hook's HookTemplate for that pod and
// moment; the pod goes only once the run is Successful. The run is found again by its labels
// (moment, the pod's revision, the pod's instance id), so a controller that restarts finds the
// run it started and never starts a second: the state lives in the cluster, not in memory.
//
// As BCS: a pod that is not Running has nothing to ask and goes at once; a run that failed keeps
// the pod where it is until `retry` (delete the finished run, a new one starts) or a person acts.

import { REVISION_LABEL } from './in-place.js';

export type HookMoment = 'preDelete' | 'preInplace' | 'postInplace';

export interface HookStep {
  templateName: string;
  args?: { name: string; value: string }[];
}

/** BCS's labels on the HookRuns of a pod (bcs-hook's commonhookutil). */
export const HOOK_RUN_TYPE_LABEL = 'hookrun-type';
export const HOOK_RUN_REVISION_LABEL = 'workload-revision';
export const HOOK_RUN_INSTANCE_LABEL = 'instance-id';
export const HOOK_RUN_TYPE: Record<HookMoment, string> = {
  preDelete: 'pre-delete-step',
  preInplace: 'pre-inplace-step',
  postInplace: 'post-inplace-step',
};
/** A canary step's run: its type, and the label with the step's index (BCS's StepLabels). */
export const HOOK_RUN_CANARY_STEP = 'canary-step';
export const HOOK_RUN_STEP_INDEX_LABEL = 'canary-step-index';
/** The first word of a run's name, as BCS names them: `predelete-<revision>-<instance>-<template>`. */
const NAME_PREFIX: Record<HookMoment, string> = { preDelete: 'predelete', preInplace: 'preinplace', postInplace: 'postinplace' };
/** BCS marks a pod whose pre-delete or pre-inplace run has started (the game may read it). */
export const POD_DELETING_ANNOTATION = 'io.tencent.bcs.dev/game-pod-deleting';

interface PodLike {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { phase?: string };
}

export interface RunLike {
  metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  status?: { phase?: string };
}

export type HookGate =
  | { kind: 'open' }
  /** No run yet for this pod and moment: start one (then wait). */
  | { kind: 'start'; moment: HookMoment; step: HookStep }
  /** The run is not Successful (yet): the pod waits. `retry`: the run failed and is to be deleted so that a new one starts. */
  | { kind: 'wait'; moment: HookMoment; run: string; phase: string; retry: boolean };

export function hookRunLabels(moment: HookMoment, pod: PodLike, instanceLabel: string): Record<string, string> {
  const labels = pod.metadata?.labels ?? {};
  return {
    [HOOK_RUN_TYPE_LABEL]: HOOK_RUN_TYPE[moment],
    [HOOK_RUN_REVISION_LABEL]: labels[REVISION_LABEL] ?? '',
    [HOOK_RUN_INSTANCE_LABEL]: labels[instanceLabel] ?? '',
  };
}

export function hookRunName(moment: HookMoment, pod: PodLike, instanceLabel: string, templateName: string): string {
  const labels = pod.metadata?.labels ?? {};
  return [NAME_PREFIX[moment], labels[REVISION_LABEL] ?? '', labels[instanceLabel] ?? '', templateName].join('-');
}

/** The pod's run for the moment (at its current revision), if there is one. */
export function runFor(moment: HookMoment, pod: PodLike, instanceLabel: string, runs: readonly RunLike[]): RunLike | undefined {
  const want = hookRunLabels(moment, pod, instanceLabel);
  return runs.find((r) => !r.metadata?.deletionTimestamp && Object.entries(want).every(([k, v]) => r.metadata?.labels?.[k] === v));
}

export const COMPLETED_PHASES = new Set(['Successful', 'Failed', 'Error', 'Inconclusive']);

/**
 * May the pod be deleted (preDelete) or updated (preInplace) now? `retry`: the strategy's
 * `retry`, which starts a failed run over instead of leaving the pod for a person.
 */
export function hookGate(moment: HookMoment, strategy: { hook?: HookStep; retry?: boolean } | undefined, pod: PodLike, instanceLabel: string, runs: readonly RunLike[]): HookGate {
  const step = strategy?.hook;
  if (!step?.templateName) return { kind: 'open' };
  if (pod.status?.phase !== 'Running') return { kind: 'open' };
  const run = runFor(moment, pod, instanceLabel, runs);
  if (!run) return { kind: 'start', moment, step };
  const phase = run.status?.phase || 'Pending';
  if (phase === 'Successful') return { kind: 'open' };
  return { kind: 'wait', moment, run: run.metadata?.name ?? '', phase, retry: strategy?.retry === true && COMPLETED_PHASES.has(phase) };
}

/** One entry of status.preDeleteHookCondition (and the pre/post in-place lists), as BCS writes them. */
export interface HookCondition {
  podName: string;
  startTime: string;
  phase: string;
}

/**
 * The status list for one moment: every live pod whose run for that moment exists and is not
 * Successful (BCS drops an entry once its run succeeds), sorted by pod name.
 */
export function hookConditions(moment: HookMoment, pods: readonly PodLike[], instanceLabel: string, runs: readonly RunLike[]): HookCondition[] {
  const out: HookCondition[] = [];
  for (const pod of pods) {
    const run = runFor(moment, pod, instanceLabel, runs);
    if (!run) continue;
    const phase = run.status?.phase || 'Pending';
    if (phase === 'Successful') continue;
    out.push({ podName: pod.metadata?.name ?? '', startTime: run.metadata?.creationTimestamp ?? '', phase });
  }
  return out.sort((a, b) => (a.podName < b.podName ? -1 : a.podName > b.podName ? 1 : 0));
}

/**
 * Runs no pod needs any more (BCS truncates them): a pre-delete or pre-inplace run whose pod is
 * gone or has moved to another revision; a post-inplace run likewise.
 */
export function runsToPrune(pods: readonly PodLike[], instanceLabel: string, runs: readonly RunLike[]): RunLike[] {
  const current = new Set(pods.map((p) => `${p.metadata?.labels?.[REVISION_LABEL] ?? ''}/${p.metadata?.labels?.[instanceLabel] ?? ''}`));
  const podTypes = new Set(Object.values(HOOK_RUN_TYPE));
  return runs.filter((r) => {
    const labels = r.metadata?.labels ?? {};
    if (!podTypes.has(labels[HOOK_RUN_TYPE_LABEL] ?? '') || r.metadata?.deletionTimestamp) return false;
    return !current.has(`${labels[HOOK_RUN_REVISION_LABEL] ?? ''}/${labels[HOOK_RUN_INSTANCE_LABEL] ?? ''}`);
  });
}

/**
 * The pod finished an in-place or hot-patch update to the revision it now has and is back in
 * service: its post-inplace run is due (once per revision: the run, kept, says it was started).
 */
export function postInplaceDue(pod: PodLike & { metadata?: { annotations?: Record<string, string> } }, updateStateRevision: string | undefined, updating: boolean): boolean {
  return !updating && updateStateRevision !== undefined && updateStateRevision === pod.metadata?.labels?.[REVISION_LABEL];
}
