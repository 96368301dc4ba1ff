// The embedded nodes on a worker thread of their own. `hotpod up` runs the API server (and the
// controller) on its main thread; were the scheduler and the agents there too, every pod's
// bind, container start and status write would wait in the same event loop as the requests
// they cause, and a burst of pods would use one core of the machine. On their own thread they
// are what they are in a cluster: separate programs that reach the API server over HTTPS only.
//
// The thread (`thread-main.ts`) runs `startNodes` with the same options; this side starts it,
// asks it for its figures (benchmarks) and stops it.

import { Worker } from 'node:worker_threads';
import type { NodesOptions } from './index.js';

/** `startNodes`' options, without the logger: the thread makes its own at this level. */
export type NodesThreadOptions = Omit<NodesOptions, 'logger'> & { logLevel: string };

/** What the thread reports about itself (for benchmarks). */
export interface NodesThreadStats {
  /** Pods the agents hold. */
  pods: number;
  /** The thread's own V8 heap in use, after a GC when the process runs with --expose-gc. */
  heapUsed: number;
  /** CPU seconds of the thread alone (Linux; undefined elsewhere). */
  threadCpuSeconds?: number;
}

export interface NodesThread {
  stats(opts?: { gc?: boolean }): Promise<NodesThreadStats>;
  /** Stops the nodes as `EmbeddedNodes.close` does, then the thread. */
  close(): Promise<void>;
}

/** Messages from the thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'stats'; id: number; stats: NodesThreadStats }
  | { type: 'closed' };

/** Messages to the thread. */
export type ToThread = { type: 'stats'; id: number; gc: boolean } | { type: 'close' };

/**
 * Starts the nodes on a worker thread and resolves once they are registered and watching (as
 * `startNodes` does). `onCrash` hears of an error that ends the thread later on.
 */
export async function startNodesThread(o: NodesThreadOptions, onCrash: (err: Error) => void = () => {}): Promise<NodesThread> {
  // No nodes: no scheduler either (as startNodes), so no thread.
  if (o.count === 0) return { stats: async () => ({ pods: 0, heapUsed: 0 }), close: async () => {} };
  const worker = new Worker(new URL('./thread-main.js', import.meta.url), { workerData: o });
  const statsWaiters = new Map<number, (s: NodesThreadStats) => void>();
  let closing: Promise<void> | undefined;
  let nextId = 0;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const early = (err: Error) => reject(err);
    const exitEarly = (code: number) => reject(new Error(`node thread exited with code ${code} before it was ready`));
    worker.once('error', early);
    worker.once('exit', exitEarly);
    worker.on('message', function first(msg: FromThread) {
      if (msg.type !== 'ready' && msg.type !== 'failed') return;
      worker.off('message', first);
      worker.off('error', early);
      worker.off('exit', exitEarly);
      if (msg.type === 'ready') resolve();
      else reject(new Error(msg.message));
    });
  }).catch(async (err) => {
    await worker.terminate();
    throw err;
  });

  worker.on('error', (err) => {
    if (!closing) onCrash(err);
  });
  worker.on('message', (msg: FromThread) => {
    if (msg.type === 'stats') {
      statsWaiters.get(msg.id)?.(msg.stats);
      statsWaiters.delete(msg.id);
    }
  });
  const send = (msg: ToThread) => worker.postMessage(msg);

  return {
    stats({ gc = false } = {}) {
      const id = nextId++;
      return new Promise((resolve) => {
        statsWaiters.set(id, resolve);
        send({ type: 'stats', id, gc });
      });
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => worker.on('message', (m: FromThread) => m.type === 'closed' && resolve()));
        send({ type: 'close' });
        await Promise.race([closed, exited]);
        await worker.terminate();
      })();
      return closing;
    },
  };
}
