// How much one reconcile of a workload may change: the ReplicaSet controller's burstReplicas.
// A set asking for 2^31 replicas then costs 500 pods per pass (each pass started by the events
// of the last one's pods), and no planner ever holds a list as long as `replicas`.

/** Pods (and GameServers) one reconcile of a set creates or deletes to scale, at most. */
export const BURST_REPLICAS = 500;

/** `wanted` changes bounded by BURST_REPLICAS (and by `limit`, when given), never negative. */
export function burst(wanted: number, limit?: number): number {
  const capped = Math.min(Math.max(0, wanted), BURST_REPLICAS);
  return limit === undefined ? capped : Math.min(capped, Math.max(0, limit));
}
