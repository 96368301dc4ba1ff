// Events expire an hour after their last write, as kube-apiserver stores them (--event-ttl,
// an etcd lease renewed on each write): without it a long-running `hotpod up` keeps every Event
// it was ever sent, and its memory grows with each rollout. Expiry is a delete, so watchers see
// DELETED as they do when etcd drops a leased key.

import type { Logger } from 'pino';
import type { KObject } from '../types.js';
import type { Store } from '../storage/store.js';

const DEFAULT_EVENT_TTL_MS = 60 * 60_000;
/** Event storage of both APIs (core v1 and events.k8s.io). */
const EVENT_RESOURCES = ['/events', 'events.k8s.io/events'];

interface EventTtlOptions {
  ttlMs?: number;
  /** How often expired Events are looked for; default a minute, or the TTL when shorter. */
  sweepMs?: number;
}

export function startEventTtl(store: Store, logger: Logger, opts: EventTtlOptions = {}): () => void {
  const ttlMs = opts.ttlMs ?? DEFAULT_EVENT_TTL_MS;
  // When each Event was last written; Events found at start count from now, as a lease
  // granted at start would.
  const written = new Map<string, { at: number; groupResource: string }>();
  const keyOf = (groupResource: string, o: KObject) => `${groupResource}|${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const now = Date.now();
  for (const gr of EVENT_RESOURCES) for (const o of store.list(gr)) written.set(keyOf(gr, o), { at: now, groupResource: gr });
  const unsubscribe = store.subscribe((e) => {
    if (!EVENT_RESOURCES.includes(e.groupResource)) return;
    const key = keyOf(e.groupResource, e.object);
    if (e.type === 'DELETED') written.delete(key);
    else written.set(key, { at: Date.now(), groupResource: e.groupResource });
  });
  const sweep = () => {
    const expired = Date.now() - ttlMs;
    for (const [key, w] of written) {
      if (w.at > expired) continue;
      written.delete(key);
      const [, nsName] = key.split('|') as [string, string];
      const slash = nsName.indexOf('/');
      const current = store.get(w.groupResource, nsName.slice(0, slash) || undefined, nsName.slice(slash + 1));
      if (current) store.remove(w.groupResource, current).catch((err: unknown) => logger.warn({ err, key }, 'could not expire an Event'));
    }
  };
  const timer = setInterval(sweep, opts.sweepMs ?? Math.min(60_000, ttlMs));
  timer.unref();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
