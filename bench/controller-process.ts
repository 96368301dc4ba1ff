// The controller alone in a process of its own, as `hotpod controller` runs it, for benchmarks
// that want its memory without theirs: forked with an IPC channel and the kubeconfig path as its
// argument, it sends `{ ready: true }` once running and answers every `'memory'` message with
// its memoryUsage() after a full GC (run it with --expose-gc), `{ snapshot: dir }` with the path
// of a heap snapshot written there, and `'stop'` by stopping.

import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController } from '../src/controller/index.js';

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig || !process.send) throw new Error('usage: fork(controller-process.js, [kubeconfig]) with an IPC channel');
  const logger = pino({ level: process.env.BENCH_VERBOSE === '1' ? 'info' : 'warn' }, pino.destination(2));
  const controller = await startController({ kubeconfig, logger });
  process.on('message', (msg) => {
    if (msg === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        gc();
        gc();
      }
      process.send!({ memory: process.memoryUsage(), gc: Boolean(gc) });
    } else if (typeof msg === 'object' && msg !== null && 'snapshot' in msg) {
      const dir = String((msg as { snapshot: unknown }).snapshot);
      process.send!({ snapshotPath: writeHeapSnapshot(join(dir, `controller-${Date.now()}.heapsnapshot`)) });
    } else if (msg === 'stop') {
      void controller.stop().finally(() => process.exit(0));
    }
  });
  process.send({ ready: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`controller-process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
