// How far a GameServerSet's or GameDeployment's rollout has come, from the object alone (spec
// and status as the controller writes it), worded as `kubectl rollout status` words a
// StatefulSet's. Pure: `hotpod rollout status` and the ROLLOUT column of `hotpod get` share it.

import { scaledValue } from '../api/intstr.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Workload = Record<string, any>;

export interface RolloutProgress {
  /** nothing left to wait for */
  done: boolean;
  /** one line, without a newline */
  message: string;
  /** pods the rollout updates: replicas minus the partition */
  target: number;
  /** of those, on the update revision and ready */
  updatedReady: number;
  /** updatedReady / target, 0..1 (1 when there is nothing to update) */
  fraction: number;
  paused: boolean;
}

export type WorkloadKind = 'gameserverset' | 'gamedeployment';

/** The strategy fields of either API: where the partition and paused flag live. */
function strategyOf(kind: WorkloadKind, obj: Workload): { partition: unknown; paused: boolean } {
  if (kind === 'gameserverset') {
    const ru = obj.spec?.updateStrategy?.rollingUpdate ?? {};
    return { partition: ru.partition, paused: ru.paused === true };
  }
  const us = obj.spec?.updateStrategy ?? {};
  return { partition: us.partition, paused: us.paused === true };
}

export function rolloutProgress(kind: WorkloadKind, obj: Workload): RolloutProgress {
  const name = obj.metadata?.name ?? '';
  const replicas = num(obj.spec?.replicas, 1);
  const status = obj.status ?? {};
  const { partition: rawPartition, paused } = strategyOf(kind, obj);
  const partition = Math.min(replicas, Math.max(0, partitionOf(rawPartition, replicas)));
  const target = replicas - partition;
  const updated = num(status.updatedReplicas, 0);
  const updatedReady = Math.min(target, num(status.updatedReadyReplicas, 0));
  const current = num(status.replicas, 0);
  const fraction = target === 0 ? 1 : updatedReady / target;
  const base = { target, updatedReady, fraction, paused };
  const waiting = (what: string): RolloutProgress => ({ ...base, done: false, message: `Waiting for rollout to finish: ${what}${paused ? ' (paused)' : ''}...` });

  const generation = obj.metadata?.generation;
  if (status.observedGeneration === undefined || (generation !== undefined && status.observedGeneration < generation)) {
    return { ...base, fraction: 0, done: false, message: `Waiting for ${kind} spec update to be observed...` };
  }
  if (updated < target) return waiting(`${updated} out of ${target} new replicas have been updated`);
  if (current > replicas) return waiting(`${current - replicas} old replicas are pending termination`);
  if (updatedReady < target) return waiting(`${updatedReady} of ${target} updated replicas are ready`);
  if (num(status.readyReplicas, 0) < replicas) return waiting(`${num(status.readyReplicas, 0)} of ${replicas} replicas are ready`);
  if (partition > 0) return { ...base, done: true, message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  return { ...base, done: true, message: `${kind} "${name}" successfully rolled out` };
}

/** `[#####-----] 50%`: `width` cells, rounded down so that a full bar means done. */
export function progressBar(fraction: number, width = 10): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.floor(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(f * 100)}%`;
}

function partitionOf(value: unknown, replicas: number): number {
  if (typeof value === 'number' || typeof value === 'string') {
    try {
      return scaledValue(value, replicas, true);
    } catch {
      return 0;
    }
  }
  return 0;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
