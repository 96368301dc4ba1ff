// `npm run bench` (fifth part): serviceQualities at scale. A GameServerSet of BENCH_SQ_PODS
// (1,000) GameServers with one exec service quality every BENCH_SQ_PERIOD_S (10) seconds, on the
// embedded nodes (3 simulated nodes in their own process, `hotpod up --no-controller`; the
// controller in this process). Measured:
//   - API writes per minute while no probe result changes, over BENCH_SQ_STEADY_S (60) seconds,
//     by kind, from watches opened for the window (pods, GameServers, events; node Leases, the
//     heartbeats, counted apart) — the target is none beyond the heartbeats;
//   - CPU per probe of the cluster process (where the node agents run the probes);
//   - the time from a result's change (one pod's scripted answer) to its GameServer's opsState,
//     for BENCH_SQ_CHANGES (20) pods, median and max.
// Both ways the probes can run, side by side: by the embedded node agents, and by the controller
// through pods/exec (what a cluster without hotpod's node agents gets).
// Knobs (environment): BENCH_SQ_PODS, BENCH_SQ_PERIOD_S, BENCH_SQ_STEADY_S, BENCH_SQ_CHANGES.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController } from '../src/controller/index.js';
import { Informer, KubeClient } from '../src/kube/index.js';
import { startRolloutCluster, waitUntil } from './rollout.js';
import { envInt } from './common.js';
import { processCpuSeconds } from './cpu.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_SQ_PODS', 1000);
const PERIOD_S = envInt('BENCH_SQ_PERIOD_S', 10);
const STEADY_S = envInt('BENCH_SQ_STEADY_S', 60);
const CHANGES = envInt('BENCH_SQ_CHANGES', 20);
/** Seconds without a write before the steady window starts (more than one probe period). */
const QUIET_S = envInt('BENCH_SQ_QUIET_S', 15);
const NS = 'bench-sq';
const API = 'game.kruise.io/v1alpha1';
const SCRIPT = 'sim.hotpod.dev/exec.engine';

function progress(msg: string): void {
  process.stderr.write(`bench-sq: ${msg}\n`);
}

/** Where the probes run: the embedded node agents, or the controller through pods/exec (nodes without hotpod.dev/runs-service-qualities). */
type Runner = 'node' | 'controller';
const RUNNERS: Runner[] = ['node', 'controller'];
const NODES = ['node-1', 'node-2', 'node-3'];
const NODE_LABEL = 'hotpod.dev/runs-service-qualities';

interface Measured {
  runner: Runner;
  counts: Record<string, number>;
  clusterCpuMs: number;
  controllerCpuMs: number;
  probes: number;
  latencies: number[];
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-sq-'));
  const cluster = await startRolloutCluster(dataDir, PODS);
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger: pino({ level: 'warn' }, pino.destination(2)) });
  const objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const results: Measured[] = [];
    for (const runner of RUNNERS) results.push(await measure(objects, cluster.pid, runner));
    const perMin = (n: number | undefined) => (((n ?? 0) * 60) / STEADY_S).toFixed(1);
    const kinds = ['Pod', 'GameServer', 'Event', 'Lease (node heartbeats)'];
    const lines = [`serviceQualities: ${PODS} GameServers, one exec quality every ${PERIOD_S} s, 3 simulated nodes`, 'probes run by   writes per minute while no result changes                     CPU ms per probe: cluster / controller   result change to opsState (median, max)'];
    for (const r of results) {
      const writes = kinds.map((k) => `${k.split(' ')[0]} ${perMin(r.counts[k])}`).join(', ');
      const cpu = `${(r.clusterCpuMs / r.probes).toFixed(3)} / ${(r.controllerCpuMs / r.probes).toFixed(3)}`;
      const lat = `${r.latencies[Math.floor(r.latencies.length / 2)]!.toFixed(1)} s, ${r.latencies[r.latencies.length - 1]!.toFixed(1)} s`;
      lines.push(`${r.runner.padEnd(15)} ${writes.padEnd(61)} ${cpu.padEnd(40)} ${lat}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(objects: KubeClient, clusterPid: number, runner: Runner): Promise<Measured> {
  const name = `fleet-${runner}`;
  // The nodes say whether their agent runs the probes; without the label the controller does.
  for (const n of NODES) await objects.patchObject('v1', 'Node', { namespace: '', name: n }, { metadata: { labels: { [NODE_LABEL]: runner === 'node' ? 'true' : null } } });
  await objects.createObject({
    apiVersion: API,
    kind: 'GameServerSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: PODS,
      gameServerTemplate: {
        metadata: { annotations: { [SCRIPT]: JSON.stringify({ stdout: 'idle', exitCode: 0 }) } },
        spec: { containers: [{ name: 'engine', image: 'registry.example.com/game/engine:1.0' }] },
      },
      serviceQualities: [
        {
          name: 'idle',
          containerName: 'engine',
          permanent: false,
          periodSeconds: PERIOD_S,
          exec: { command: ['/idle.sh'] },
          serviceQualityAction: [
            { state: true, result: 'idle', opsState: 'WaitToBeDeleted' },
            { state: true, result: 'busy', opsState: 'None' },
          ],
        },
      ],
    },
  });
  const servers = new Informer<Json>(objects, { apiVersion: API, kind: 'GameServer', namespace: NS, labelSelector: `game.kruise.io/owner-gss=${name}` });
  servers.start();
  await waitUntil(`${PODS} GameServers WaitToBeDeleted (${runner})`, async () => servers.cache.list().filter((g) => g.spec?.opsState === 'WaitToBeDeleted').length === PODS, 500);
  progress(`${runner}: every server idle; counting writes while nothing changes`);

  // The steady window: every write shows up as a watch event.
  const counts: Record<string, number> = {};
  const count = (kind: string) => () => void (counts[kind] = (counts[kind] ?? 0) + 1);
  const watched = [
    new Informer<Json>(objects, { apiVersion: 'v1', kind: 'Pod', namespace: NS }),
    new Informer<Json>(objects, { apiVersion: API, kind: 'GameServer', namespace: NS }),
    new Informer<Json>(objects, { apiVersion: 'v1', kind: 'Event', namespace: NS }),
    new Informer<Json>(objects, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'kube-node-lease' }),
  ];
  const kinds = ['Pod', 'GameServer', 'Event', 'Lease (node heartbeats)'];
  for (const inf of watched) inf.start();
  await Promise.all(watched.map((inf) => inf.waitForSync()));
  watched.forEach((inf, i) => inf.onChange(count(kinds[i]!)));
  // The window starts once the creation wave is over: no pod, GameServer or Event write for QUIET_S.
  let seen = -1;
  let quietSince = Date.now();
  await waitUntil('the fleet to settle', async () => {
    const n = (counts.Pod ?? 0) + (counts.GameServer ?? 0) + (counts.Event ?? 0);
    if (n !== seen) [seen, quietSince] = [n, Date.now()];
    return Date.now() - quietSince >= QUIET_S * 1000;
  }, 500);
  for (const k of Object.keys(counts)) delete counts[k];
  const cluster0 = processCpuSeconds(clusterPid);
  const self0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, STEADY_S * 1000));
  const clusterCpuMs = (processCpuSeconds(clusterPid) - cluster0) * 1000;
  const self = process.cpuUsage(self0);
  for (const inf of watched) await inf.stop();

  // Result changes: one pod at a time, the time until its GameServer's opsState follows.
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const pod = `${name}-${i}`;
    const t0 = Date.now();
    await objects.patchObject('v1', 'Pod', { namespace: NS, name: pod }, { metadata: { annotations: { [SCRIPT]: JSON.stringify({ stdout: 'busy', exitCode: 0 }) } } });
    await waitUntil(`${pod} None`, async () => servers.cache.get({ namespace: NS, name: pod })?.spec?.opsState === 'None', 100);
    latencies.push((Date.now() - t0) / 1000);
  }
  await servers.stop();
  latencies.sort((a, b) => a - b);
  await objects.deleteObject(API, 'GameServerSet', { namespace: NS, name });
  await waitUntil(`${name} gone`, async () => (await objects.list('v1', 'Pod', { namespace: NS })).items.length === 0, 1000);
  // The bench process is the controller's too: its CPU in the window is the controller's.
  return { runner, counts, clusterCpuMs, controllerCpuMs: (self.user + self.system) / 1000, probes: (PODS * STEADY_S) / PERIOD_S, latencies };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-sq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
