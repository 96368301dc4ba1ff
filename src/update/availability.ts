// When a pod counts as available: the yardstick of maxUnavailable for every rollout.

type Json = Record<string, any>;

import { IN_PLACE_UPDATE_READY } from '../util/vocabulary.js';

export function condition(pod: Json, type: string): Json | undefined {
  return ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === type);
}

export function podIsReady(pod: Json): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

/** An in-place or hot-patch update was started and its completion not yet confirmed. */
export function podIsUpdating(pod: Json): boolean {
  return condition(pod, IN_PLACE_UPDATE_READY)?.status === 'False';
}

/**
 * Available = ready for at least minReadySeconds, not terminating, not mid-update. A pod that
 * is not available counts against maxUnavailable.
 */
export function podIsAvailable(pod: Json, minReadySeconds: number, now: number): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (podIsUpdating(pod)) return false;
  const ready = condition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** maxUnavailable / maxSurge as an absolute count: percentages scale with replicas. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return Math.max(0, Math.floor(value));
  const m = /^(\d+)%$/.exec(value.trim());
  if (!m) {
    const n = Number(value);
    if (Number.isInteger(n)) return Math.max(0, n);
    throw new Error(`invalid value "${value}": must be an integer or a percentage`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
