// `npm run bench` (fourth part): a GameServerSet sidecar image rollout of BENCH_GSS_PODS (1,000)
// GameServers per podUpdatePolicy, side by side in one run: InPlaceIfPossible and ReCreate, with
// maxUnavailable 100% (issue 4's benchmark), and InPlaceIfPossible gated by
// spec.lifecycle.inPlaceUpdate, every server released by a script (it flips the GameServer's
// gs-sync/ label, as a game would) as soon as its pod enters PreparingUpdate (issue 14).
//
// The control plane and its three simulated nodes run as their own process (`hotpod up
// --in-memory --nodes 3 --no-controller`); the controller runs in this process (startController,
// as `hotpod controller` does) so that its API writes and memory can be read. For each policy:
// create the GameServerSet, wait until every pod is ready, patch the sidecar image, and measure
// until status shows every pod updated and ready:
//   - rollout time, from the image patch to the last pod updated and ready;
//   - the controller's pod writes per pod during the rollout, and its writes of every kind per pod;
//   - containers restarted (restartCount of pods that survived) and pods recreated;
//   - CPU seconds per pod of the cluster process, of this one (the controller) and of the
//     machine's other processes (a WARNING says when they used more than a fifth of a core).
// Then the controller's memory at BENCH_GSS_MEMORY_PODS (5,000) GameServers: the controller
// alone in a process of its own (bench/controller-process.ts, what `hotpod controller` runs),
// heap after a full GC and RSS, before the GameServerSet exists and once all its pods are Ready.
// Knobs (environment): BENCH_GSS_PODS, BENCH_GSS_MAX_UNAVAILABLE (default 100%),
// BENCH_GSS_MEMORY_PODS, BENCH_VERBOSE=1.

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController, type RunningController } from '../src/controller/index.js';
import { Informer, KubeClient } from '../src/kube/index.js';
import { measureRollout, startRolloutCluster, waitUntil, type RolloutResult } from './rollout.js';
import { envInt } from './common.js';
import { busyWarning, cpuMeter, type CpuSpan } from './cpu.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_GSS_PODS', 1000);
const MEMORY_PODS = envInt('BENCH_GSS_MEMORY_PODS', 5000);
const MAX_UNAVAILABLE = process.env.BENCH_GSS_MAX_UNAVAILABLE || '100%';
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NS = 'bench-gss';
const API = 'game.kruise.io/v1alpha1';
const STRATEGIES = ['InPlaceIfPossible', 'ReCreate', 'InPlace+PreUpdate'] as const;
const GATED = 'InPlace+PreUpdate';
const UPDATE_BLOCK = 'gs-sync/update-block';
const OWNER_LABEL = 'game.kruise.io/owner-gss';

function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-gss] ${msg}\n`);
}


function gameServerSet(name: string, policy: string): Json {
  const gated = policy === GATED;
  return {
    apiVersion: API,
    kind: 'GameServerSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: PODS,
      updateStrategy: { rollingUpdate: { podUpdatePolicy: gated ? 'InPlaceIfPossible' : policy, maxUnavailable: MAX_UNAVAILABLE } },
      ...(gated ? { lifecycle: { inPlaceUpdate: { labelsHandler: { [UPDATE_BLOCK]: 'true' } } } } : {}),
      gameServerTemplate: {
        ...(gated ? { metadata: { labels: { [UPDATE_BLOCK]: 'true' } } } : {}),
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'engine', image: 'registry.example.com/game/engine:1.0' },
            { name: 'sidecar', image: 'registry.example.com/game/scripts:v1' },
          ],
        },
      },
    },
  };
}

interface Result extends RolloutResult {
  type: string;
  cpu: CpuSpan;
}

async function rollout(objects: KubeClient, controller: RunningController, policy: string, clusterPid: number): Promise<Result> {
  const name = `bench-${policy.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  let cpu!: () => CpuSpan;
  let span!: CpuSpan;
  const releaser = policy === GATED ? releaseOnPreUpdate(objects, name) : undefined;
  const result = await measureRollout({
    onRolloutStart: () => (cpu = cpuMeter({ cluster: clusterPid, controller: process.pid })),
    onRolloutEnd: () => {
      span = cpu();
      void releaser?.stop();
    },
    objects,
    controller,
    apiVersion: API,
    kind: 'GameServerSet',
    manifest: gameServerSet(name, policy),
    pods: PODS,
    podSelector: `${OWNER_LABEL}=${name}`,
    imagePatch: [{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/1/image', value: 'registry.example.com/game/scripts:v2' }],
    container: 'sidecar',
    progress,
  });
  return { type: policy, ...result, cpu: span };
}

/** The game's side of the gate: releases each server once its pod is PreparingUpdate. */
function releaseOnPreUpdate(objects: KubeClient, set: string): { stop(): Promise<void> } {
  const pods = new Informer<Json>(objects, { apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: `${OWNER_LABEL}=${set}`, namespaceIndexOnly: true });
  const released = new Set<string>();
  pods.onChange((pod) => {
    const name = pod.metadata?.name;
    if (pod.metadata?.labels?.['lifecycle.apps.kruise.io/state'] !== 'PreparingUpdate' || released.has(name)) return;
    released.add(name);
    void objects.patchObject(API, 'GameServer', { namespace: NS, name }, { metadata: { labels: { [UPDATE_BLOCK]: 'false' } } }).catch(() => released.delete(name));
  });
  pods.start();
  return { stop: () => pods.stop() };
}

interface Memory {
  heapUsed: number;
  rss: number;
}

/** The controller's memory, alone in its own process, at 0 and at MEMORY_PODS GameServers. */
async function controllerMemory(kubeconfig: string, objects: KubeClient): Promise<{ idle: Memory; loaded: Memory; gc: boolean }> {
  const script = new URL('./controller-process.js', import.meta.url);
  const child = fork(script, [kubeconfig], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      void exited.then(() => reject(new Error('the controller process exited')));
    });
  const memory = async () => {
    const answer = next<{ memory: NodeJS.MemoryUsage; gc: boolean }>();
    child.send('memory');
    const m = await answer;
    return { heapUsed: m.memory.heapUsed, rss: m.memory.rss, gc: m.gc };
  };
  try {
    await next();
    const idle = await memory();
    const name = 'bench-memory';
    const key = { namespace: NS, name };
    progress(`${name}: creating ${MEMORY_PODS} GameServers (controller in its own process)`);
    await objects.createObject({ ...gameServerSet(name, 'ReCreate'), spec: { ...gameServerSet(name, 'ReCreate').spec, replicas: MEMORY_PODS } });
    await waitUntil(`${name}: ${MEMORY_PODS} GameServers ready`, async () => {
      const st = (await objects.get(API, 'GameServerSet', key)).status ?? {};
      return st.replicas === MEMORY_PODS && st.readyReplicas === MEMORY_PODS;
    }, 500);
    // Let the last status writes and events land before reading the heap.
    await new Promise((r) => setTimeout(r, 2000));
    const loaded = await memory();
    await objects.deleteObject(API, 'GameServerSet', key, { propagationPolicy: 'Background' });
    return { idle, loaded, gc: idle.gc };
  } finally {
    child.send('stop');
    await exited;
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-gss-'));
  const cluster = await startRolloutCluster(dataDir, Math.max(PODS, MEMORY_PODS));
  const logger = pino({ level: VERBOSE ? 'info' : 'warn' }, pino.destination(2));
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger });
  const objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  let controllerStopped = false;
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const results: Result[] = [];
    for (const type of STRATEGIES) results.push(await rollout(objects, controller, type, cluster.pid));

    if (typeof global.gc === 'function') global.gc();
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    // The in-process controller stops so that the one measured is the only one acting.
    await controller.stop();
    controllerStopped = true;
    const mem = await controllerMemory(cluster.kubeconfigPath, objects);
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const ms = (s: number) => ((1000 * s) / PODS).toFixed(2);
    const lines = [
      `GameServerSet sidecar image rollout, ${PODS} GameServers, maxUnavailable ${MAX_UNAVAILABLE}, 3 simulated nodes`,
      'policy             time      pod writes/pod  all writes/pod  containers restarted  pods recreated',
      ...results.map(
        (r) =>
          `${r.type.padEnd(18)} ${`${r.seconds.toFixed(1)} s`.padEnd(9)} ${r.podWrites.toFixed(2).padEnd(15)} ${r.allWrites.toFixed(2).padEnd(15)} ${String(r.restarted).padEnd(21)} ${r.replaced}`,
      ),
      'writes per pod by purpose (any kind; unnamed ones not listed)',
      ...results.map((r) => `  ${r.type.padEnd(18)} ${Object.entries(r.byPurpose).sort().map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`),
      'CPU ms per pod during the rollout: cluster (API server + nodes) / controller / other processes',
      ...results.map((r) => `  ${r.type.padEnd(18)} ${ms(r.cpu.byProcess.cluster!)} / ${ms(r.cpu.byProcess.controller!)} / ${ms(r.cpu.other)}`),
      `controller heap after the rollouts (this process, GameServerSets deleted): ${heapMiB.toFixed(1)} MiB`,
      `controller memory at ${MEMORY_PODS} GameServers Ready (its own process${mem.gc ? ', heap after a full GC' : ', no GC forced'}): heap ${mib(mem.loaded.heapUsed)}, RSS ${mib(mem.loaded.rss)}` +
        ` (with none: heap ${mib(mem.idle.heapUsed)}, RSS ${mib(mem.idle.rss)})`,
    ];
    const warning = busyWarning(results.map((r) => [r.type, r.cpu]));
    if (warning) lines.push(warning);
    process.stdout.write(`${lines.join('\n')}\n`);
    const gatedResult = results.find((r) => r.type === GATED)!;
    if (gatedResult.replaced !== 0 || gatedResult.restarted !== PODS) {
      throw new Error(`the gated rollout recreated ${gatedResult.replaced} pods and restarted ${gatedResult.restarted} sidecars: it must restart each sidecar once and recreate none`);
    }
    const inPlace = results.find((r) => r.type === 'InPlaceIfPossible')!;
    if (inPlace.replaced !== 0 || inPlace.restarted !== PODS) {
      throw new Error(`InPlaceIfPossible recreated ${inPlace.replaced} pods and restarted ${inPlace.restarted} sidecars: it must restart each sidecar once and recreate none`);
    }
  } finally {
    if (!controllerStopped) await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-gss: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
