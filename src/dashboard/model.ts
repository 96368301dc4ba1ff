// What the dashboard shows, computed from the objects as the API serves them: one summary per
// workload (fleet row) and one tile per server. Pure, so the page gets small records (a
// thousand tiles are a few hundred kilobytes) and the server sends only the ones that changed.

import { rolloutProgress, type Workload } from '../cli/rollout-progress.js';
import type { KubeObject } from '../kube/index.js';
import { UPDATE_PENDING_ANNOTATION } from '../update/allocation-gate.js';
import { checkCompletion } from '../update/in-place.js';
import { GS_OPS_STATE_LABEL } from '../util/vocabulary.js';

export type WorkloadKindName = 'GameServerSet' | 'GameDeployment';

export interface SetSummary {
  key: string;
  kind: WorkloadKindName;
  namespace: string;
  name: string;
  replicas: number;
  ready: number;
  updated: number;
  updatedReady: number;
  updateRevision: string;
  partition: string;
  paused: boolean;
  rollout: { done: boolean; fraction: number; message: string };
  /** servers by state (Ready, NotReady, Updating, PreDelete, ...) */
  states: Record<string, number>;
  opsStates: Record<string, number>;
  /** servers a gate holds: lifecycle hooks, BCS hooks, allocation */
  held: number;
  canary?: { step: number; steps: number; pauseReasons: string[] };
  /** conditions that are True and say something is wrong or waiting */
  conditions: { type: string; reason: string; message: string }[];
}

export type RevisionPhase = 'old' | 'updating' | 'new';

export interface ServerTile {
  key: string;
  set: string;
  namespace: string;
  name: string;
  state: string;
  opsState: string;
  revision: RevisionPhase;
  ready: boolean;
  restarts: number;
  /** why a gate holds it, if one does */
  held?: string;
  updatePriority?: string;
  deletionPriority?: string;
}

export interface EventSummary {
  key: string;
  namespace: string;
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  last: string;
}

export const setKey = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/** The pods a workload's tiles are made of, and the GameServers of a GameServerSet. */
export interface Members {
  pods: KubeObject[];
  gameServers: Map<string, KubeObject>;
}

export function summarizeSet(kind: WorkloadKindName, obj: KubeObject, tiles: readonly ServerTile[]): SetSummary {
  const w = obj as Workload;
  const spec = w.spec ?? {};
  const status = w.status ?? {};
  const strategy = kind === 'GameServerSet' ? (spec.updateStrategy?.rollingUpdate ?? {}) : (spec.updateStrategy ?? {});
  const progress = rolloutProgress(kind === 'GameServerSet' ? 'gameserverset' : 'gamedeployment', w);
  const states: Record<string, number> = {};
  const opsStates: Record<string, number> = {};
  for (const t of tiles) {
    states[t.state] = (states[t.state] ?? 0) + 1;
    opsStates[t.opsState] = (opsStates[t.opsState] ?? 0) + 1;
  }
  const steps = (spec.updateStrategy?.canary?.steps ?? []) as unknown[];
  const out: SetSummary = {
    key: setKey(kind, obj.metadata!.namespace!, obj.metadata!.name!),
    kind,
    namespace: obj.metadata!.namespace!,
    name: obj.metadata!.name!,
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    ready: status.readyReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    updatedReady: status.updatedReadyReplicas ?? 0,
    updateRevision: status.updateRevision ?? '',
    partition: String(strategy.partition ?? 0),
    paused: strategy.paused === true,
    rollout: { done: progress.done, fraction: progress.fraction, message: progress.message },
    states,
    opsStates,
    held: tiles.filter((t) => t.held).length,
    conditions: ((status.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[])
      .filter((c) => c.status === 'True')
      .map((c) => ({ type: c.type, reason: c.reason ?? '', message: c.message ?? '' })),
  };
  if (steps.length) {
    out.canary = {
      step: typeof status.currentStepIndex === 'number' ? status.currentStepIndex : 0,
      steps: steps.length,
      pauseReasons: ((status.pauseConditions ?? []) as { reason?: string }[]).map((p) => p.reason ?? ''),
    };
  }
  return out;
}

/** The server tiles of a workload, in name order (ordinal order for GameServerSets). */
export function serverTiles(kind: WorkloadKindName, obj: KubeObject, members: Members): ServerTile[] {
  const status = (obj as Workload).status ?? {};
  const updateRevision: string = status.updateRevision ?? '';
  const set = setKey(kind, obj.metadata!.namespace!, obj.metadata!.name!);
  const hooked = hookHolds(status);
  const tiles = members.pods.map((pod) => tileFor(set, pod, members.gameServers.get(pod.metadata!.name!), updateRevision, hooked));
  // GameServers whose pod is gone (being recreated) still show, as the servers they are.
  const withPods = new Set(members.pods.map((p) => p.metadata!.name!));
  for (const [name, gs] of members.gameServers) if (!withPods.has(name)) tiles.push(tileFor(set, undefined, gs, updateRevision, hooked));
  return tiles.sort((a, b) => naturalCompare(a.name, b.name));
}

function hookHolds(status: Workload): Map<string, string> {
  const out = new Map<string, string>();
  for (const [field, label] of [
    ['preDeleteHookCondition', 'pre-delete hook'],
    ['preInplaceHookCondition', 'pre-inplace hook'],
  ] as const) {
    for (const c of (status[field] ?? []) as { podName?: string; phase?: string }[]) {
      if (c.podName && c.phase !== 'Successful') out.set(c.podName, `${label} ${c.phase ?? ''}`.trim());
    }
  }
  return out;
}

function tileFor(set: string, pod: KubeObject | undefined, gs: KubeObject | undefined, updateRevision: string, hooked: Map<string, string>): ServerTile {
  const meta = (pod ?? gs)!.metadata!;
  const p = (pod ?? {}) as Workload;
  const g = (gs ?? {}) as Workload;
  const containers = (p.status?.containerStatuses ?? []) as { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string } } }[];
  const ready = (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  const revision = p.metadata?.labels?.['controller-revision-hash'];
  // New once the update took: on the update revision, Ready, and (the engine's own check) the node
  // runs what the update asked for. The revision label and the images go out in one write, before
  // the node has restarted anything or reported the pod not ready, so label and Ready alone would
  // call a pod new that has not yet changed at all.
  const phase: RevisionPhase = !revision || revision !== updateRevision ? 'old' : ready && (!pod || checkCompletion(pod).done) ? 'new' : 'updating';
  const state: string = g.status?.currentState ?? podState(p, ready, containers);
  const opsState: string = g.spec?.opsState ?? p.metadata?.labels?.[GS_OPS_STATE_LABEL] ?? 'None';
  const tile: ServerTile = {
    key: `${meta.namespace}/${meta.name}`,
    set,
    namespace: meta.namespace!,
    name: meta.name!,
    state,
    opsState,
    revision: phase,
    ready,
    restarts: containers.reduce((n, c) => n + (c.restartCount ?? 0), 0),
  };
  const held = state === 'PreDelete' || state === 'PreUpdate' ? state : (hooked.get(meta.name!) ?? (p.metadata?.annotations?.[UPDATE_PENDING_ANNOTATION] ? 'allocated: update waits' : undefined));
  if (held) tile.held = held;
  if (gs) {
    tile.updatePriority = String(g.spec?.updatePriority ?? 0);
    tile.deletionPriority = String(g.spec?.deletionPriority ?? 0);
  }
  return tile;
}

/** A GameDeployment pod's state in OpenKruiseGame's words, from the pod alone. */
function podState(p: Workload, ready: boolean, containers: { state?: { waiting?: { reason?: string } } }[]): string {
  if (!p.metadata) return 'Unknown';
  if (p.metadata.deletionTimestamp) return 'Deleting';
  if (containers.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')) return 'Crash';
  if (p.status?.phase === 'Pending' || !p.status?.phase) return 'Creating';
  if (p.status.phase !== 'Running') return p.status.phase;
  return ready ? 'Ready' : 'NotReady';
}

export function summarizeEvent(e: KubeObject): EventSummary {
  const ev = e as Workload;
  return {
    key: `${e.metadata!.namespace}/${e.metadata!.name}`,
    namespace: e.metadata!.namespace ?? '',
    kind: ev.involvedObject?.kind ?? '',
    name: ev.involvedObject?.name ?? '',
    type: ev.type ?? 'Normal',
    reason: ev.reason ?? '',
    message: ev.message ?? '',
    count: ev.count ?? 1,
    last: ev.lastTimestamp ?? ev.eventTime ?? e.metadata!.creationTimestamp ?? '',
  };
}

// One collator for every comparison: localeCompare with options builds one per call, which was
// most of the dashboard's CPU at a thousand tiles a pass.
const collator = new Intl.Collator('en', { numeric: true });

/** arena-2 before arena-10. */
function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}
