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

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-sq-'));
  const cluster = await startRolloutCluster(dataDir, PODS);
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger: pino({ level: 'warn' }, pino.destination(2)) });
  const objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await objects.createObject({
      apiVersion: API,
      kind: 'GameServerSet',
      metadata: { name: 'fleet', namespace: NS },
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
    const servers = new Informer<Json>(objects, { apiVersion: API, kind: 'GameServer', namespace: NS });
    servers.start();
    await waitUntil(`${PODS} GameServers WaitToBeDeleted`, async () => servers.cache.list().filter((g) => g.spec?.opsState === 'WaitToBeDeleted').length === PODS, 500);
    progress('every server idle; counting writes while nothing changes');

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
    const cpu0 = processCpuSeconds(cluster.pid);
    await new Promise((r) => setTimeout(r, STEADY_S * 1000));
    const cpuSeconds = processCpuSeconds(cluster.pid) - cpu0;
    for (const inf of watched) await inf.stop();
    const probes = (PODS * STEADY_S) / PERIOD_S;

    // Result changes: one pod at a time, the time until its GameServer's opsState follows.
    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const name = `fleet-${i}`;
      const t0 = Date.now();
      await objects.patchObject('v1', 'Pod', { namespace: NS, name }, { metadata: { annotations: { [SCRIPT]: JSON.stringify({ stdout: 'busy', exitCode: 0 }) } } });
      await waitUntil(`${name} None`, async () => servers.cache.get({ namespace: NS, name })?.spec?.opsState === 'None', 100);
      latencies.push((Date.now() - t0) / 1000);
    }
    await servers.stop();
    latencies.sort((a, b) => a - b);
    const perMin = (n: number | undefined) => (((n ?? 0) * 60) / STEADY_S).toFixed(1);
    const lines = [
      `serviceQualities: ${PODS} GameServers, one exec quality every ${PERIOD_S} s, 3 simulated nodes`,
      `writes per minute while no result changes (${STEADY_S} s): ${kinds.map((k) => `${k} ${perMin(counts[k])}`).join(', ')}`,
      `cluster CPU per probe: ${((1000 * cpuSeconds) / probes).toFixed(3)} ms (${probes} probes, ${cpuSeconds.toFixed(1)} CPU s)`,
      `result change to opsState (${CHANGES} pods): median ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} s, max ${latencies[latencies.length - 1]!.toFixed(1)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-sq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
