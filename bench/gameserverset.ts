// `npm run bench` (fourth part): a GameServerSet sidecar image rollout of BENCH_GSS_PODS (1,000)
// GameServers per podUpdatePolicy, side by side in one run: InPlaceIfPossible and ReCreate, with
// maxUnavailable 100% (issue 4's benchmark).
//
// The control plane and its three simulated nodes run as their own process (`hotpod up
// --in-memory --nodes 3 --no-controller`); the controller runs in this process (startController,
// as `hotpod controller` does) so that its API writes and memory can be read. For each policy:
// create the GameServerSet, wait until every pod is ready, patch the sidecar image, and measure
// until status shows every pod updated and ready:
//   - rollout time, from the image patch to the last pod updated and ready;
//   - the controller's pod writes per pod during the rollout, and its writes of every kind per pod;
//   - containers restarted (restartCount of pods that survived) and pods recreated.
// Knobs (environment): BENCH_GSS_PODS, BENCH_GSS_MAX_UNAVAILABLE (default 100%), BENCH_VERBOSE=1.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController, type RunningController } from '../src/controller/index.js';
import { createClients, type ObjectClient } from '../src/controller/runtime/index.js';
import { measureRollout, startRolloutCluster, type RolloutResult } from './rollout.js';
import { envInt } from './common.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_GSS_PODS', 1000);
const MAX_UNAVAILABLE = process.env.BENCH_GSS_MAX_UNAVAILABLE || '100%';
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NS = 'bench-gss';
const API = 'game.kruise.io/v1alpha1';
const STRATEGIES = ['InPlaceIfPossible', 'ReCreate'] as const;
const OWNER_LABEL = 'game.kruise.io/owner-gss';

function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-gss] ${msg}\n`);
}


function gameServerSet(name: string, policy: string): Json {
  return {
    apiVersion: API,
    kind: 'GameServerSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: PODS,
      updateStrategy: { rollingUpdate: { podUpdatePolicy: policy, maxUnavailable: MAX_UNAVAILABLE } },
      gameServerTemplate: {
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
}

async function rollout(objects: ObjectClient, controller: RunningController, policy: string): Promise<Result> {
  const name = `bench-${policy.toLowerCase()}`;
  const result = await measureRollout({
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
  return { type: policy, ...result };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-gss-'));
  const cluster = await startRolloutCluster(dataDir, PODS);
  const logger = pino({ level: VERBOSE ? 'info' : 'warn' }, pino.destination(2));
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger });
  const { objects } = createClients({ kubeconfig: cluster.kubeconfigPath });
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const results: Result[] = [];
    for (const type of STRATEGIES) results.push(await rollout(objects, controller, type));

    if (typeof global.gc === 'function') global.gc();
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    const lines = [
      `GameServerSet sidecar image rollout, ${PODS} GameServers, maxUnavailable ${MAX_UNAVAILABLE}, 3 simulated nodes`,
      'policy             time      pod writes/pod  all writes/pod  containers restarted  pods recreated',
      ...results.map(
        (r) =>
          `${r.type.padEnd(18)} ${`${r.seconds.toFixed(1)} s`.padEnd(9)} ${r.podWrites.toFixed(2).padEnd(15)} ${r.allWrites.toFixed(2).padEnd(15)} ${String(r.restarted).padEnd(21)} ${r.replaced}`,
      ),
      `controller heap after the rollouts (this process, GameServerSets deleted): ${heapMiB.toFixed(1)} MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const inPlace = results.find((r) => r.type === 'InPlaceIfPossible')!;
    if (inPlace.replaced !== 0 || inPlace.restarted !== PODS) {
      throw new Error(`InPlaceIfPossible recreated ${inPlace.replaced} pods and restarted ${inPlace.restarted} sidecars: it must restart each sidecar once and recreate none`);
    }
  } finally {
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-gss: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
