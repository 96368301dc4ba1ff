// hotpod's allocation-aware updates, beyond both upstream APIs: a workload annotated
// `hotpod.dev/allocated-update: Wait` never restarts a container of, recreates or deletes for
// an update a server whose opsState is Allocated (players are on it); a change that restarts
// nothing (template metadata, a hot-patch) goes ahead. The server is told through the
// annotation `hotpod.dev/update-pending: <revision>` on its pod (and GameServer), readable in
// the container through a downwardAPI volume so the game can drain it, and updates once it
// leaves Allocated. `Proceed`, the default, is OpenKruiseGame's behaviour.
//
// `hotpod.dev/allocated-update-deadline: <duration>` bounds the wait: a server that has waited
// that long (since `hotpod.dev/update-pending-since`, written with update-pending, so a
// controller restart keeps the clock) updates anyway, with a Warning Event.

import { goDuration, parseGoDuration } from '../util/duration.js';

export const ALLOCATED_UPDATE_ANNOTATION = 'hotpod.dev/allocated-update';
export const ALLOCATED_UPDATE_DEADLINE_ANNOTATION = 'hotpod.dev/allocated-update-deadline';
export const UPDATE_PENDING_ANNOTATION = 'hotpod.dev/update-pending';
export const UPDATE_PENDING_SINCE_ANNOTATION = 'hotpod.dev/update-pending-since';

export type AllocatedUpdatePolicy = 'Wait' | 'Proceed';

export interface AllocatedUpdateConfig {
  policy: AllocatedUpdatePolicy;
  /** How long a server may wait, in ms; undefined: for as long as it is Allocated. */
  deadlineMs?: number;
  /** Values hotpod cannot read, for the caller to report (they are read as the defaults). */
  invalid: string[];
}

/** The workload's configuration, from its annotations. */
export function allocatedUpdateConfig(annotations: Record<string, string> | undefined): AllocatedUpdateConfig {
  const invalid: string[] = [];
  const value = annotations?.[ALLOCATED_UPDATE_ANNOTATION];
  let policy: AllocatedUpdatePolicy = 'Proceed';
  if (value === 'Wait') policy = 'Wait';
  else if (value !== undefined && value !== 'Proceed') {
    invalid.push(`annotation ${ALLOCATED_UPDATE_ANNOTATION}: unsupported value "${value}": supported values: "Wait", "Proceed" (read as Proceed)`);
  }
  const deadline = annotations?.[ALLOCATED_UPDATE_DEADLINE_ANNOTATION];
  let deadlineMs: number | undefined;
  if (deadline !== undefined) {
    try {
      deadlineMs = parseGoDuration(deadline);
    } catch (err) {
      invalid.push(`annotation ${ALLOCATED_UPDATE_DEADLINE_ANNOTATION}: ${(err as Error).message} (no deadline)`);
    }
  }
  return { policy, deadlineMs, invalid };
}

export type AllocatedVerdict =
  /** Not held: the update may disrupt the server. */
  | { kind: 'open' }
  /** Held while Allocated; `wakeAt`: when the deadline ends the wait (epoch ms). */
  | { kind: 'hold'; reason: string; wakeAt?: number }
  /** Held until the deadline passed: the update goes ahead (say so once, as it starts). */
  | { kind: 'expired'; message: string };

/**
 * Whether an update that would disrupt this server waits. `pendingSince` is the pod's
 * update-pending-since annotation: when its wait began (absent: it begins now).
 */
export function allocatedVerdict(config: AllocatedUpdateConfig, opsState: string | undefined, pendingSince: string | undefined, now: number): AllocatedVerdict {
  if (config.policy !== 'Wait' || opsState !== 'Allocated') return { kind: 'open' };
  const reason = `opsState Allocated (${ALLOCATED_UPDATE_ANNOTATION}: Wait)`;
  if (config.deadlineMs === undefined) return { kind: 'hold', reason };
  const parsed = pendingSince === undefined ? NaN : Date.parse(pendingSince);
  const since = Number.isNaN(parsed) ? now : parsed;
  const wakeAt = since + config.deadlineMs;
  if (now < wakeAt) return { kind: 'hold', reason, wakeAt };
  return {
    kind: 'expired',
    message: `waited ${goDuration(Math.max(0, now - since))} in opsState Allocated, past ${ALLOCATED_UPDATE_DEADLINE_ANNOTATION} ${goDuration(config.deadlineMs)}: its update goes ahead`,
  };
}

/** Steps of the update engine that start disrupting a server (the first of a restart or recreate). */
const DISRUPTING = new Set(['recreate', 'prepareUpdate', 'leaveService']);

/** Whether this step is where an expired wait's update begins (its Warning Event goes with it). */
export function deadlineEnds(verdict: AllocatedVerdict, action: string): verdict is Extract<AllocatedVerdict, { kind: 'expired' }> {
  return verdict.kind === 'expired' && DISRUPTING.has(action);
}

/**
 * The pod's update-pending marks after this pass: set while its update waits (`waitingFor`, the
 * revision), kept while a wait past its deadline has not reached the update yet (so the clock
 * does not start again), removed otherwise. undefined: the pod's marks are already so.
 */
export function pendingMarksPatch(
  annotations: Record<string, string> | undefined,
  verdict: AllocatedVerdict,
  waitingFor: string | undefined,
  atUpdateRevision: boolean,
  now: string,
): Record<string, string | null> | undefined {
  const current = annotations?.[UPDATE_PENDING_ANNOTATION];
  const since = annotations?.[UPDATE_PENDING_SINCE_ANNOTATION];
  if (waitingFor !== undefined) {
    if (current === waitingFor && since !== undefined) return undefined;
    // The wait's clock starts with the first pending revision, whichever comes after it.
    return { [UPDATE_PENDING_ANNOTATION]: waitingFor, [UPDATE_PENDING_SINCE_ANNOTATION]: since ?? now };
  }
  if (verdict.kind === 'expired' && !atUpdateRevision) return undefined;
  if (current === undefined && since === undefined) return undefined;
  return { [UPDATE_PENDING_ANNOTATION]: null, [UPDATE_PENDING_SINCE_ANNOTATION]: null };
}

/** The message of a workload's AllocatedUpdateWaiting condition. */
export function allocatedWaitingMessage(noun: 'GameServer' | 'pod', names: string[]): string {
  const one = names.length === 1;
  return `${names.length} ${noun}${one ? '' : 's'} wait${one ? 's' : ''} to leave opsState Allocated before ${one ? 'its' : 'their'} update: ${names.join(', ')}`;
}
