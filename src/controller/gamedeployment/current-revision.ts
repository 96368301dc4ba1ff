// status.currentRevision: the revision the GameDeployment makes the pods its partition keeps on
// the old revision from. As BCS's operator picks its current revision: the oldest revision
// (by revision number) a pod still runs, or the update revision once no pod runs another; hotpod
// keeps the one it reported while pods still run it, so that a newer old revision appearing (a
// second rollout before the first is done) does not switch the partition's pods. Pure.

export interface CurrentRevisionInput {
  updateRevision: string;
  /** status.currentRevision as last written. */
  previous?: string;
  /** The revision of each live pod. */
  podRevisions: readonly (string | undefined)[];
  /** The owner's ControllerRevision names, oldest revision number first. */
  order: readonly string[];
}

export function currentRevision(input: CurrentRevisionInput): string {
  const old = new Set(input.podRevisions.filter((r): r is string => !!r && r !== input.updateRevision));
  if (old.size === 0) return input.updateRevision;
  if (input.previous && old.has(input.previous)) return input.previous;
  return input.order.find((r) => old.has(r)) ?? [...old].sort()[0]!;
}
