// A client-node informer that does not give up: client-node's ListWatch stops on a list or
// watch error, so this restarts it (from its last resourceVersion, or with a fresh list after
// 410 Gone) until stopped.

import type { KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.js';

export interface RunningInformer<T extends KubernetesObject> {
  cache: Pick<ListWatch<T>, 'get' | 'list'>;
  /** Resolves once the first list is in the cache (or has failed, to be retried). */
  synced: Promise<void>;
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;

/**
 * Starts the informer. The cache is usable at once (empty until the first list): handlers may
 * read it while the first list is still delivering its objects.
 */
export function runInformer<T extends KubernetesObject>(
  client: KubeClient,
  path: string,
  selectors: { fieldSelector?: string; labelSelector?: string },
  onChange: (obj: T) => void,
  logger: Logger,
): RunningInformer<T> {
  const lw = client.informer<T>(path, selectors);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  lw.on('add', onChange);
  lw.on('update', onChange);
  lw.on('delete', onChange);
  lw.on('error', (err: any) => {
    if (stopped) return;
    logger.warn({ err: String(err?.message ?? err) }, 'informer failed; restarting');
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped) void lw.start();
    }, RESTART_DELAY_MS);
  });
  return {
    cache: lw,
    synced: lw.start(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await lw.stop();
    },
  };
}
