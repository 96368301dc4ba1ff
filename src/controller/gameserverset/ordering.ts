// The two orders of a GameServerSet, as OpenKruiseGame defines them: which servers go first on
// scale-down, and which are updated first in a rollout.

export interface ServerRank {
  ordinal: number;
  opsState: string;
  deletionPriority: number;
  updatePriority: number;
  /** marked PreparingDelete by a scale-down its preDelete hook holds: it stays first to go */
  preparingDelete?: boolean;
}

/** opsState weight on scale-down: higher is removed first (OKG's opsStateDeletePrority). */
const DELETE_WEIGHT: Record<string, number> = { Kill: 100, WaitToBeDeleted: 1, None: 0, Allocated: -1, Maintaining: -2 };

function deleteWeight(opsState: string, allocatedLast: boolean): number {
  // hotpod.dev/allocated-update: Wait: players' servers go only when nothing else can.
  if (allocatedLast && opsState === 'Allocated') return -3;
  return DELETE_WEIGHT[opsState] ?? 0;
}

/**
 * Scale-down: servers already PreparingDelete (so a held scale-down keeps its choice), then
 * opsState (Kill > WaitToBeDeleted > None > Allocated > Maintaining), then higher
 * deletionPriority, then higher ordinal. Reserved ids go before all of these, but they are not
 * a ranking: planScale removes them whatever the count. `allocatedLast` (allocated-update Wait):
 * Allocated after Maintaining too.
 */
export function scaleDownOrder(a: ServerRank, b: ServerRank, allocatedLast = false): number {
  return (
    Number(b.preparingDelete ?? false) - Number(a.preparingDelete ?? false) ||
    deleteWeight(b.opsState, allocatedLast) - deleteWeight(a.opsState, allocatedLast) ||
    b.deletionPriority - a.deletionPriority ||
    b.ordinal - a.ordinal
  );
}

/** Rollout: higher updatePriority first, then higher ordinal. */
export function updateOrder(a: ServerRank, b: ServerRank): number {
  return b.updatePriority - a.updatePriority || b.ordinal - a.ordinal;
}
