// Where a pod goes: kube-scheduler's default filters in their order (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodeResourcesFit) and a score that spreads pods to the node
// with the fewest. Pure, so every rule has a table test; the scheduler loop only feeds it.

import { cpuMilli, memoryBytes } from '../util/quantity.js';
import { NOT_READY_TAINT } from '../util/vocabulary.js';

type Json = Record<string, any>;

export interface NodeUsage {
  node: Json;
  /** Pods bound to the node that still hold resources (not Succeeded/Failed). */
  pods: number;
  cpuMilli: number;
  memoryBytes: number;
  /** Host ports its pods hold (hostPortKeys); absent: none. */
  hostPorts?: Set<string>;
}

type Placement = { node: string } | { unschedulable: string };

export interface PodRequests {
  cpuMilli: number;
  memoryBytes: number;
}

/** The larger of the containers' sum and any one init container, plus the pod overhead. */
export function podRequests(pod: Json): PodRequests {
  const sum = (cs: Json[] | undefined, read: (c: Json) => number) => (cs ?? []).reduce((n, c) => n + read(c), 0);
  const max = (cs: Json[] | undefined, read: (c: Json) => number) => (cs ?? []).reduce((n, c) => Math.max(n, read(c)), 0);
  // A limit without a request is also the request (kube-apiserver defaults it so).
  const cpu = (c: Json) => cpuMilli(c?.resources?.requests?.cpu ?? c?.resources?.limits?.cpu ?? 0);
  const mem = (c: Json) => memoryBytes(c?.resources?.requests?.memory ?? c?.resources?.limits?.memory ?? 0);
  const spec = pod.spec ?? {};
  // Sidecars (init containers with restartPolicy Always) keep running beside the containers.
  const sidecars = ((spec.initContainers ?? []) as Json[]).filter((c) => c?.restartPolicy === 'Always');
  return {
    cpuMilli: Math.max(sum(spec.containers, cpu) + sum(sidecars, cpu), max(spec.initContainers, cpu)) + cpuMilli(spec.overhead?.cpu ?? 0),
    memoryBytes: Math.max(sum(spec.containers, mem) + sum(sidecars, mem), max(spec.initContainers, mem)) + memoryBytes(spec.overhead?.memory ?? 0),
  };
}

export function tolerates(tolerations: Json[] | undefined, taint: Json): boolean {
  return (tolerations ?? []).some((t) => {
    if (t?.effect && t.effect !== taint.effect) return false;
    if (t?.operator === 'Exists') return !t.key || t.key === taint.key;
    return t?.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function nodeReady(node: Json): boolean {
  return ((node.status?.conditions ?? []) as Json[]).some((c) => c?.type === 'Ready' && c.status === 'True');
}

/** Taints the pod must tolerate to be placed: the node's own, plus not-ready for a node that is not. */
function schedulingTaints(node: Json): Json[] {
  const taints = ((node.spec?.taints ?? []) as Json[]).filter((t) => t?.effect === 'NoSchedule' || t?.effect === 'NoExecute');
  if (!nodeReady(node) && !taints.some((t) => t.key === NOT_READY_TAINT)) {
    taints.push({ key: NOT_READY_TAINT, effect: 'NoSchedule' });
  }
  return taints;
}

function matchExpression(e: Json, value: string | undefined): boolean {
  const values: string[] = Array.isArray(e?.values) ? e.values.map(String) : [];
  switch (e?.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && /^-?\d+$/.test(value) && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && /^-?\d+$/.test(value) && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function matchesTerm(term: Json, node: Json): boolean {
  const exprs: Json[] = term?.matchExpressions ?? [];
  const fields: Json[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  return (
    exprs.every((e) => matchExpression(e, labels[e.key])) &&
    fields.every((f) => matchExpression(f, f.key === 'metadata.name' ? node.metadata?.name : undefined))
  );
}

function matchesNodeSelection(pod: Json, node: Json): boolean {
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries((pod.spec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return ((required.nodeSelectorTerms ?? []) as Json[]).some((t) => matchesTerm(t, node));
  return true;
}

/**
 * The host ports a pod asks for, as `<protocol>/<port>` (kube-scheduler's NodePorts filter keys
 * on hostIP too; every embedded node has one address, so a hostIP names it or 0.0.0.0).
 */
export function hostPortKeys(pod: Json): string[] {
  const keys: string[] = [];
  for (const c of [...((pod.spec?.containers ?? []) as Json[]), ...((pod.spec?.initContainers ?? []) as Json[])]) {
    for (const p of (c?.ports ?? []) as Json[]) if (p?.hostPort) keys.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
  }
  return keys;
}

/** Why the node cannot take the pod (kube-scheduler's reason strings), or [] when it can. */
function nodeMisfits(pod: Json, u: NodeUsage, req: PodRequests): string[] {
  const node = u.node;
  const tolerations: Json[] = pod.spec?.tolerations ?? [];
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
    return ['node(s) were unschedulable'];
  }
  const untolerated = schedulingTaints(node).find((t) => !tolerates(tolerations, t));
  if (untolerated) return [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`];
  if (!matchesNodeSelection(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  if (u.hostPorts?.size && hostPortKeys(pod).some((k) => u.hostPorts!.has(k))) return ["node(s) didn't have free ports for the requested pod ports"];
  const alloc = node.status?.allocatable ?? {};
  const reasons: string[] = [];
  if (u.pods + 1 > Number(alloc.pods ?? 0)) reasons.push('Too many pods');
  if (req.cpuMilli > 0 && u.cpuMilli + req.cpuMilli > cpuMilli(alloc.cpu ?? 0)) reasons.push('Insufficient cpu');
  if (req.memoryBytes > 0 && u.memoryBytes + req.memoryBytes > memoryBytes(alloc.memory ?? 0)) reasons.push('Insufficient memory');
  return reasons;
}

/** The node for the pod, or kube-scheduler's message saying why there is none. */
export function placePod(pod: Json, nodes: NodeUsage[], req: PodRequests = podRequests(pod)): Placement {
  if (nodes.length === 0) return { unschedulable: 'no nodes available to schedule pods' };
  const histogram = new Map<string, number>();
  let best: NodeUsage | undefined;
  for (const u of nodes) {
    const misfits = nodeMisfits(pod, u, req);
    for (const r of misfits) histogram.set(r, (histogram.get(r) ?? 0) + 1);
    if (misfits.length) continue;
    const name: string = u.node.metadata?.name ?? '';
    if (!best || u.pods < best.pods || (u.pods === best.pods && name < (best.node.metadata?.name ?? ''))) best = u;
  }
  if (best) return { node: best.node.metadata.name };
  const reasons = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  return { unschedulable: `0/${nodes.length} nodes are available: ${reasons.join(', ')}.` };
}
