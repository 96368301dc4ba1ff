// One pass of a GameDeployment's pods, decided without I/O: which named pods to delete, how many
// pods to create (and of which revision), which pods to delete to scale down or to replace them
// (RollingUpdate), and which to update in place or by hot-patch (through src/update's
// planRollout). The reconciler carries the plan out.
//
// Invariants, at every moment, counting pods that are not terminating:
// - at most replicas + maxSurge pods exist (surge only while old pods wait for replacement);
// - a RollingUpdate or in-place step never leaves fewer than replicas − maxUnavailable pods
//   available (pods that are unavailable already may go at no cost);
// - `partition` pods (clamped to replicas) stay on the old revision.

import { planRollout } from '../../update/rollout-plan.js';
import { scaledValue } from '../../update/availability.js';
import { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from '../../api/gamedeployment.js';
import { burst } from '../workload/burst.js';
import { choosePodsToDelete, compareForUpdate, type CostSortMethod } from './ordering.js';

type Json = Record<string, any>;

export type UpdateType = 'OnDelete' | 'RollingUpdate' | 'InplaceUpdate' | 'HotPatchUpdate';

export interface PlanPod {
  pod: Json;
  name: string;
  /** On the update revision. */
  updated: boolean;
  /** Counts as available for the budget (ready, past minReadySeconds, no update in flight). */
  available: boolean;
  /**
   * Its update may not disrupt it yet (an Allocated server, allocation-gate.ts): RollingUpdate
   * does not replace it, in place it stays selected but costs no budget (the engine holds it).
   */
  held?: boolean;
  /** Allocated, with allocated-update Wait: a scale-down takes it last. */
  allocated?: boolean;
  /** Its node's io.tencent.bcs.dev/node-deletion-cost (scale-down order). */
  nodeCost?: number;
  /** Not running with its containers ready yet: counts against scaleStrategy.createBatch. */
  starting?: boolean;
}

export interface PlanInput {
  /** Pods of the GameDeployment that are not terminating. */
  pods: PlanPod[];
  replicas: number;
  /** Effective partition (canary step or spec), already an absolute number. */
  partition: number;
  maxUnavailable: number;
  maxSurge: number;
  type: UpdateType;
  /** spec.updateStrategy.paused: no pod is updated, scaling goes on. */
  paused: boolean;
  podsToDelete?: readonly string[];
  /** Whether pods of the old revision can still be created (its template is known). */
  canCreateOld: boolean;
  /** The pods' deletion costs in a scale-down: lower first (ascend, the default) or higher first. */
  costSortMethod?: CostSortMethod;
  /** scaleStrategy.createBatch as a number: at most this many pods starting at once (none: no limit). */
  createBatch?: number;
}

export interface Plan {
  /** Named in podsToDelete: deleted whatever the budget. */
  deleteNamed: PlanPod[];
  /** Scale-down victims, at most BURST_REPLICAS. */
  deleteExcess: PlanPod[];
  /** Old pods replaced by RollingUpdate (deleted now, recreated at the update revision). */
  deleteForUpdate: PlanPod[];
  /** Pods to create; with createOld at most BURST_REPLICAS, the rest in later passes. */
  createUpdated: number;
  createOld: number;
  /** InplaceUpdate / HotPatchUpdate: pods to move to the update revision now. */
  updateInPlace: PlanPod[];
  /** Pods that should be updated but wait for the availability budget. */
  blocked: number;
  /** RollingUpdate: old pods not replaced because they are held (PlanPod.held). */
  held: PlanPod[];
}

/**
 * maxUnavailable and maxSurge as absolute numbers (BCS's rules): maxSurge rounds up; maxUnavailable
 * rounds up, or down when maxSurge > 0; with both 0, one pod may be unavailable so that a rollout
 * can move at all. maxSurge applies to RollingUpdate only: BCS's operator would create surge pods
 * for every type, but its own guide advises maxSurge for RollingUpdate only, and in-place and
 * hot-patch updates exist to keep the pods (with the 25% default every in-place rollout would
 * otherwise start and stop extra servers).
 */
export function rolloutBudget(
  replicas: number,
  maxUnavailable: number | string | undefined,
  maxSurge: number | string | undefined,
  type: UpdateType,
): { maxUnavailable: number; maxSurge: number } {
  const surge = type === 'RollingUpdate' ? scaledValue(maxSurge ?? DEFAULT_MAX_SURGE, replicas, true, 0) : 0;
  let unavailable = scaledValue(maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, surge === 0, 0);
  if (unavailable === 0 && surge === 0) unavailable = 1;
  return { maxUnavailable: unavailable, maxSurge: surge };
}

/**
 * scaleStrategy.createBatch as a number of pods: a percentage of replicas, rounded up, at least 1.
 * A batch of replicas or more (the 100% default) sets no limit.
 */
export function createBatchSize(replicas: number, createBatch: number | string | undefined): number | undefined {
  const n = Math.max(1, scaledValue(createBatch ?? '100%', replicas, true, replicas));
  return n >= replicas ? undefined : n;
}

/** How many pods may be created now: a batch starts once the pods of the batch before have started. */
function batchRoom(batch: number | undefined, replicas: number, pods: readonly PlanPod[]): number {
  if (batch === undefined) return replicas + pods.length;
  return Math.max(0, batch - pods.filter((p) => p.starting).length);
}

export function planPods(input: PlanInput): Plan {
  const R = Math.max(0, input.replicas);
  const P = Math.min(Math.max(0, input.partition), R);
  const named = new Set(input.podsToDelete ?? []);
  const plan: Plan = { deleteNamed: [], deleteExcess: [], deleteForUpdate: [], createUpdated: 0, createOld: 0, updateInPlace: [], blocked: 0, held: [] };

  plan.deleteNamed = input.pods.filter((p) => named.has(p.name));
  const rest = input.pods.filter((p) => !named.has(p.name));
  const old = rest.filter((p) => !p.updated).sort((a, b) => compareForUpdate(a.pod, b.pod));
  const needReplace = Math.max(0, old.length - P);
  const rolling = input.type === 'RollingUpdate' && !input.paused;
  const surge = rolling ? Math.min(input.maxSurge, needReplace) : 0;

  // Too many pods: scale down first and leave updates for the next pass.
  const excess = burst(rest.length - R - surge);
  if (excess > 0) {
    const byName = new Map(rest.map((p) => [p.pod, p]));
    const chosen = choosePodsToDelete(
      rest.map((p) => p.pod),
      excess,
      {
        partition: P,
        updateRevision: 'updated',
        revisionOf: (pod) => (byName.get(pod)!.updated ? 'updated' : 'old'),
        allocated: (pod) => byName.get(pod)!.allocated === true,
        costSortMethod: input.costSortMethod,
        nodeCost: (pod) => byName.get(pod)!.nodeCost,
      },
    );
    plan.deleteExcess = chosen.map((pod) => byName.get(pod)!);
    return plan;
  }

  // Too few: create, at the old revision only as far as the partition is short of old pods.
  const missing = Math.min(burst(R + surge - rest.length), batchRoom(input.createBatch, R, rest));
  if (missing > 0) {
    plan.createOld = input.canCreateOld ? Math.min(missing, Math.max(0, P - old.length)) : 0;
    plan.createUpdated = missing - plan.createOld;
  }
  // OnDelete: pods move to the update revision only by being deleted (by hand) and made again.
  if (input.paused || input.type === 'OnDelete') return plan;

  if (rolling) {
    let budget = rest.filter((p) => p.available).length - (R - input.maxUnavailable);
    for (const p of old.slice(0, needReplace)) {
      if (p.held) plan.held.push(p);
      else if (!p.available) plan.deleteForUpdate.push(p);
      else if (budget > 0) {
        plan.deleteForUpdate.push(p);
        budget--;
      } else plan.blocked++;
    }
    return plan;
  }

  const rollout = planRollout({
    pods: rest.map((p) => ({ ...p, terminating: false })),
    replicas: R,
    partition: P,
    maxUnavailable: input.maxUnavailable,
    order: (a, b) => compareForUpdate(a.pod, b.pod),
  });
  const byName = new Map(rest.map((p) => [p.name, p]));
  plan.updateInPlace = rollout.update.map((p) => byName.get(p.name)!);
  plan.blocked = rollout.blocked;
  return plan;
}
