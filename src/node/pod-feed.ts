// One watch on every pod for all the embedded nodes. A kubelet watches only the pods bound to
// it (`fieldSelector=spec.nodeName=<node>`) and the scheduler watches them all; in one process
// that meant every pod event crossed the wire, and was parsed, twice. The scheduler and the
// agents now share this informer, and each agent hears only of the pods bound to its node
// (spec.nodeName never changes once set, so that filter is the field selector's).

import type { Logger } from 'pino';
import { Informer, type IndexedCache, type KubeClient } from '../kube/index.js';

type Json = Record<string, any>;

/** Nodes cannot work without their pods: starting fails if none can be listed by then. */
export const SYNC_TIMEOUT_MS = 120_000;

export class PodFeed {
  private readonly listeners = new Set<(pod: Json) => void>();
  private readonly informer: Informer<Json>;

  constructor(client: KubeClient, logger: Logger) {
    this.informer = new Informer<Json>(client, { apiVersion: 'v1', kind: 'Pod', namespaceIndexOnly: true, logger });
    this.informer.onChange((pod) => this.listeners.forEach((fn) => fn(pod)));
    this.informer.start();
  }

  get cache(): IndexedCache<Json> {
    return this.informer.cache;
  }

  /** Resolves once the first list is in the cache. */
  synced(): Promise<void> {
    return this.informer.waitForSync(SYNC_TIMEOUT_MS);
  }

  /** Calls `fn` on every pod change (the cache already shows it); returns the unsubscribe. */
  subscribe(fn: (pod: Json) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The pod's changes only when it is bound to `node`. */
  subscribeNode(node: string, fn: (pod: Json) => void): () => void {
    return this.subscribe((pod) => {
      if (pod.spec?.nodeName === node) fn(pod);
    });
  }

  stop(): Promise<void> {
    this.listeners.clear();
    return this.informer.stop();
  }
}
