// Which pods go first, as BCS orders them. Updates: pods that serve nobody yet (unscheduled,
// pending, not ready) before serving ones, then the newer pod (Kubernetes' ActivePods order);
// deletion costs play no part. Scale-down: the pods named in scaleStrategy.podsToDelete, then
// old pods while more are left than the partition keeps, then BCS's deletion costs — the node's
// `io.tencent.bcs.dev/node-deletion-cost` (lower first), then the pod's
// `controller.kubernetes.io/pod-deletion-cost` (lower first, or higher first with the
// GameDeployment's `io.tencent.bcs.dev/pod-deletion-cost-sort-method: descend`), a pod or node
// without a cost after every one with — and then the update order. Pure functions over pods as JSON.

import { podIsReady } from '../../update/availability.js';
import { COST_SORT_DESCEND, COST_SORT_METHOD_ANNOTATION, NODE_DELETION_COST_ANNOTATION, POD_DELETION_COST_ANNOTATION } from './names.js';

type Json = Record<string, any>;

export type CostSortMethod = 'ascend' | 'descend';

/** 0 unscheduled, 1 scheduled but not running, 2 running but not ready, 3 ready. */
export function readinessRank(pod: Json): number {
  const scheduledCond = ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === 'PodScheduled');
  if (!pod.spec?.nodeName || scheduledCond?.status === 'False') return 0;
  if (pod.status?.phase !== 'Running') return 1;
  if (!podIsReady(pod)) return 2;
  return 3;
}

/** The sort method the GameDeployment's annotation asks for; anything but `descend` is BCS's default, ascend. */
export function costSortMethod(annotations: Record<string, string> | undefined): CostSortMethod {
  return annotations?.[COST_SORT_METHOD_ANNOTATION] === COST_SORT_DESCEND ? 'descend' : 'ascend';
}

/** A cost annotation as BCS reads it (a float); missing or unreadable: no cost. */
export function costValue(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : undefined;
}

export const podDeletionCost = (pod: Json): number | undefined => costValue(pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION]);
export const nodeDeletionCost = (node: Json | undefined): number | undefined => costValue(node?.metadata?.annotations?.[NODE_DELETION_COST_ANNOTATION]);

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
 * ready; within a rank the newer pod (it has served less), then by name so that the order is stable.
 */
export function compareForUpdate(a: Json, b: Json): number {
  return readinessRank(a) - readinessRank(b) || created(b) - created(a) || byName(a, b);
}

/** Lower first; no cost after every cost. */
function ascending(x: number | undefined, y: number | undefined): number {
  if (x === y) return 0;
  if (x === undefined) return 1;
  if (y === undefined) return -1;
  return x - y;
}

/** BCS's cost order: the node's cost ascending, then the pod's by the sort method; no cost last in both. */
export function compareDeletionCost(a: Json, b: Json, method: CostSortMethod, nodeCost: (pod: Json) => number | undefined): number {
  const byNode = ascending(nodeCost(a), nodeCost(b));
  if (byNode) return byNode;
  const x = podDeletionCost(a);
  const y = podDeletionCost(b);
  const negate = (v: number | undefined) => (v === undefined ? undefined : -v);
  return method === 'descend' ? ascending(negate(x), negate(y)) : ascending(x, y);
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
  /** The GameDeployment's pod-deletion-cost-sort-method (default ascend). */
  costSortMethod?: CostSortMethod;
  /** The cost of the pod's node (its node-deletion-cost annotation). */
  nodeCost?: (pod: Json) => number | undefined;
}

/**
 * The `count` pods to remove when scaling down: named ones first, then the old revision while
 * more old pods are left than the partition keeps (so that a scale-down moves towards the
 * rollout's target instead of away from it), then by deletion cost (node, then pod), then
 * unscheduled/pending/unready and the newer pod; Allocated servers (when they are to be kept) last.
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
  const method = o.costSortMethod ?? 'ascend';
  const nodeCost = o.nodeCost ?? (() => undefined);
  const sorted = [...pods].sort((a, b) => rank(a) - rank(b) || compareDeletionCost(a, b, method, nodeCost) || compareForUpdate(a, b));
  return sorted.slice(0, count);
}
