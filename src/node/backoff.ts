// Kubelet's back-off (k8s.io/client-go/util/flowcontrol.Backoff) as plain data: one entry per
// container for crash restarts and one per image pull. The delay starts at `baseMs`, doubles
// each time it is used up to `maxMs`, and is forgotten after 2 × maxMs without use, so a
// container that has run well for a while restarts at once again.

export interface BackoffEntry {
  delayMs: number;
  /** When the entry was last advanced (epoch ms). */
  lastUpdate: number;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Kubelet's values: 10 s doubling to 5 min, for both crash restarts and image pulls. */
export const KUBELET_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 300_000 };

function expired(entry: BackoffEntry, now: number, policy: BackoffPolicy): boolean {
  return now - entry.lastUpdate > 2 * policy.maxMs;
}

/** The entry after one more use: the base delay when new or forgotten, else twice the last. */
export function nextBackoff(entry: BackoffEntry | undefined, now: number, policy: BackoffPolicy): BackoffEntry {
  if (!entry || expired(entry, now, policy)) return { delayMs: policy.baseMs, lastUpdate: now };
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), lastUpdate: now };
}

/**
 * When the wait that began at `since` ends, or undefined when there is no wait. Crash restarts
 * count from the container's finish time, image pulls from the last attempt.
 */
export function backoffUntil(entry: BackoffEntry | undefined, since: number, now: number, policy: BackoffPolicy): number | undefined {
  if (!entry || expired(entry, now, policy)) return undefined;
  const until = since + entry.delayMs;
  return now < until ? until : undefined;
}

