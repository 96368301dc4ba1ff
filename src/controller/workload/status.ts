// Counting a workload's pods for its status: the figures every workload reports under its own
// field names (GameServerSet readyReplicas, GameDeployment updatedReadyReplicas, ...).

import { condition, podIsAvailable, podIsReady, podIsUpdating } from '../../update/availability.js';
import { podRevision } from '../../update/pod-update-step.js';
import { checkCompletion } from '../../update/in-place.js';
import type { KubeObject } from '../../kube/index.js';

export interface PodCounts {
  /** Pods that exist and are not terminating. */
  replicas: number;
  /** Ready and not out of service for an update. */
  ready: number;
  /** Ready for minReadySeconds, not terminating, not mid-update (podIsAvailable). */
  available: number;
  /** On the update revision. */
  updated: number;
  /**
   * On the update revision, ready, and the node has confirmed the update (checkCompletion): a
   * hot-patched pod stays Ready throughout, so readiness alone would count it before the node
   * has swapped the image, or after it restarted the container instead.
   */
  updatedReady: number;
}

export function countPods(pods: KubeObject[], opts: { updateRevision: string; minReadySeconds?: number; now: number }): PodCounts {
  const counts: PodCounts = { replicas: 0, ready: 0, available: 0, updated: 0, updatedReady: 0 };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    counts.replicas++;
    // A pod out of service for an in-place update is not ready, even before the node has
    // turned its Ready condition False (its readiness gate already is).
    const ready = podIsReady(pod) && !podIsUpdating(pod);
    const updated = podRevision(pod) === opts.updateRevision;
    if (ready) counts.ready++;
    if (podIsAvailable(pod, opts.minReadySeconds ?? 0, opts.now)) counts.available++;
    if (updated) counts.updated++;
    if (updated && ready && checkCompletion(pod).done) counts.updatedReady++;
  }
  return counts;
}

/**
 * Available, and no update under way that the node has not confirmed: a hot-patched pod stays
 * available throughout, but until the node confirms it, it uses a rollout's budget too.
 */
export function podIsSettled(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return podIsAvailable(pod, minReadySeconds, now) && checkCompletion(pod).done;
}

/**
 * When the next ready pod becomes available by minReadySeconds (ms from now), for a reconcile to
 * look again then; undefined when none is waiting for it.
 */
export function nextAvailableInMs(pods: KubeObject[], minReadySeconds: number, now: number): number | undefined {
  if (!(minReadySeconds > 0)) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp || !podIsReady(pod) || podIsAvailable(pod, minReadySeconds, now)) continue;
    const since = Date.parse(condition(pod, 'Ready')?.lastTransitionTime ?? '');
    if (!Number.isFinite(since)) continue;
    const wait = Math.max(1, since + minReadySeconds * 1000 - now);
    next = next === undefined ? wait : Math.min(next, wait);
  }
  return next;
}
