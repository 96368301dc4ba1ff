// `npm run bench`: throughput and latency of the embedded API server, as issue 2 asks.
//
// The server runs as a separate process (`hotpod up --port 0` on a temp data dir), once with
// persistence on (SQLite) and once with --in-memory, so the load generator never shares its
// event loop. The load generator talks HTTPS through a keep-alive Agent with a fixed number of
// requests in flight and measures:
//   - create throughput: POST of small two-container pods,
//   - patch throughput: merge patches of those pods,
//   - list latency of 10,000 pods: full JSON list, full Table list, and kubectl's paged Table
//     list (limit=500 with continue tokens),
//   - watch delivery latency with 100 concurrent watchers, from the moment a write is sent to
//     the moment each watcher has its event (writes at fixed rates, then as fast as possible).
// Each phase also reports the CPU used by the server, by the load generator and by every other
// process on the machine: on a shared 2-core machine that last column says whether a number
// can be trusted.
// It prints one table to stdout and nothing else.
//
// Knobs (environment): BENCH_CONCURRENCY (32 requests in flight), BENCH_PODS (10000),
// BENCH_WATCHERS (100), BENCH_WATCH_RATES (100,500 writes/s), BENCH_WATCH_SECONDS (5 per rate),
// BENCH_WATCH_BURST (2000 writes), BENCH_WARMUP (2000), BENCH_LIST_RUNS (15),
// BENCH_MODES (persisted,in-memory).
// Diagnostics: BENCH_VERBOSE=1 (progress, server output, watch latency over time, on stderr),
// BENCH_CPU_PROF=DIR (the server runs under `node --cpu-prof`; progress lines carry `mono=`
// timestamps on the profile's clock, to cut the profile by phase), BENCH_SERVER_NODE_ARGS.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { envInt, projectRoot } from './common.js';

const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const PODS = envInt('BENCH_PODS', 10_000);
const WATCHERS = envInt('BENCH_WATCHERS', 100);
const WATCH_RATES = (process.env.BENCH_WATCH_RATES ?? '100,500').split(',').map((v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_WATCH_RATES: not a rate: ${v}`);
  return n;
});
const WATCH_PACED_SECONDS = envInt('BENCH_WATCH_SECONDS', 5);
const WATCH_BURST_WRITES = envInt('BENCH_WATCH_BURST', 2_000);
const WARMUP = envInt('BENCH_WARMUP', 2_000);
const LIST_RUNS = envInt('BENCH_LIST_RUNS', 15);
const MODES = (process.env.BENCH_MODES ?? 'persisted,in-memory').split(',').map((s) => s.trim()) as Mode[];
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks

type Mode = 'persisted' | 'in-memory';


function progress(msg: string): void {
  // mono: CLOCK_MONOTONIC in µs, the clock of the server's --cpu-prof timestamps, to cut a profile by phase.
  if (VERBOSE) process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s mono=${process.hrtime.bigint() / 1000n}] ${msg}\n`);
}

// ---- server process --------------------------------------------------------------------------


function cliPath(): string {
  for (const p of ['dist/src/cli/main.js', 'dist/cli/main.js']) {
    const abs = join(projectRoot, p);
    if (existsSync(abs)) return abs;
  }
  throw new Error('hotpod CLI not built (run npm run build)');
}

interface Server {
  proc: ChildProcess;
  dataDir: string;
  url: URL;
  token: string;
  ca: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Servers still running, killed if the bench exits early (an error, Ctrl-C). */
const children = new Set<ChildProcess>();
const dataDirs = new Set<string>();
process.on('exit', () => {
  for (const p of children) p.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const p of children) p.kill('SIGKILL');
    process.exit(130);
  });
}

async function startServer(mode: Mode): Promise<Server> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-'));
  dataDirs.add(dataDir);
  const nodeArgs = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=server-${mode}-${Date.now()}.cpuprofile`] : [];
  nodeArgs.push(...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const args = [...nodeArgs, cliPath(), 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'];
  if (mode === 'in-memory') args.push('--in-memory');
  // The API server alone: `hotpod up` also starts embedded nodes (a scheduler and kubelets that
  // would bind and run the bench's pods) and the controller; the environment turns both off
  // (an environment variable, unlike a flag, is harmlessly ignored by a CLI without the option).
  const env = { ...process.env, NODE_OPTIONS: '', HOTPOD_NODES: '0', HOTPOD_NO_CONTROLLER: '1' };
  const proc = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  let log = '';
  const append = (d: string) => {
    log = (log + d).slice(-32_768);
    if (VERBOSE) process.stderr.write(d.replace(/^(?=.)/gm, '  [server] '));
  };
  proc.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  const kubeconfigPath = await new Promise<string>((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`hotpod up did not become ready in 60 s:\n${log}`)), 60_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      append(d);
      buf += d;
      const m = /KUBECONFIG=(\S+)\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      rej(new Error(`hotpod up exited before it was ready:\n${log}`));
    });
  });
  const kc = YAML.parse(readFileSync(kubeconfigPath, 'utf8')) as any;
  const ctxName = kc['current-context'];
  const ctx = (kc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? kc.contexts?.[0]?.context;
  const cluster = (kc.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster ?? kc.clusters[0].cluster;
  const user = (kc.users ?? []).find((u: any) => u.name === ctx?.user)?.user ?? kc.users[0].user;
  return {
    proc,
    dataDir,
    url: new URL(cluster.server),
    token: user.token,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
      dataDirs.delete(dataDir);
    },
  };
}

/** CPU seconds (user + system, all threads) the process has used so far. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}

function clientCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds the whole machine spent busy (all cores, /proc/stat). */
function machineBusySeconds(): number {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
  void idle;
  void iowait;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

/** CPU use during a phase, as fractions of one core. `other` is every other process on the machine. */
interface CpuUse {
  server: number;
  client: number;
  other: number;
}

function cpuMeter(server: Server): () => CpuUse {
  const pid = server.proc.pid!;
  const s0 = processCpuSeconds(pid);
  const c0 = clientCpuSeconds();
  const m0 = machineBusySeconds();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const srv = processCpuSeconds(pid) - s0;
    const cli = clientCpuSeconds() - c0;
    const all = machineBusySeconds() - m0;
    return { server: srv / seconds, client: cli / seconds, other: Math.max(0, all - srv - cli) / seconds };
  };
}

// ---- HTTP client -----------------------------------------------------------------------------

interface Response {
  status: number;
  body: Buffer;
}

class Client {
  readonly agent: https.Agent;

  constructor(
    private readonly server: Server,
    maxSockets: number,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets, ca: server.ca });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          agent: this.agent,
          host: this.server.url.hostname,
          port: this.server.url.port,
          method,
          path,
          headers: {
            Authorization: `Bearer ${this.server.token}`,
            Accept: 'application/json',
            ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async expect(code: number | number[], method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> {
    const res = await this.request(method, path, body, headers);
    const ok = Array.isArray(code) ? code.includes(res.status) : res.status === code;
    if (!ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---- measurement helpers ---------------------------------------------------------------------

interface PoolResult {
  ops: number;
  seconds: number;
  errors: number;
  firstError?: string;
  latencies: Float64Array; // ms per operation
  cpu: CpuUse;
}

/** Runs `n` operations with `concurrency` in flight; measures throughput and per-op latency. */
async function pool(server: Server, n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<PoolResult> {
  const latencies = new Float64Array(n);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const meter = cpuMeter(server);
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      try {
        await op(i);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      latencies[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    ops: n,
    seconds,
    errors,
    firstError,
    latencies,
    cpu: meter(),
  };
}

function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

// ---- workload --------------------------------------------------------------------------------

const BENCH_NS = 'bench';
const WATCH_NS = 'bench-watch';
const WARM_NS = 'bench-warm';

/** A realistic small pod: a game server and a sidecar. */
function pod(i: number): unknown {
  const name = `gs-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'arena', 'hotpod.dev/set': `arena-${i % 20}`, 'hotpod.dev/revision': 'r1' },
      annotations: { 'hotpod.dev/slot': String(i) },
    },
    spec: {
      containers: [
        {
          name: 'server',
          image: 'registry.example.com/arena/server:1.42.0',
          args: ['--port=7777', '--tick=60'],
          ports: [{ name: 'game', containerPort: 7777, protocol: 'UDP' }],
          env: [
            { name: 'ARENA_MODE', value: 'ranked' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
          readinessProbe: { tcpSocket: { port: 7777 }, periodSeconds: 5 },
        },
        {
          name: 'agent',
          image: 'registry.example.com/arena/agent:0.9.3',
          ports: [{ name: 'metrics', containerPort: 9090 }],
          resources: { requests: { cpu: '50m', memory: '64Mi' } },
        },
      ],
    },
  };
}

function configMap(name: string, sent: number): unknown {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { 'bench.hotpod.dev/sent-ms': sent.toFixed(3) } }, data: { k: 'v' } };
}

async function ensureNamespace(c: Client, name: string): Promise<void> {
  await c.expect([201, 409], 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function check(res: Response, code: number, what: string): void {
  if (res.status !== code) throw new Error(`${what}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
}

interface ListResult {
  cpu?: CpuUse;
  runs: number;
  latencies: number[];
  bytes: number;
  items: number;
}

/** Times `once` (which returns the response bodies); the bodies are checked outside the timing. */
async function measureList(runs: number, once: () => Promise<Buffer[]>, count: (bodies: Buffer[]) => number): Promise<ListResult> {
  const latencies: number[] = [];
  let bodies = await once(); // warm-up, not counted
  const items = count(bodies);
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    bodies = await once();
    latencies.push(performance.now() - t);
  }
  return { runs, latencies, bytes: bodies.reduce((n, b) => n + b.length, 0), items };
}

interface WatchPhase {
  /** writes per second asked for; undefined: as fast as possible */
  rate?: number;
  writes: number;
  seconds: number;
  expected: number;
  received: number;
  latencies: Float64Array;
  cpu: CpuUse;
  clientLoopDelayP99: number;
}

interface ModeResult {
  create: PoolResult;
  patch: PoolResult;
  listJson: ListResult;
  listTable: ListResult;
  listPaged: ListResult;
  watch: WatchPhase[];
}

async function runMode(mode: Mode): Promise<ModeResult> {
  progress(`${mode}: starting server`);
  const server = await startServer(mode);
  const c = new Client(server, CONCURRENCY);
  try {
    for (const ns of [BENCH_NS, WATCH_NS, WARM_NS]) await ensureNamespace(c, ns);

    // Warm-up (JIT, TLS sessions, SQLite pages): configmap creates and patches, not counted.
    progress(`${mode}: warm-up`);
    await pool(server, WARMUP, CONCURRENCY, async (i) => {
      check(await c.request('POST', `/api/v1/namespaces/${WARM_NS}/configmaps`, configMap(`warm-${i}`, 0)), 201, 'warm-up create');
    });
    await pool(server, WARMUP, CONCURRENCY, async (i) => {
      const res = await c.request('PATCH', `/api/v1/namespaces/${WARM_NS}/configmaps/warm-${i}`, { data: { k: `v${i}` } }, { 'Content-Type': 'application/merge-patch+json' });
      check(res, 200, 'warm-up patch');
    });

    progress(`${mode}: create ${PODS} pods`);
    const podPath = `/api/v1/namespaces/${BENCH_NS}/pods`;
    const bodies = Array.from({ length: PODS }, (_, i) => JSON.stringify(pod(i)));
    const create = await pool(server, PODS, CONCURRENCY, async (i) => {
      check(await c.request('POST', podPath, bodies[i]), 201, 'create pod');
    });

    progress(`${mode}: patch ${PODS} pods`);
    const patch = await pool(server, PODS, CONCURRENCY, async (i) => {
      const name = `gs-${String(i).padStart(5, '0')}`;
      const body = `{"metadata":{"labels":{"hotpod.dev/revision":"r2"},"annotations":{"hotpod.dev/patched":"${i}"}}}`;
      check(await c.request('PATCH', `${podPath}/${name}`, body, { 'Content-Type': 'application/merge-patch+json' }), 200, 'patch pod');
    });

    progress(`${mode}: list (JSON, Table, paged Table)`);
    const listMeter = cpuMeter(server);
    const listJson = await measureList(
      LIST_RUNS,
      async () => [(await c.expect(200, 'GET', '/api/v1/pods')).body],
      (b) => countItems(b, 'items'),
    );
    const listTable = await measureList(
      LIST_RUNS,
      async () => [(await c.expect(200, 'GET', '/api/v1/pods', undefined, { Accept: TABLE_ACCEPT })).body],
      (b) => countItems(b, 'rows'),
    );
    // kubectl get pages with limit=500; reading the continue token is part of the loop.
    const listPaged = await measureList(
      Math.max(3, Math.ceil(LIST_RUNS / 3)),
      async () => {
        const pages: Buffer[] = [];
        let cont = '';
        do {
          const res = await c.expect(200, 'GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, { Accept: TABLE_ACCEPT });
          pages.push(res.body);
          cont = continueToken(res.body);
        } while (cont);
        return pages;
      },
      (b) => countItems(b, 'rows'),
    );
    listJson.cpu = listMeter();
    progress(`${mode}: lists done`);
    for (const [what, l] of [['JSON list', listJson], ['Table list', listTable], ['paged Table list', listPaged]] as const) {
      if (l.items !== PODS) throw new Error(`${what} returned ${l.items} pods, expected ${PODS}`);
    }

    progress(`${mode}: watch`);
    const watch = await measureWatch(server, c);
    return { create, patch, listJson, listTable, listPaged, watch };
  } catch (err) {
    throw new Error(`${mode}: ${(err as Error).message}\nserver output:\n${server.log()}`);
  } finally {
    c.close();
    await server.stop();
  }
}

/** How many items (or Table rows) the response bodies hold. */
function countItems(bodies: Buffer[], key: 'items' | 'rows'): number {
  return bodies.reduce((n, b) => n + ((JSON.parse(b.toString('utf8'))[key] ?? []) as unknown[]).length, 0);
}

/** metadata.continue of a list or Table, found without parsing the whole body (it comes first). */
function continueToken(body: Buffer): string {
  const head = body.subarray(0, 4096).toString('utf8');
  const m = /"continue":"([^"]*)"/.exec(head);
  return m ? m[1] : '';
}

/**
 * WATCHERS watchers on one namespace's configmaps. Each write is a configmap create whose name
 * maps to the time it was sent (the time also rides in an annotation); every watcher records,
 * for every event, now - sent. First one phase per rate in WATCH_RATES, writing at that rate
 * (open loop: each write is sent at its scheduled time), then one phase writing as fast as
 * CONCURRENCY requests in flight allow.
 */
async function measureWatch(server: Server, c: Client): Promise<WatchPhase[]> {
  const watchAgent = new https.Agent({ keepAlive: false, maxSockets: Infinity, ca: server.ca });
  interface Recording {
    id: string;
    rate?: number;
    writes: number;
    latencies: Float64Array;
    sent: Float64Array; // send time of each recorded event (VERBOSE only, for the time series)
    n: number;
  }
  const recordings = new Map<string, Recording>();
  const record = (id: string, writes: number, rate?: number): Recording => {
    const r = { id, rate, writes, latencies: new Float64Array(writes * WATCHERS), sent: new Float64Array(VERBOSE ? writes * WATCHERS : 0), n: 0 };
    recordings.set(id, r);
    return r;
  };
  const plan = [...WATCH_RATES.map((rate, k) => record(`p${k}`, rate * WATCH_PACED_SECONDS, rate)), record('f', WATCH_BURST_WRITES)];
  const sentAt = new Map<string, number>();
  let unknown = 0;
  let stopping = false;
  let onProgress: (() => void) | undefined;

  const list = await c.expect(200, 'GET', `/api/v1/namespaces/${WATCH_NS}/configmaps`);
  const rv = JSON.parse(list.body.toString('utf8')).metadata.resourceVersion as string;
  const requests: ReturnType<typeof https.request>[] = [];
  await Promise.all(
    Array.from(
      { length: WATCHERS },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = https.request(
            {
              agent: watchAgent,
              host: server.url.hostname,
              port: server.url.port,
              path: `/api/v1/namespaces/${WATCH_NS}/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=600`,
              headers: { Authorization: `Bearer ${server.token}`, Accept: 'application/json' },
            },
            (res) => {
              if (res.statusCode !== 200) return reject(new Error(`watch: HTTP ${res.statusCode}`));
              let partial = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                const now = performance.now();
                let text = partial + chunk;
                let nl: number;
                while ((nl = text.indexOf('\n')) >= 0) {
                  const line = text.slice(0, nl);
                  text = text.slice(nl + 1);
                  // The first "name" of a configmap event is metadata.name; a full JSON.parse per
                  // event per watcher would make the load generator, not the server, the bottleneck.
                  const at = line.indexOf('"name":"');
                  const name = at < 0 ? '' : line.slice(at + 8, line.indexOf('"', at + 8));
                  const sent = sentAt.get(name);
                  const rec = sent === undefined ? undefined : recordings.get(name.slice(0, name.indexOf('-')));
                  if (sent === undefined || rec === undefined) {
                    unknown++;
                    continue;
                  }
                  if (VERBOSE) rec.sent[rec.n] = sent;
                  rec.latencies[rec.n++] = now - sent;
                }
                partial = text;
                onProgress?.();
              });
              resolve();
            },
          );
          req.on('error', (err) => {
            if (!stopping) reject(err);
          });
          requests.push(req);
          req.end();
        }),
    ),
  );

  const waitDelivered = (rec: Recording) =>
    new Promise<void>((resolve) => {
      const expected = rec.writes * WATCHERS;
      const deadline = setTimeout(done, 15_000);
      function done() {
        clearTimeout(deadline);
        onProgress = undefined;
        resolve();
      }
      onProgress = () => {
        if (rec.n >= expected) done();
      };
      onProgress();
    });

  const write = async (name: string) => {
    const sent = performance.now();
    sentAt.set(name, sent);
    check(await c.request('POST', `/api/v1/namespaces/${WATCH_NS}/configmaps`, configMap(name, sent)), 201, 'watch write');
  };

  // The histogram counts the sampling interval itself: delay = value - LOOP_RESOLUTION_MS.
  const LOOP_RESOLUTION_MS = 5;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const loopDelayMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  const results: WatchPhase[] = [];
  for (const rec of plan) {
    progress(`watch: ${rec.rate ? `${rec.rate} writes/s` : 'writes flat out'}`);
    loopDelay.reset();
    loopDelay.enable();
    const meter = cpuMeter(server);
    const t0 = performance.now();
    let writeSeconds: number;
    if (rec.rate) {
      const rate = rec.rate;
      const inflight: Promise<void>[] = [];
      await new Promise<void>((resolve) => {
        let i = 0;
        const tick = () => {
          const due = Math.min(rec.writes, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
          for (; i < due; i++) inflight.push(write(`${rec.id}-${i}`));
          if (i < rec.writes) setTimeout(tick, 1);
          else resolve();
        };
        tick();
      });
      await Promise.all(inflight);
      writeSeconds = (performance.now() - t0) / 1000;
    } else {
      const writes = await pool(server, rec.writes, CONCURRENCY, (i) => write(`${rec.id}-${i}`));
      if (writes.errors) throw new Error(`watch writes failed: ${writes.firstError}`);
      writeSeconds = writes.seconds;
    }
    await waitDelivered(rec);
    loopDelay.disable();
    results.push({
      rate: rec.rate,
      writes: rec.writes,
      seconds: writeSeconds,
      expected: rec.writes * WATCHERS,
      received: rec.n,
      latencies: rec.latencies.subarray(0, rec.n),
      cpu: meter(),
      clientLoopDelayP99: loopDelayMs(loopDelay.percentile(99)),
    });
    if (VERBOSE) {
      // Latency over time (by send time, 250 ms buckets): stalls show up as a bucket's max.
      const buckets = new Map<number, number[]>();
      for (let i = 0; i < rec.n; i++) {
        const b = Math.floor((rec.sent[i] - rec.sent[0]) / 250);
        let arr = buckets.get(b);
        if (!arr) buckets.set(b, (arr = []));
        arr.push(rec.latencies[i]);
      }
      const series = [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([b, arr]) => `${b * 250}:${fmtMs(percentile(arr, 50))}/${fmtMs(percentile(arr, 100))}`);
      progress(`watch latency p50/max by send time (ms since phase start:ms): ${series.join(' ')}`);
      progress(`load generator event-loop delay: p50 ${loopDelayMs(loopDelay.percentile(50)).toFixed(1)} ms, p99 ${loopDelayMs(loopDelay.percentile(99)).toFixed(1)} ms, max ${loopDelayMs(loopDelay.max).toFixed(1)} ms`);
    }
  }
  stopping = true;
  for (const r of requests) r.destroy();
  watchAgent.destroy();
  if (unknown) progress(`watch: ${unknown} events with unknown names`);
  return results;
}

// ---- report ----------------------------------------------------------------------------------

function machine(): string[] {
  const cpus = os.cpus();
  let model = cpus[0]?.model ?? 'unknown';
  let mhz = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? model;
    const m = /^cpu MHz\s*:\s*([\d.]+)$/m.exec(info);
    if (m) mhz = `, ${Math.round(Number(m[1]))} MHz`;
  } catch {
    // not Linux
  }
  return [
    `machine: ${model}${mhz}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `runtime: node ${process.version}; server = \`hotpod up --port 0\` child process (HTTPS, keep-alive); load generator = this process`,
    `load:    ${CONCURRENCY} requests in flight, ${PODS.toLocaleString('en-US')} pods (2 containers each), ${WATCHERS} watchers, ${WARMUP.toLocaleString('en-US')} warm-up writes per server`,
  ];
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const pct = (f: number) => `${Math.round(f * 100)}%`;
const CPU_ROW = '  CPU: server / load generator / other';
const cpuCell = (c: CpuUse) => `${pct(c.server)} / ${pct(c.client)} / ${pct(c.other)}`;

function report(results: Partial<Record<Mode, ModeResult>>): string {
  const modes = MODES.filter((m) => results[m]);
  const rows: string[][] = [];
  const head = ['metric', 'unit', ...modes.map((m) => (m === 'persisted' ? 'persisted (SQLite)' : 'in-memory')), 'target'];
  const row = (metric: string, unit: string, f: (r: ModeResult, m: Mode) => string, target = '') => rows.push([metric, unit, ...modes.map((m) => f(results[m]!, m)), target]);
  const throughput = (p: PoolResult) => (p.errors ? `${fmtInt(p.ops / p.seconds)} (${p.errors} errors)` : fmtInt(p.ops / p.seconds));
  const p50p99 = (l: ArrayLike<number>) => `${fmtMs(percentile(l, 50))} / ${fmtMs(percentile(l, 99))}`;

  row(`create pods (${fmtInt(PODS)}, POST)`, 'objects/s', (r) => throughput(r.create), '>= 3,000 persisted');
  row('  request latency p50 / p99', 'ms', (r) => p50p99(r.create.latencies));
  row(CPU_ROW, '% of a core', (r) => cpuCell(r.create.cpu));
  row(`patch pods (${fmtInt(PODS)}, merge patch)`, 'objects/s', (r) => throughput(r.patch), '>= 3,000 persisted');
  row('  request latency p50 / p99', 'ms', (r) => p50p99(r.patch.latencies));
  row(CPU_ROW, '% of a core', (r) => cpuCell(r.patch.cpu));
  row(`list ${fmtInt(PODS)} pods, JSON (${LIST_RUNS} runs)`, 'ms p50 / p99', (r) => p50p99(r.listJson.latencies));
  row('  response size', 'MB', (r) => (r.listJson.bytes / 1e6).toFixed(1));
  row('  CPU over all list runs: server / load gen / other', '% of a core', (r) => cpuCell(r.listJson.cpu!));
  row(`list ${fmtInt(PODS)} pods, Table (${LIST_RUNS} runs)`, 'ms p50 / p99', (r) => p50p99(r.listTable.latencies));
  row('  response size', 'MB', (r) => (r.listTable.bytes / 1e6).toFixed(1));
  row(`list ${fmtInt(PODS)} pods, Table, limit=500 pages (kubectl get)`, 'ms p50 / p99', (r) => p50p99(r.listPaged.latencies));
  const watchPhases = results[modes[0]]!.watch.length;
  for (let k = 0; k < watchPhases; k++) {
    const first = results[modes[0]]!.watch[k];
    const missing = (w: WatchPhase) => (w.received < w.expected ? ` (${fmtInt(w.expected - w.received)} missing)` : '');
    row(
      `watch delivery, ${WATCHERS} watchers, ${first.rate ? `${fmtInt(first.rate)} writes/s` : 'writes flat out'} (${fmtInt(first.writes)} writes)`,
      'ms p50 / p99',
      (r) => `${p50p99(r.watch[k].latencies)}${missing(r.watch[k])}`,
      'p99 < 50 ms',
    );
    if (!first.rate) {
      row('  writes/s reached (events/s delivered)', 'per s', (r) => `${fmtInt(r.watch[k].writes / r.watch[k].seconds)} (${fmtInt((r.watch[k].writes * WATCHERS) / r.watch[k].seconds)})`);
    }
    row('  max / load generator event-loop delay p99', 'ms', (r) => `${fmtMs(percentile(r.watch[k].latencies, 100))} / ${fmtMs(r.watch[k].clientLoopDelayP99)}`);
    row(CPU_ROW, '% of a core', (r) => cpuCell(r.watch[k].cpu));
  }

  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i < cells.length - 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function busyWarning(results: Partial<Record<Mode, ModeResult>>): string[] {
  const out: string[] = [];
  for (const [mode, r] of Object.entries(results)) {
    const phases: [string, CpuUse][] = [
      ['create', r.create.cpu],
      ['patch', r.patch.cpu],
      ['list', r.listJson.cpu!],
      ...r.watch.map((w): [string, CpuUse] => [`watch ${w.rate ?? 'flat out'}`, w.cpu]),
    ];
    const busy = phases.filter(([, c]) => c.other > 0.2).map(([name, c]) => `${name} ${pct(c.other)}`);
    if (busy.length) out.push(`WARNING: other processes were busy during ${mode} phases (${busy.join(', ')} of a core): rerun on a quiet machine.`);
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const results: Partial<Record<Mode, ModeResult>> = {};
  for (const mode of MODES) {
    if (mode !== 'persisted' && mode !== 'in-memory') throw new Error(`unknown mode ${mode} in BENCH_MODES`);
    results[mode] = await runMode(mode);
  }
  const out = [
    'hotpod API server benchmark',
    ...machine(),
    '',
    report(results),
    '',
    'watch latency: from a write being sent to each watcher having its event. CPU: CPU time / wall time during the phase;',
    '"other" is every other process on the machine (anything above a few % means the numbers are pessimistic).',
    ...busyWarning(results),
    `total ${((performance.now() - started) / 1000).toFixed(0)} s, ${new Date().toISOString()}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
