// A GameServer's status.conditions as OpenKruiseGame computes them (gameserver_conditions.go):
// one condition per builder, each True or False with the reasons and messages of what is wrong
// joined by "; ". A condition keeps its lastTransitionTime while type, status, reason and message
// stay; one that changes and is False is announced by a Warning Event of its reason and message.
// Pure.

import { IN_PLACE_UPDATE_READY } from '../../util/vocabulary.js';

type Json = Record<string, any>;

export interface GameServerCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

/** One condition from what the reconciler observed; undefined leaves it out (nothing to say). */
export type ConditionBuilder = () => GameServerCondition | undefined;

/** OKG's pair of accumulated (message, reason): a part already contained is not repeated. */
export function polyMessageReason(message: string, reason: string, newMessage: string, newReason: string): [string, string] {
  if (message === '' && reason === '') return [newMessage, newReason];
  return [message.includes(newMessage) ? message : `${message}; ${newMessage}`, reason.includes(newReason) ? reason : `${reason}; ${newReason}`];
}

/** True when nothing was collected, else False with the collected reason and message. */
export function normalCondition(type: string, message: string, reason: string): GameServerCondition {
  if (message === '' && reason === '') return { type, status: 'True' };
  return { type, status: 'False', reason, message };
}

/**
 * PodNormal: the pod's own reason, its PodScheduled/Initialized/ContainersReady conditions not
 * True, Ready False while ContainersReady is True (a readiness gate), and waiting or terminated
 * (init) containers.
 */
export function podNormalCondition(pod: Json): GameServerCondition {
  let m = '';
  let r = '';
  const st = pod.status ?? {};
  if (st.reason) [m, r] = polyMessageReason(m, r, st.message ?? '', st.reason);
  const conditions = (st.conditions ?? []) as Json[];
  const containersReady = conditions.find((c) => c.type === 'ContainersReady');
  for (const c of conditions) {
    const notTrue = ['PodScheduled', 'Initialized', 'ContainersReady'].includes(c.type) && c.status !== 'True';
    const gatedNotReady = c.type === 'Ready' && containersReady?.status === 'True' && c.status === 'False' && !awaitsOwnGate(pod);
    if (notTrue || gatedNotReady) [m, r] = polyMessageReason(m, r, c.message ?? '', c.reason ?? '');
  }
  for (const statuses of [st.initContainerStatuses, st.containerStatuses]) {
    const [cm, cr] = containerStatusMessageReason((statuses ?? []) as Json[]);
    if (cm !== '' && cr !== '') [m, r] = polyMessageReason(m, r, cm, cr);
  }
  return normalCondition('PodNormal', m, r);
}

/**
 * A new pod whose only closed readiness gate is InPlaceUpdateReady with no condition yet: the
 * controller's first write of it (True) is on its way. The node may report the containers ready
 * first, and a Warning for every new server would announce nothing wrong.
 */
function awaitsOwnGate(pod: Json): boolean {
  const conditions = (pod.status?.conditions ?? []) as Json[];
  const gates = ((pod.spec?.readinessGates ?? []) as Json[]).map((g) => String(g.conditionType));
  if (!gates.includes(IN_PLACE_UPDATE_READY) || conditions.some((c) => c.type === IN_PLACE_UPDATE_READY)) return false;
  return gates.every((g) => g === IN_PLACE_UPDATE_READY || conditions.some((c) => c.type === g && c.status === 'True'));
}

function containerStatusMessageReason(statuses: Json[]): [string, string] {
  let m = '';
  let r = '';
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason) [m, r] = polyMessageReason(m, r, waiting.message ?? '', waiting.reason);
    const terminated = s.state?.terminated;
    const last = s.lastState?.terminated;
    if (terminated?.reason) [m, r] = polyMessageReason(m, r, `${terminated.message ?? ''} ExitCode: ${terminated.exitCode ?? 0}`, `ContainerTerminated:${terminated.reason}`);
    else if (last?.reason && !s.state?.running) [m, r] = polyMessageReason(m, r, `${last.message ?? ''} ExitCode: ${last.exitCode ?? 0}`, `ContainerTerminated:${last.reason}`);
  }
  return [m, r];
}

/** NodeNormal: Ready (and SufficientIP) not True, or any other node condition (a pressure) not False. */
export function nodeNormalCondition(node: Json): GameServerCondition {
  let m = '';
  let r = '';
  for (const c of (node.status?.conditions ?? []) as Json[]) {
    const bad = c.type === 'Ready' || c.type === 'SufficientIP' ? c.status !== 'True' : c.status !== 'False';
    if (bad) [m, r] = polyMessageReason(m, r, c.message ?? '', `${c.type}:${c.reason ?? ''}`);
  }
  return normalCondition('NodeNormal', m, r);
}

function sameCondition(a: GameServerCondition, b: GameServerCondition | undefined): boolean {
  return !!b && a.type === b.type && a.status === b.status && (a.reason ?? '') === (b.reason ?? '') && (a.message ?? '') === (b.message ?? '');
}

/** hotpod's condition naming what the GameServer asks that hotpod does not act on: a problem when True. */
export const FIELDS_NOT_ACTED_ON = 'FieldsNotActedOn';

/** FieldsNotActedOn, True with the messages; undefined when there are none. */
export function notActedOnCondition(messages: string[]): GameServerCondition | undefined {
  return messages.length ? { type: FIELDS_NOT_ACTED_ON, status: 'True', reason: 'NotActedOn', message: messages.join('; ') } : undefined;
}

export interface ConditionWarning {
  reason: string;
  message: string;
}

function isProblem(c: GameServerCondition): boolean {
  return c.type === FIELDS_NOT_ACTED_ON ? c.status === 'True' : c.status === 'False';
}

/**
 * The conditions the builders give, in their order, each with its lastTransitionTime (the old
 * one when unchanged, else `nowIso`), and a Warning Event for each that changed to, or within,
 * a problem (False; FieldsNotActedOn True): OKG's reason and message, FieldsNotActedOn's own.
 */
export function syncConditions(builders: ConditionBuilder[], previous: GameServerCondition[] | undefined, nowIso: string): { conditions: GameServerCondition[]; warnings: ConditionWarning[] } {
  const conditions: GameServerCondition[] = [];
  const warnings: ConditionWarning[] = [];
  for (const build of builders) {
    const fresh = build();
    if (!fresh) continue;
    const old = previous?.find((c) => c.type === fresh.type);
    if (sameCondition(fresh, old)) {
      conditions.push(old!.lastTransitionTime ? { ...fresh, lastTransitionTime: old!.lastTransitionTime } : fresh);
      continue;
    }
    conditions.push({ ...fresh, lastTransitionTime: nowIso });
    if (isProblem(fresh)) warnings.push({ reason: fresh.type === FIELDS_NOT_ACTED_ON ? FIELDS_NOT_ACTED_ON : (fresh.reason ?? fresh.type), message: fresh.message ?? '' });
  }
  return { conditions, warnings };
}
