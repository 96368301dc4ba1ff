// Which pods to move to the update revision now: the pure core of every rollout, whatever
// the policy (recreate, in place, hot-patch) and whichever API asked for it.

export interface PodState {
  name: string;
  /** The pod is on the update revision (label controller-revision-hash). */
  updated: boolean;
  available: boolean;
  terminating: boolean;
  /**
   * Held in service by a lifecycle hook before its update (PreparingUpdate): it stays selected,
   * so it updates once released, but costs no availability budget, so the rollout goes on
   * with the others meanwhile.
   */
  held?: boolean;
}

interface RolloutInput<P extends PodState> {
  pods: P[];
  replicas: number;
  /** How many pods stay on the old revision. */
  partition: number;
  /** Absolute number of pods that may be unavailable at once (at least 1 is enforced by callers). */
  maxUnavailable: number;
  /** Order among pods waiting for the update: earlier goes first. */
  order: (a: P, b: P) => number;
}

interface RolloutPlan<P extends PodState> {
  /** Pods to update in this pass. */
  update: P[];
  /** Pods that should be updated but wait for availability budget. */
  blocked: number;
  /** Pods still on the old revision that the partition allows to update (including `update`). */
  pending: number;
}

export function planRollout<P extends PodState>(input: RolloutInput<P>): RolloutPlan<P> {
  const live = input.pods.filter((p) => !p.terminating);
  const updatedCount = live.filter((p) => p.updated).length;
  const target = Math.max(0, Math.min(input.replicas, live.length) - Math.max(0, input.partition));
  const pending = Math.max(0, target - updatedCount);
  if (pending === 0) return { update: [], blocked: 0, pending: 0 };

  const missing = Math.max(0, input.replicas - live.length);
  // A terminating pod is counted once: as the missing replica it leaves behind.
  const unavailable = live.filter((p) => !p.available).length + missing;
  let budget = Math.max(0, input.maxUnavailable - unavailable);

  // The order alone decides which pods the partition keeps old; availability only decides when.
  const candidates = live.filter((p) => !p.updated).sort(input.order).slice(0, pending);
  const update: P[] = [];
  for (const pod of candidates) {
    // Updating a pod that is already unavailable costs no availability.
    if (!pod.available || pod.held) update.push(pod);
    else if (budget > 0) {
      update.push(pod);
      budget--;
    }
  }
  return { update, blocked: pending - update.length, pending };
}
