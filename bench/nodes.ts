// `npm run bench` (second part): how fast the embedded nodes start pods, and what the node
// agents cost in memory.
//
// The control plane runs as its own process (`hotpod up --in-memory --nodes 0`); this process
// runs the scheduler and three simulated nodes on a worker thread (`startNodesThread`, as `hotpod
// up` runs them, talking to the API server over HTTPS only) and the load generator on its main
// thread, so the three do not share an event loop. It creates BENCH_NODE_PODS (1,000)
// two-container pods with BENCH_CONCURRENCY (32) requests in flight and measures:
//   - pods started per second: pods Ready (every container running, status written through
//     pods/status) divided by the time from the first create to the last Ready;
//   - CPU per pod started: of the API server, of the nodes' thread, of the load generator
//     (this process less the nodes' thread), and of the machine's other processes (a WARNING
//     says when they used more than a fifth of a core), and per thread of the two processes
//     (main, the nodes' worker, V8's compiler and GC threads: Node names them all `node`);
//   - API writes per pod: the API server's resourceVersion moves once per write of any kind;
//   - the agents' memory per 1,000 running pods: the nodes' thread's heap after a GC with the
//     pods running minus before (scheduler and agent caches, container records, status
//     bookkeeping), and this process's RSS likewise (the load generator's share is a few
//     hundred bytes per pod);
//   - pods deleted per second: graceful deletion until every pod is gone;
//   - pods started per second by the nodes alone: the pods are created while no node runs, then
//     the scheduler and nodes start, and the clock runs until the last pod is Ready (the create
//     rate of the load generator out of the picture);
//   - pods started per second with everything in one `hotpod up --nodes 3` (API server on its
//     main thread, nodes on their thread), pods created from this process: what a user sees.
// Before the first measurement BENCH_NODE_WARMUP (500) pods are started and deleted, so the
// figures are of warmed-up processes (0: cold).
// Knobs (environment): BENCH_NODE_PODS, BENCH_NODE_WARMUP, BENCH_CONCURRENCY, BENCH_VERBOSE=1,
// BENCH_SERVER_NODE_ARGS (node flags for the control plane, e.g. --cpu-prof).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startNodesThread, type NodesThread, type NodesThreadOptions } from '../src/node/thread.js';
import { Informer, KubeClient } from '../src/kube/index.js';
import { envInt, envIntOrZero, spawnHotpodUp, type RunningHotpod } from './common.js';
import { busyWarning, cpuMeter, threadCpuSeconds, threadCpuSpan, type CpuSpan } from './cpu.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_NODE_PODS', 1000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const WARMUP = envIntOrZero('BENCH_NODE_WARMUP', 500);
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NODES = 3;
const NS = 'bench-nodes';

function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-nodes] ${msg}\n`);
}

async function startControlPlane(dataDir: string, nodes = 0): Promise<RunningHotpod> {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const { HOTPOD_NODES: _n, HOTPOD_MAX_PODS: _m, HOTPOD_NO_HOT_PATCH: _h, ...env } = process.env;
  const args = ['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', String(nodes), '--max-pods', String(Math.ceil(PODS / NODES) + 50), '--no-controller', '--log-level', 'warn'];
  return spawnHotpodUp(args, { env, nodeArgs, readyTimeoutMs: 60_000 });
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

function pod(i: number, prefix = 'gs'): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${prefix}-${i}`, namespace: NS, labels: { app: 'bench' } },
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

type Times = { created?: number; bound?: number; ready?: number };

/** Watches the bench's pods: which are Ready, when each was created, bound and Ready. */
async function watchPods(client: KubeClient, logger: pino.Logger) {
  const ready = new Set<string>();
  const times = new Map<string, Times>();
  const timesOf = (name: string) => {
    let t = times.get(name);
    if (!t) times.set(name, (t = {}));
    return t;
  };
  let onChange = () => {};
  const informer = new Informer<Json>(client, { apiVersion: 'v1', kind: 'Pod', namespace: NS, logger });
  informer.onChange((p) => {
    const t = timesOf(p.metadata.name);
    if (p.spec?.nodeName && t.bound === undefined) t.bound = performance.now();
    if (p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')) {
      ready.add(p.metadata.uid);
      t.ready ??= performance.now();
    }
    onChange();
  });
  informer.start();
  await informer.waitForSync();
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
  return {
    ready,
    times,
    timesOf,
    allReady: (what: string, n = PODS) => until(() => ready.size >= n, 120_000, what),
    allGone: () => until(() => informer.cache.list(NS).length === 0, 120_000, 'all pods gone'),
    reset() {
      ready.clear();
      times.clear();
    },
    stop: () => informer.stop(),
  };
}

/** The load generator: pre-serialised bodies, kept-alive connections, answers left unparsed. */
async function createPods(client: KubeClient, onCreated: (name: string) => void = () => {}, n = PODS, prefix = 'gs'): Promise<void> {
  const bodies = Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify(pod(i, prefix))));
  await inParallel(n, CONCURRENCY, async (i) => {
    await client.request('POST', `/api/v1/namespaces/${NS}/pods`, { body: bodies[i], ignoreAnswer: true });
    onCreated(`${prefix}-${i}`);
  });
}

async function deletePods(client: KubeClient): Promise<void> {
  await client.request('DELETE', `/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: 'app=bench' } });
}

/** The API server's newest resourceVersion: one more for every write of any object. */
async function storeRevision(client: KubeClient): Promise<number> {
  const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces', { query: { limit: 1 } });
  return Number(list.metadata.resourceVersion);
}

/** CPU milliseconds per pod of each process in a span, and of the machine's others. */
function cpuPerPod(span: CpuSpan, names: Record<string, string>): string {
  const ms = (s: number) => ((1000 * s) / PODS).toFixed(2);
  return [...Object.entries(names).map(([k, label]) => `${label} ${ms(span.byProcess[k] ?? 0)}`), `other ${ms(span.other)}`].join(' / ');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-nodes-'));
  const plane = await startControlPlane(dataDir);
  const client = new KubeClient({ kubeconfig: plane.kubeconfigPath });
  const logger = pino({ level: VERBOSE ? 'info' : 'warn' }, pino.destination(2));
  // Room for every pod on three nodes.
  const nodeOptions: NodesThreadOptions = { kubeconfigPath: plane.kubeconfigPath, dataDir, count: NODES, hotPatch: true, logLevel: VERBOSE ? 'info' : 'warn', resources: { pods: Math.ceil(PODS / NODES) + 50 } };
  let nodes: NodesThread = await startNodesThread(nodeOptions);
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  const pods = await watchPods(client, logger);

  // A first batch started and deleted before measuring: the JIT compilers of the three event
  // loops have done most of their work by then (BENCH_NODE_WARMUP=0 measures a cold start).
  if (WARMUP > 0) {
    progress(`warm-up: ${WARMUP} pods`);
    await createPods(client, undefined, WARMUP, 'warm');
    await pods.allReady('warm-up pods Ready', WARMUP);
    await deletePods(client);
    await pods.allGone();
    pods.reset();
  }

  const before = await nodes.stats({ gc: true });
  gcNow();
  const rssBefore = process.memoryUsage().rss;
  progress(`creating ${PODS} pods`);
  const revision0 = await storeRevision(client);
  const cpu = cpuMeter({ server: plane.pid, bench: process.pid });
  const threads0 = { server: threadCpuSeconds(plane.pid), bench: threadCpuSeconds(process.pid) };
  const t0 = performance.now();
  await createPods(client, (name) => (pods.timesOf(name).created = performance.now()));
  const created = performance.now();
  await pods.allReady('all pods Ready');
  const started = performance.now();
  const startSpan = cpu();
  const threads = {
    server: threadCpuSpan(threads0.server, threadCpuSeconds(plane.pid)),
    bench: threadCpuSpan(threads0.bench, threadCpuSeconds(process.pid)),
  };
  const writes = (await storeRevision(client)) - revision0;
  const events = (await client.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${NS}/events`)).items.length;
  const threadCpu = ((await nodes.stats()).threadCpuSeconds ?? NaN) - (before.threadCpuSeconds ?? NaN);
  progress(`all Ready after ${((started - t0) / 1000).toFixed(2)} s`);
  const latencies = { bound: spans(pods.times, 'created', 'bound'), ready: spans(pods.times, 'bound', 'ready') };

  // Let status writes and events settle before measuring memory.
  await new Promise((r) => setTimeout(r, 1000));
  const after = await nodes.stats({ gc: true });
  gcNow();
  const rssAfter = process.memoryUsage().rss;

  progress('deleting');
  const d0 = performance.now();
  await deletePods(client);
  await pods.allGone();
  const deleted = performance.now();

  // Second run, the nodes alone: the pods are all there, unscheduled, when the nodes start.
  progress('nodes only: creating pending pods with the nodes stopped');
  await nodes.close();
  pods.reset();
  await createPods(client);
  const cpuNodesOnly = cpuMeter({ server: plane.pid, bench: process.pid });
  const n0 = performance.now();
  nodes = await startNodesThread(nodeOptions);
  await pods.allReady('all pods Ready (nodes only)');
  const nodesOnly = performance.now();
  const nodesOnlySpan = cpuNodesOnly();
  progress(`nodes only: all Ready after ${((nodesOnly - n0) / 1000).toFixed(2)} s`);
  await pods.stop();
  await nodes.close();
  client.close();
  await plane.stop();
  rmSync(dataDir, { recursive: true, force: true });

  // Third run: one `hotpod up` with its nodes, as a user runs it.
  progress('hotpod up: creating pods');
  const upDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-nodes-up-'));
  const up = await startControlPlane(upDir, NODES);
  const upClient = new KubeClient({ kubeconfig: up.kubeconfigPath });
  await upClient.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  const upPods = await watchPods(upClient, logger);
  const cpuUp = cpuMeter({ server: up.pid, bench: process.pid });
  const u0 = performance.now();
  await createPods(upClient);
  await upPods.allReady('all pods Ready (hotpod up)');
  const upStarted = performance.now();
  const upSpan = cpuUp();
  progress(`hotpod up: all Ready after ${((upStarted - u0) / 1000).toFixed(2)} s`);
  await upPods.stop();
  upClient.close();
  await up.stop();
  rmSync(upDir, { recursive: true, force: true });

  const perThousand = (bytes: number) => mib((bytes * 1000) / PODS);
  const startCpu = cpuPerPod(startSpan, { server: 'API server', bench: 'nodes + load generator' });
  const threadMs = ((1000 * threadCpu) / PODS).toFixed(2);
  const rows: [string, string][] = [
    ['pods (2 containers each), nodes', `${PODS}, ${NODES} simulated, after ${WARMUP} started and deleted`],
    ['pods created per second (API)', (PODS / ((created - t0) / 1000)).toFixed(0)],
    ['pods started per second (create → all Ready)', (PODS / ((started - t0) / 1000)).toFixed(0)],
    ['time to all Ready', `${((started - t0) / 1000).toFixed(2)} s`],
    ['latency created → bound', latency(latencies.bound)],
    ['latency bound → Ready', latency(latencies.ready)],
    ['CPU ms per pod started: by process', startCpu],
    ['  by thread: API server', byThread(threads.server)],
    ['  by thread: bench process', byThread(threads.bench)],
    ['API writes by then (every kind: pods, bindings, statuses, events, leases)', `${writes} (${(writes / PODS).toFixed(2)} per pod)`],
    ['Events written by then (scheduler and kubelets)', `${events} (${(events / PODS).toFixed(2)} per pod)`],
    ['CPU ms per pod started: nodes thread alone', Number.isFinite(threadCpu) ? threadMs : 'n/a (no /proc)'],
    ['agents: pods held', String(after.pods)],
    ['agents + scheduler heap per 1,000 running pods', perThousand(after.heapUsed - before.heapUsed)],
    ['agents + scheduler RSS per 1,000 running pods', perThousand(rssAfter - rssBefore)],
    ['pods deleted per second (graceful, until gone)', (PODS / ((deleted - d0) / 1000)).toFixed(0)],
    ['pods started per second, nodes only (pods pending, then the nodes start)', (PODS / ((nodesOnly - n0) / 1000)).toFixed(0)],
    ['  CPU ms per pod: by process', cpuPerPod(nodesOnlySpan, { server: 'API server', bench: 'nodes' })],
    ['pods started per second, one `hotpod up --nodes 3` (create → all Ready)', (PODS / ((upStarted - u0) / 1000)).toFixed(0)],
    ['  CPU ms per pod: by process', cpuPerPod(upSpan, { server: 'hotpod up', bench: 'load generator' })],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\nEmbedded nodes (${os.cpus().length} CPUs${(globalThis as { gc?: unknown }).gc ? '' : ', no --expose-gc: memory figures are rough'})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  const warning = busyWarning([
    ['create → Ready', startSpan],
    ['nodes only', nodesOnlySpan],
    ['hotpod up', upSpan],
  ]);
  if (warning) process.stdout.write(`${warning}\n`);
}

/** The busiest thread names of a process and their CPU ms per pod. */
function byThread(span: [string, number][]): string {
  return span.length ? span.slice(0, 5).map(([name, s]) => `${name} ${((1000 * s) / PODS).toFixed(2)}`).join(', ') : 'n/a (no /proc)';
}

const pct = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const latency = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(0)} ms, p99 ${pct(xs, 0.99).toFixed(0)} ms`;
function spans(times: Map<string, Times>, from: 'created' | 'bound', to: 'bound' | 'ready'): number[] {
  return [...times.values()].filter((t) => t[from] !== undefined && t[to] !== undefined).map((t) => t[to]! - t[from]!);
}

main().catch((err) => {
  process.stderr.write(`bench-nodes: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
