// `npm run bench` (second part): how fast the embedded nodes start pods, and what the node
// agents cost in memory.
//
// The control plane runs as its own process (`hotpod up --in-memory --nodes 0`); this process
// runs the scheduler and three simulated nodes (`startNodes`, as `hotpod up` does, talking to
// the API server over HTTPS only) plus the load generator, so the two sides do not share an
// event loop, as kubelets and kube-apiserver do not. It creates BENCH_NODE_PODS (1,000)
// two-container pods with BENCH_CONCURRENCY (32) requests in flight and measures:
//   - pods started per second: pods Ready (every container running, status written through
//     pods/status) divided by the time from the first create to the last Ready;
//   - the agents' memory per 1,000 running pods: heap and RSS of this process after a GC, with
//     the pods running minus before (scheduler and agent caches, container records, status
//     bookkeeping; the load generator's share is a few hundred bytes per pod);
//   - pods deleted per second: graceful deletion until every pod is gone;
//   - pods started per second by the nodes alone: the pods are created while no node runs, then
//     the scheduler and nodes start, and the clock runs until the last pod is Ready (the create
//     rate of the load generator out of the picture).
// Knobs (environment): BENCH_NODE_PODS, BENCH_CONCURRENCY, BENCH_VERBOSE=1,
// BENCH_SERVER_NODE_ARGS (node flags for the control plane, e.g. --cpu-prof).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startNodes } from '../src/node/index.js';
import { KubeClient } from '../src/node/kube-client.js';
import { runInformer } from '../src/node/informer.js';
import { envInt, spawnHotpodUp, type RunningHotpod } from './common.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_NODE_PODS', 1000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NODES = 3;
const NS = 'bench-nodes';


function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-nodes] ${msg}\n`);
}


async function startControlPlane(dataDir: string): Promise<RunningHotpod> {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawnHotpodUp(['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '0', '--log-level', 'warn'], { nodeArgs, readyTimeoutMs: 60_000 });
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

async function inParallel(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

function pod(i: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `gs-${i}`, namespace: NS, labels: { app: 'bench' } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        { name: 'engine', image: 'registry.example.com/game/engine:v1' },
        { name: 'sidecar', image: 'registry.example.com/game/sidecar:v1' },
      ],
    },
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-nodes-'));
  const plane = await startControlPlane(dataDir);
  const client = await KubeClient.fromFile(plane.kubeconfigPath);
  const logger = pino({ level: VERBOSE ? 'info' : 'warn' }, pino.destination(2));
  // Room for every pod on three nodes.
  const nodeOptions = { kubeconfigPath: plane.kubeconfigPath, dataDir, count: NODES, hotPatch: true, logger, resources: { pods: Math.ceil(PODS / NODES) + 50 } };
  let nodes = await startNodes(nodeOptions);
  await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

  const ready = new Set<string>();
  const present = new Set<string>();
  const times = new Map<string, { created?: number; bound?: number; ready?: number }>();
  const timesOf = (name: string) => {
    let t = times.get(name);
    if (!t) times.set(name, (t = {}));
    return t;
  };
  let onChange = () => {};
  const watcher = runInformer<Json>(
    client,
    `/api/v1/namespaces/${NS}/pods`,
    {},
    (p) => {
      const uid = p.metadata.uid;
      const t = timesOf(p.metadata.name);
      if (p.spec?.nodeName && t.bound === undefined) t.bound = performance.now();
      if (p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')) {
        ready.add(uid);
        t.ready ??= performance.now();
      }
      present.add(uid);
      onChange();
    },
    logger,
  );
  await watcher.synced;
  const until = (pred: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not done in ${timeoutMs} ms`)), timeoutMs);
      onChange = () => {
        if (pred()) {
          clearTimeout(timer);
          onChange = () => {};
          resolve();
        }
      };
      onChange();
    });

  gcNow();
  const before = process.memoryUsage();
  progress(`creating ${PODS} pods`);
  const t0 = performance.now();
  await inParallel(PODS, CONCURRENCY, async (i) => {
    await client.request('POST', `/api/v1/namespaces/${NS}/pods`, pod(i));
    timesOf(`gs-${i}`).created = performance.now();
  });
  const created = performance.now();
  await until(() => ready.size >= PODS, 120_000, 'all pods Ready');
  const started = performance.now();
  progress(`all Ready after ${((started - t0) / 1000).toFixed(2)} s`);

  // Let status writes and events settle before measuring memory.
  await new Promise((r) => setTimeout(r, 1000));
  gcNow();
  const after = process.memoryUsage();
  const running = nodes.agents.reduce((n, a) => n + a.pods.size, 0);

  progress('deleting');
  const d0 = performance.now();
  await client.request('DELETE', `/api/v1/namespaces/${NS}/pods`, undefined, { query: { labelSelector: 'app=bench' } });
  const gone = () => watcher.cache.list(NS).length === 0;
  await until(gone, 120_000, 'all pods gone');
  const deleted = performance.now();

  // Second run, the nodes alone: the pods are all there, unscheduled, when the nodes start.
  progress('nodes only: creating pending pods with the nodes stopped');
  await nodes.close();
  ready.clear();
  await inParallel(PODS, CONCURRENCY, async (i) => {
    await client.request('POST', `/api/v1/namespaces/${NS}/pods`, pod(i));
  });
  const n0 = performance.now();
  nodes = await startNodes(nodeOptions);
  await until(() => ready.size >= PODS, 120_000, 'all pods Ready (nodes only)');
  const nodesOnly = performance.now();
  progress(`nodes only: all Ready after ${((nodesOnly - n0) / 1000).toFixed(2)} s`);

  const perThousand = (bytes: number) => mib((bytes * 1000) / PODS);
  const pct = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
  const spans = (from: 'created' | 'bound', to: 'bound' | 'ready') => [...times.values()].filter((t) => t[from] !== undefined && t[to] !== undefined).map((t) => t[to]! - t[from]!);
  const latency = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(0)} ms, p99 ${pct(xs, 0.99).toFixed(0)} ms`;
  const rows: [string, string][] = [
    ['pods (2 containers each), nodes', `${PODS}, ${NODES} simulated`],
    ['pods created per second (API)', (PODS / ((created - t0) / 1000)).toFixed(0)],
    ['pods started per second (create → all Ready)', (PODS / ((started - t0) / 1000)).toFixed(0)],
    ['time to all Ready', `${((started - t0) / 1000).toFixed(2)} s`],
    ['latency created → bound', latency(spans('created', 'bound'))],
    ['latency bound → Ready', latency(spans('bound', 'ready'))],
    ['agents: pods held', String(running)],
    ['agents + scheduler heap per 1,000 running pods', perThousand(after.heapUsed - before.heapUsed)],
    ['agents + scheduler RSS per 1,000 running pods', perThousand(after.rss - before.rss)],
    ['pods deleted per second (graceful, until gone)', (PODS / ((deleted - d0) / 1000)).toFixed(0)],
    ['pods started per second, nodes only (pods pending, then the nodes start)', (PODS / ((nodesOnly - n0) / 1000)).toFixed(0)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\nEmbedded nodes (${os.cpus().length} CPUs${(globalThis as { gc?: unknown }).gc ? '' : ', no --expose-gc: memory figures are rough'})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);

  await watcher.stop();
  await nodes.close();
  client.close();
  await plane.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`bench-nodes: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
