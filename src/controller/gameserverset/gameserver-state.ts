// A GameServer's view of its pod: the state OpenKruiseGame reports (status.currentState), the
// status it mirrors, and the pod labels and annotations that mirror the GameServer. Pure.

import type { GameServerSpec, GameServerState } from '../../api/index.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import { templateHash } from '../workload/revisions.js';
import { podIsReady, podIsUpdating } from '../../update/availability.js';
import { checkCompletion } from '../../update/in-place.js';
import { lifecycleState } from '../../update/lifecycle.js';
import {
  GS_DELETE_PRIORITY_LABEL,
  GS_NETWORK_DISABLED_LABEL,
  GS_OPS_STATE_LABEL,
  GS_STATE_CHANGED_REASON,
  GS_STATE_LABEL,
  GS_SYNC_PREFIX,
  GS_TEMPLATE_METADATA_HASH_ANNOTATION,
  GS_UPDATE_PRIORITY_LABEL,
} from './labels.js';

type Json = Record<string, any>;

/**
 * From the pod: none yet or Pending → Creating; terminating → Deleting; Failed → Crash; Running
 * and mid in-place update → Updating; otherwise Ready or NotReady from the pod's Ready condition.
 * A pod a lifecycle hook holds is PreDelete (PreparingDelete) or PreUpdate (PreparingUpdate).
 */
export function observedState(pod: Json | undefined): GameServerState {
  if (!pod) return 'Creating';
  if (pod.metadata?.deletionTimestamp) return 'Deleting';
  if (lifecycleState(pod) === 'PreparingDelete') return 'PreDelete';
  if (lifecycleState(pod) === 'PreparingUpdate' && !podIsUpdating(pod)) return 'PreUpdate';
  switch (pod.status?.phase) {
    case undefined:
    case 'Pending':
      return 'Creating';
    case 'Failed':
      return 'Crash';
    case 'Running':
      if (podIsUpdating(pod) || !checkCompletion(pod).done) return 'Updating';
      return podIsReady(pod) ? 'Ready' : 'NotReady';
    default:
      return 'Unknown';
  }
}

/**
 * States a pod often holds only for a moment: on its way to being created, updated or deleted,
 * or NotReady between an in-place update's end and the node's next Ready.
 */
function isTransient(state: GameServerState | undefined): boolean {
  return state === 'Creating' || state === 'Updating' || state === 'Deleting' || state === 'NotReady';
}

/**
 * The state to report. A transient state is reported once it has lasted `delayMs` (counted from
 * `firstSeenMs`, when this controller first saw it), so a pod that passes through Updating in a
 * fraction of a second costs no state change nor pod-label write; Ready, Crash and Unknown, and the first
 * state of a new GameServer (Creating, as OpenKruiseGame's), are reported at once.
 */
export function stateToReport(
  reported: GameServerState | undefined,
  observed: GameServerState,
  firstSeenMs: number,
  now: number,
  delayMs: number,
): { state: GameServerState | undefined; recheckInMs?: number } {
  // The first state is reported at once: a GameServer with no state reads as broken.
  if (!isTransient(observed) || observed === reported || reported === undefined) return { state: observed };
  const left = firstSeenMs + delayMs - now;
  if (left <= 0) return { state: observed };
  return { state: reported, recheckInMs: left };
}

/** The status fields the controller owns, as they should be; `lastTransitionTime` moves with currentState. */
export function desiredStatus(spec: GameServerSpec, previous: Json | undefined, state: GameServerState | undefined, pod: Json | undefined, nowIso: string): Json {
  const status: Json = {
    desiredState: 'Ready',
    updatePriority: spec.updatePriority ?? 0,
    deletionPriority: spec.deletionPriority ?? 0,
  };
  if (state !== undefined) {
    status.currentState = state;
    status.lastTransitionTime = previous?.currentState === state && previous?.lastTransitionTime ? previous.lastTransitionTime : nowIso;
  }
  // The whole pod status, as OKG's: conditions and container statuses included (written only when
  // it changed, so a steady pod costs nothing).
  if (pod?.status && Object.keys(pod.status).length) status.podStatus = pod.status;
  return status;
}

/**
 * The labels and annotations the pod should carry for its GameServer, as a merge patch of only
 * what differs (null removes). Empty maps: the pod is in sync.
 */
export function podMirrorPatch(
  gs: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: GameServerSpec },
  state: GameServerState | undefined,
  pod: Json,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const wantLabels: Record<string, string> = { ...mirrorLabels(gs.spec), ...synced(gs.metadata?.labels) };
  if (state !== undefined) wantLabels[GS_STATE_LABEL] = state;
  return {
    labels: diff(pod.metadata?.labels, wantLabels),
    annotations: diff(pod.metadata?.annotations, synced(gs.metadata?.annotations)),
  };
}

/**
 * Pod labels whose change OKG announces (`GsStateChanged`, "<Name> turn from <old> to <new> "),
 * by the name it gives them. The state's own ("State turn from ...") is `stateEvent`: it follows
 * currentState, which moves for a terminating pod too (no label is written on one).
 */
const ANNOUNCED_LABELS: [label: string, name: string][] = [
  [GS_DELETE_PRIORITY_LABEL, 'DeletionPriority'],
  [GS_UPDATE_PRIORITY_LABEL, 'UpdatePriority'],
  [GS_OPS_STATE_LABEL, 'OpsState'],
  [GS_NETWORK_DISABLED_LABEL, 'NetworkDisabled'],
];

export interface StateEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The Events of a mirror patch, as OKG records them on the GameServer: one per announced label
 * that changes from a value the pod had (a new pod's first labels are not a change); Warning
 * for opsState Maintaining and state Crash. The message keeps OKG's trailing space (tools grep it).
 */
export function mirrorEvents(podLabels: Record<string, string> | undefined, patch: Record<string, string>): StateEvent[] {
  const out: StateEvent[] = [];
  for (const [label, name] of ANNOUNCED_LABELS) {
    const from = podLabels?.[label];
    const to = patch[label];
    if (to === undefined || !from || from === to) continue;
    const warning = label === GS_OPS_STATE_LABEL && to === 'Maintaining';
    out.push({ type: warning ? 'Warning' : 'Normal', reason: GS_STATE_CHANGED_REASON, message: `${name} turn from ${from} to ${to} ` });
  }
  return out;
}

/** OKG's Event for a change of currentState (none for the first state); Warning for Crash. */
export function stateEvent(from: string | undefined, to: string | undefined): StateEvent | undefined {
  if (!from || !to || from === to) return undefined;
  return { type: to === 'Crash' ? 'Warning' : 'Normal', reason: GS_STATE_CHANGED_REASON, message: `State turn from ${from} to ${to} ` };
}

/** The labels a pod of this GameServer carries from its spec (also set when the pod is created). */
export function mirrorLabels(spec: GameServerSpec): Record<string, string> {
  return {
    [GS_OPS_STATE_LABEL]: String(spec.opsState ?? 'None'),
    [GS_UPDATE_PRIORITY_LABEL]: String(spec.updatePriority ?? 0),
    [GS_DELETE_PRIORITY_LABEL]: String(spec.deletionPriority ?? 0),
    [GS_NETWORK_DISABLED_LABEL]: String(spec.networkDisabled ?? false),
  };
}

function synced(map: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (k.startsWith(GS_SYNC_PREFIX)) out[k] = v;
  return out;
}

/**
 * Sets what `want` has differently. A gs-sync/ key the GameServer lacks stays on the pod, as in
 * OpenKruiseGame: the pod template may carry it (a delete-block label the game server clears
 * itself), and the GameServer is not the only writer of such keys.
 */
function diff(have: Record<string, string> | undefined, want: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have?.[k] !== v) out[k] = v;
  return out;
}

/**
 * The labels and annotations of the set's gameServerTemplate that its GameServers carry (as
 * OpenKruiseGame copies them), with the hash that says which template they came from.
 */
interface TemplateMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function templateMetadata(template: PodTemplate): TemplateMetadata {
  const labels = { ...(template.metadata?.labels ?? {}) } as Record<string, string>;
  const annotations = { ...(template.metadata?.annotations ?? {}) } as Record<string, string>;
  const hash = templateHash({ metadata: { labels, annotations } });
  return { labels, annotations: { ...annotations, [GS_TEMPLATE_METADATA_HASH_ANNOTATION]: hash } };
}

/**
 * A merge patch that copies the template's labels and annotations (`templateMetadata`, worked
 * out once per pass) onto a GameServer whose hash annotation says it has not had them yet;
 * undefined when it has. Keys are set, never removed (upstream merges too: users and the game
 * server label GameServers themselves).
 */
export function gameServerMetadataPatch(want: TemplateMetadata, gs: Json): Json | undefined {
  if (gs.metadata?.annotations?.[GS_TEMPLATE_METADATA_HASH_ANNOTATION] === want.annotations[GS_TEMPLATE_METADATA_HASH_ANNOTATION]) return undefined;
  return { metadata: want };
}
