// `npm run bench:soak [-- --minutes N]`: does hotpod's memory level off under steady load?
//
// `hotpod up` (two simulated nodes, no controller) and the controller (its own process, as
// `hotpod controller` runs it) run for --minutes (default 30) while this process keeps a steady
// load on them:
//   - writes: --writes-per-second ConfigMap updates (default 10) over 100 ConfigMaps of 2 KB,
//     and each minute 10 ConfigMaps created and the previous minute's 10 deleted (names churn);
//   - watches: three informers (ConfigMaps, Pods, Events: list, then watch, re-watching when the
//     server ends a watch) and, every 15 s, a short watch that the server ends (watchers churn);
//   - rollouts: every --rollout-minutes (default 2) a GameServerSet (in place) and a
//     GameDeployment (hot-patch) of 8 pods each get the other sidecar image, when the previous
//     rollout has finished.
// Every --sample-seconds (default 60) it samples the RSS of `hotpod up` and of the controller
// (the controller after a full GC, with its heap). A heap snapshot of each process is taken when
// warm-up ends (minute 10, or a third of a shorter run) and at the end, and the kinds of object
// that grew most between the two are printed. The verdict: RSS growth per minute after warm-up,
// a least-squares slope over the samples, under 1 MB a minute for each process.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InformerFactory, JSON_PATCH, KubeClient } from '../src/kube/index.js';
import { projectRoot, spawnHotpodUp, type RunningHotpod } from './common.js';
import { heapGrowth, summariseHeapSnapshot, type HeapSummary } from './heap-summary.js';

type Json = Record<string, any>;

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'warmup-minutes': { type: 'string' },
    'sample-seconds': { type: 'string', default: '60' },
    'writes-per-second': { type: 'string', default: '10' },
    'rollout-minutes': { type: 'string', default: '2' },
    verbose: { type: 'boolean', default: false },
  },
});
function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!(n > 0)) {
    process.stderr.write(`bench-soak: --${name} must be a positive number, got ${v}\n`);
    process.exit(2);
  }
  return n;
}
const MINUTES = positive('minutes', flags.minutes);
const WARMUP_MINUTES = flags['warmup-minutes'] !== undefined ? positive('warmup-minutes', flags['warmup-minutes']) : Math.min(10, MINUTES / 3);
const SAMPLE_MS = positive('sample-seconds', flags['sample-seconds']) * 1000;
const WRITES_PER_SECOND = positive('writes-per-second', flags['writes-per-second']);
const ROLLOUT_MS = positive('rollout-minutes', flags['rollout-minutes']) * 60_000;
const NS = 'bench-soak';
const CONFIGMAPS = 100;
const CHURN_PER_MINUTE = 10;
const PODS_PER_WORKLOAD = 8;
const GROWTH_LIMIT_MB_PER_MIN = 1;

const progress = (msg: string) => {
  if (flags.verbose) process.stderr.write(`[bench-soak] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  minute: number;
  hotpodRss: number;
  controllerRss: number;
  controllerHeap: number;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** The controller in a process of its own (bench/controller-process.ts), driven over IPC. */
class ControllerProcess {
  private constructor(private readonly proc: ChildProcess) {}

  static async start(kubeconfig: string): Promise<ControllerProcess> {
    const proc = fork(join(projectRoot, 'dist', 'bench', 'controller-process.js'), [kubeconfig], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`controller process exited with ${code} before it was ready`)));
    });
    return new ControllerProcess(proc);
  }

  private ask<T>(msg: unknown, pick: (reply: Json) => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (reply: Json) => {
        const v = pick(reply);
        if (v === undefined) return;
        this.proc.off('message', onMessage);
        resolve(v);
      };
      this.proc.on('message', onMessage);
      this.proc.send(msg as never);
    });
  }

  memory(): Promise<NodeJS.MemoryUsage> {
    return this.ask('memory', (r) => r.memory as NodeJS.MemoryUsage | undefined);
  }

  heapSnapshot(dir: string): Promise<string> {
    return this.ask({ snapshot: dir }, (r) => r.snapshotPath as string | undefined);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.send('stop');
    });
  }
}

/** `hotpod up` writes a snapshot on SIGUSR2 (--heapsnapshot-signal); wait until the file is whole. */
async function hotpodHeapSnapshot(cluster: RunningHotpod, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(cluster.pid, 'SIGUSR2');
  for (let waited = 0; waited < 300_000; waited += 1000) {
    await sleep(1000);
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const path = join(dir, file);
    // The snapshot is written while the process is paused; a size that holds for 2 s is the end.
    const size = statSync(path).size;
    await sleep(2000);
    if (size > 0 && statSync(path).size === size) return path;
  }
  throw new Error('hotpod up wrote no heap snapshot within 5 minutes');
}

function configMap(name: string, generation: number): Json {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { generation: String(generation), payload: 'x'.repeat(2048) } };
}

function gameServerSet(image: string): Json {
  return {
    apiVersion: 'game.kruise.io/v1alpha1',
    kind: 'GameServerSet',
    metadata: { name: 'soak-gss', namespace: NS },
    spec: {
      replicas: PODS_PER_WORKLOAD,
      updateStrategy: { rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: '50%' } },
      gameServerTemplate: {
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'engine', image: 'registry.example.com/game/engine:1.0' },
            { name: 'sidecar', image },
          ],
        },
      },
    },
  };
}

function gameDeployment(image: string): Json {
  return {
    apiVersion: 'tkex.tencent.com/v1alpha1',
    kind: 'GameDeployment',
    metadata: { name: 'soak-gd', namespace: NS },
    spec: {
      replicas: PODS_PER_WORKLOAD,
      selector: { matchLabels: { app: 'soak-gd' } },
      template: {
        metadata: { labels: { app: 'soak-gd' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'engine', image: 'registry.example.com/game/engine:1.0' },
            { name: 'sidecar', image },
          ],
        },
      },
      updateStrategy: { type: 'HotPatchUpdate', maxUnavailable: '50%' },
    },
  };
}

/** The steady load: each loop runs until `stopped` is set, counting what it did and what failed. */
class Load {
  stopped = false;
  readonly counts = { writes: 0, writeErrors: 0, churned: 0, shortWatches: 0, rollouts: 0, rolloutsSkipped: 0, informerEvents: 0 };
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly objects: KubeClient) {}

  start(): void {
    this.loops.push(this.writes(), this.churn(), this.shortWatches(), this.rollouts());
  }

  async finish(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async every(ms: number, step: () => Promise<void>): Promise<void> {
    let next = Date.now();
    while (!this.stopped) {
      next += ms;
      try {
        await step();
      } catch (err) {
        this.counts.writeErrors++;
        progress(`load step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  }

  private writes(): Promise<void> {
    let n = 0;
    return this.every(1000 / WRITES_PER_SECOND, async () => {
      n++;
      const name = `soak-${n % CONFIGMAPS}`;
      await this.objects.patchObject('v1', 'ConfigMap', { namespace: NS, name }, [{ op: 'replace', path: '/data/generation', value: String(n) }], { contentType: JSON_PATCH });
      this.counts.writes++;
    });
  }

  private churn(): Promise<void> {
    let minute = 0;
    return this.every(60_000, async () => {
      minute++;
      for (let i = 0; i < CHURN_PER_MINUTE; i++) {
        await this.objects.createObject(configMap(`churn-${minute}-${i}`, minute));
        if (minute > 1) await this.objects.deleteObject('v1', 'ConfigMap', { namespace: NS, name: `churn-${minute - 1}-${i}` });
        this.counts.churned++;
      }
    });
  }

  private shortWatches(): Promise<void> {
    return this.every(15_000, async () => {
      await this.objects.request('GET', `/api/v1/namespaces/${NS}/configmaps?watch=true&timeoutSeconds=2`);
      this.counts.shortWatches++;
    });
  }

  private rollouts(): Promise<void> {
    let round = 0;
    const targets = [
      { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'soak-gss', path: '/spec/gameServerTemplate/spec/containers/1/image' },
      { apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'GameDeployment', name: 'soak-gd', path: '/spec/template/spec/containers/1/image' },
    ];
    return this.every(ROLLOUT_MS, async () => {
      if (round++ === 0) return; // the workloads were just created
      const image = `registry.example.com/game/scripts:v${round}`;
      for (const t of targets) {
        const st = ((await this.objects.get(t.apiVersion, t.kind, { namespace: NS, name: t.name })).status ?? {}) as Json;
        if (st.updatedReadyReplicas !== PODS_PER_WORKLOAD && st.updatedReplicas !== PODS_PER_WORKLOAD) {
          this.counts.rolloutsSkipped++;
          continue;
        }
        await this.objects.patchObject(t.apiVersion, t.kind, { namespace: NS, name: t.name }, [{ op: 'replace', path: t.path, value: image }], { contentType: JSON_PATCH });
        this.counts.rollouts++;
      }
    });
  }
}

/** Least-squares slope of y over x (per unit of x). */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

function growthTable(name: string, a: HeapSummary, b: HeapSummary): string[] {
  const lines = [`${name} heap snapshot: ${mb(a.totalBytes)} MiB (${a.nodes} objects) at warm-up end → ${mb(b.totalBytes)} MiB (${b.nodes}) at the end; grew most:`];
  for (const g of heapGrowth(a, b)) lines.push(`  ${g.kind.slice(0, 60).padEnd(60)} ${`${(g.bytes / 1024).toFixed(0)} KiB`.padStart(12)} ${String(g.count).padStart(8)} objects`);
  return lines;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-soak-'));
  const snapDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-soak-heap-'));
  const { HOTPOD_NODES: _n, HOTPOD_MAX_PODS: _m, HOTPOD_NO_HOT_PATCH: _h, ...env } = process.env;
  const cluster = await spawnHotpodUp(['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '2', '--max-pods', '60', '--no-controller', '--log-level', 'warn'], {
    env,
    nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`],
  });
  const controller = await ControllerProcess.start(cluster.kubeconfigPath);
  const client = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  const informers = new InformerFactory(client);
  const load = new Load(client);
  try {
    await client.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < CONFIGMAPS; i++) await client.createObject(configMap(`soak-${i}`, 0));
    await client.createObject(gameServerSet('registry.example.com/game/scripts:v0'));
    await client.createObject(gameDeployment('registry.example.com/game/scripts:v0'));
    for (const [apiVersion, kind] of [
      ['v1', 'ConfigMap'],
      ['v1', 'Pod'],
      ['v1', 'Event'],
    ] as const) {
      informers.informerFor({ apiVersion, kind }).addEventHandler({
        onAdd: () => load.counts.informerEvents++,
        onUpdate: () => load.counts.informerEvents++,
        onDelete: () => load.counts.informerEvents++,
      });
    }
    informers.start();
    await informers.waitForSync();
    load.start();

    const t0 = Date.now();
    const samples: Sample[] = [];
    let warmSnapshots: { hotpod: string; controller: string } | undefined;
    const sample = async () => {
      const mem = await controller.memory();
      const s = { minute: (Date.now() - t0) / 60_000, hotpodRss: rssOf(cluster.pid), controllerRss: mem.rss, controllerHeap: mem.heapUsed };
      samples.push(s);
      progress(`minute ${s.minute.toFixed(1)}: hotpod RSS ${mb(s.hotpodRss)} MiB, controller RSS ${mb(s.controllerRss)} MiB heap ${mb(s.controllerHeap)} MiB, ${JSON.stringify(load.counts)}`);
    };
    await sample();
    while (Date.now() - t0 < MINUTES * 60_000) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, t0 + MINUTES * 60_000 - Date.now())));
      if (!warmSnapshots && Date.now() - t0 >= WARMUP_MINUTES * 60_000) {
        progress('warm-up over: heap snapshots');
        warmSnapshots = { hotpod: await hotpodHeapSnapshot(cluster, snapDir), controller: await controller.heapSnapshot(snapDir) };
      }
      await sample();
    }
    await load.finish();
    progress('end: heap snapshots');
    const endSnapshots = { hotpod: await hotpodHeapSnapshot(cluster, snapDir), controller: await controller.heapSnapshot(snapDir) };

    const after = samples.filter((s) => s.minute >= WARMUP_MINUTES);
    const rate = (pick: (s: Sample) => number) => slope(after.map((s) => [s.minute, pick(s) / MB]));
    const verdicts = [
      { name: 'hotpod up RSS', rate: rate((s) => s.hotpodRss) },
      { name: 'controller RSS', rate: rate((s) => s.controllerRss) },
      { name: 'controller heap', rate: rate((s) => s.controllerHeap) },
    ];
    const lines = [
      `soak: ${MINUTES} min, ${WRITES_PER_SECOND} ConfigMap writes/s, ${CHURN_PER_MINUTE} ConfigMaps created and deleted a minute, 3 informers + a short watch every 15 s, a rollout of 2 × ${PODS_PER_WORKLOAD} pods every ${ROLLOUT_MS / 60_000} min; warm-up ${WARMUP_MINUTES} min`,
      `load done: ${JSON.stringify(load.counts)}`,
      'minute  hotpod RSS  controller RSS  controller heap   (MiB)',
      ...samples.map((s) => `${s.minute.toFixed(1).padStart(6)}  ${mb(s.hotpodRss).padStart(10)}  ${mb(s.controllerRss).padStart(14)}  ${mb(s.controllerHeap).padStart(15)}`),
      ...verdicts.map((v) => `${v.name} after warm-up: ${v.rate >= 0 ? '+' : ''}${v.rate.toFixed(2)} MB/min (limit ${GROWTH_LIMIT_MB_PER_MIN})${v.rate < GROWTH_LIMIT_MB_PER_MIN ? '' : '  <-- OVER'}`),
    ];
    if (warmSnapshots) {
      lines.push(...growthTable('hotpod up', summariseHeapSnapshot(warmSnapshots.hotpod), summariseHeapSnapshot(endSnapshots.hotpod)));
      lines.push(...growthTable('controller', summariseHeapSnapshot(warmSnapshots.controller), summariseHeapSnapshot(endSnapshots.controller)));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (load.counts.writeErrors > 0) process.stdout.write(`WARNING: ${load.counts.writeErrors} load steps failed (run with --verbose to see them)\n`);
    const over = verdicts.filter((v) => v.name.endsWith('RSS') && !(v.rate < GROWTH_LIMIT_MB_PER_MIN));
    if (over.length > 0) process.exitCode = 1;
  } finally {
    load.stopped = true;
    await informers.stop();
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(snapDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
