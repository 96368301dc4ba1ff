// The worker thread's side of thread.ts: starts the nodes with the options it was given, then
// answers stats requests and stops them when asked.

import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startNodes } from './index.js';
import type { FromThread, NodesThreadOptions, NodesThreadStats, ToThread } from './thread.js';

const port = parentPort!;
const reply = (msg: FromThread) => port.postMessage(msg);

/** utime + stime of this thread, from /proc/thread-self/stat (ticks of 10 ms). */
function threadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { logLevel, ...options } = workerData as NodesThreadOptions;
  const logger = pino({ level: logLevel }, pino.destination(2));
  let nodes;
  try {
    nodes = await startNodes({ ...options, logger });
  } catch (err) {
    reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const running = nodes;
  port.on('message', (msg: ToThread) => {
    if (msg.type === 'stats') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (msg.gc && gc) {
        gc();
        gc();
      }
      const stats: NodesThreadStats = {
        pods: running.agents.reduce((n, a) => n + a.pods.size, 0),
        heapUsed: getHeapStatistics().used_heap_size,
        threadCpuSeconds: threadCpuSeconds(),
      };
      reply({ type: 'stats', id: msg.id, stats });
    } else if (msg.type === 'close') {
      void running.close().finally(() => {
        logger.flush();
        reply({ type: 'closed' });
      });
    }
  });
  reply({ type: 'ready' });
}

void main();
