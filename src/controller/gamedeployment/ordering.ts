// Which pods go first, as BCS orders them: in an update, pods that serve nobody yet
// (unscheduled, pending, not ready) before serving ones, then the lower
// `io.tencent.bcs.dev/pod-deletion-cost` first; in a scale-down, the pods named in
// scaleStrategy.podsToDelete first, then the same "least useful first" order. Pure functions
// over pods as JSON.

import { podIsReady } from '../../update/availability.js';
import { DELETION_COST_ANNOTATION } from './names.js';

type Json = Record<string, any>;

/** 0 unscheduled, 1 scheduled but not running, 2 running but not ready, 3 ready. */
export function readinessRank(pod: Json): number {
  const scheduledCond = ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === 'PodScheduled');
  if (!pod.spec?.nodeName || scheduledCond?.status === 'False') return 0;
  if (pod.status?.phase !== 'Running') return 1;
  if (!podIsReady(pod)) return 2;
  return 3;
}

/** The pod's deletion cost (an int32 in the annotation; anything else counts as 0). */
export function deletionCost(pod: Json): number {
  const raw = pod.metadata?.annotations?.[DELETION_COST_ANNOTATION];
  if (raw === undefined) return 0;
  const n = Number(String(raw).trim());
  return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function created(pod: Json): number {
  const t = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return Number.isFinite(t) ? t : 0;
}

function byName(a: Json, b: Json): number {
  const x = String(a.metadata?.name ?? '');
  const y = String(b.metadata?.name ?? '');
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Order of pods waiting for the update revision: unscheduled, then pending, then not ready, then
 * ready; within a rank the lower deletion cost first; then the newer pod (it has served less),
 * then by name so that the order is stable.
 */
export function compareForUpdate(a: Json, b: Json): number {
  return readinessRank(a) - readinessRank(b) || deletionCost(a) - deletionCost(b) || created(b) - created(a) || byName(a, b);
}

interface ScaleDownOptions {
  /** spec.scaleStrategy.podsToDelete */
  podsToDelete?: readonly string[];
  /** Pods on the update revision are kept over old ones while more old pods than this remain. */
  partition: number;
  updateRevision: string;
  revisionOf: (pod: Json) => string | undefined;
  /** Servers with players (allocated-update Wait): removed only when nothing else can be. */
  allocated?: (pod: Json) => boolean;
}

/**
 * The `count` pods to remove when scaling down: named ones first, then the old revision while
 * more old pods are left than the partition keeps (so that a scale-down moves towards the
 * rollout's target instead of away from it), then unscheduled/pending/unready, then the lower
 * deletion cost, then the newer pod; Allocated servers (when they are to be kept) last.
 */
export function choosePodsToDelete(pods: readonly Json[], count: number, o: ScaleDownOptions): Json[] {
  if (count <= 0) return [];
  const named = new Set(o.podsToDelete ?? []);
  const isOld = (p: Json) => o.revisionOf(p) !== o.updateRevision;
  const oldCount = pods.filter(isOld).length;
  const preferOld = oldCount > o.partition;
  const preferUpdated = oldCount < o.partition;
  const rank = (p: Json): number => {
    if (named.has(p.metadata?.name)) return 0;
    if (o.allocated?.(p)) return 3;
    if (preferOld) return isOld(p) ? 1 : 2;
    if (preferUpdated) return isOld(p) ? 2 : 1;
    return 1;
  };
  const sorted = [...pods].sort((a, b) => rank(a) - rank(b) || compareForUpdate(a, b));
  return sorted.slice(0, count);
}
