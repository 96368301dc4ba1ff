// A GameDeployment's status from its pods: BCS's counters and fields, computed without I/O.
//
// UPDATED counts pods on the update revision (the revision label), as BCS does. UPDATED_READY
// goes further than BCS, which counts a hot-patched pod as soon as its label changes: a pod
// counts only once the node reports what the update asked for — for a hot-patch, the new image
// running in the same container (countPods of the shared workload layer, through checkCompletion).

import { countPods } from '../workload/index.js';
import { labelSelectorString, type LabelSelector } from '../../util/label-selector.js';
import type { CanaryState } from './canary.js';
import type { HookCondition } from '../../update/hook-gate.js';

type Json = Record<string, any>;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface StatusInput {
  generation: number | undefined;
  selector: LabelSelector;
  /** Every pod the GameDeployment owns (terminating ones are left out of the counts). */
  pods: readonly Json[];
  updateRevision: string;
  currentRevision: string;
  minReadySeconds: number;
  now: number;
  collisionCount?: number;
  canary: CanaryState;
  conditions: Condition[];
  /** The pods whose pre-delete, pre-inplace and post-inplace runs have no Successful verdict. */
  hooks?: { preDelete: HookCondition[]; preInplace: HookCondition[]; postInplace: HookCondition[] };
}

export function computeStatus(input: StatusInput): Json {
  const counts = countPods([...input.pods], { updateRevision: input.updateRevision, minReadySeconds: input.minReadySeconds, now: input.now });
  const status: Json = {
    observedGeneration: input.generation,
    replicas: counts.replicas,
    readyReplicas: counts.ready,
    availableReplicas: counts.available,
    updatedReplicas: counts.updated,
    updatedReadyReplicas: counts.updatedReady,
    currentRevision: input.currentRevision,
    updateRevision: input.updateRevision,
    collisionCount: input.collisionCount ?? 0,
    labelSelector: labelSelectorString(input.selector),
  };
  if (input.conditions.length) status.conditions = input.conditions;
  if (input.canary.pauseConditions?.length) status.pauseConditions = input.canary.pauseConditions;
  if (input.canary.currentStepIndex !== undefined) status.currentStepIndex = input.canary.currentStepIndex;
  if (input.canary.currentStepHash) status.currentStepHash = input.canary.currentStepHash;
  const canary = Object.fromEntries(Object.entries(input.canary.canary ?? {}).filter(([, v]) => v !== undefined && v !== ''));
  if (Object.keys(canary).length) status.canary = canary;
  if (input.hooks?.preDelete.length) status.preDeleteHookCondition = input.hooks.preDelete;
  if (input.hooks?.preInplace.length) status.preInplaceHookCondition = input.hooks.preInplace;
  if (input.hooks?.postInplace.length) status.postInplaceHookCondition = input.hooks.postInplace;
  return status;
}

/**
 * Sets (or with status undefined, removes) one condition, keeping lastTransitionTime when the
 * status does not change, as Kubernetes' SetStatusCondition.
 */
export function setCondition(conditions: readonly Condition[], type: string, next: Omit<Condition, 'type' | 'lastTransitionTime'> | undefined, now: string): Condition[] {
  const rest = conditions.filter((c) => c.type !== type);
  if (!next) return rest;
  const prev = conditions.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === next.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  return [...rest, { type, ...next, lastTransitionTime }];
}
