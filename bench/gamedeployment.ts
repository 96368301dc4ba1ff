// `npm run bench` (third part): one GameDeployment image rollout of BENCH_GD_PODS (1,000) pods
// per update strategy, side by side in one run: HotPatchUpdate, InplaceUpdate, RollingUpdate.
//
// The control plane and its three simulated nodes run as their own process (`hotpod up
// --in-memory --nodes 3 --no-controller`); the controller runs in this process
// (startController, as `hotpod controller` does) so that its API writes can be counted. For each
// strategy: create the GameDeployment, wait until every pod is ready, patch the image, and
// measure until status shows every pod updated and ready (UPDATED_READY counts a hot-patch only
// once the node reports it):
//   - rollout time, from the image patch to the last pod updated and ready;
//   - the controller's pod writes per pod during the rollout (creates, patches, status patches,
//     deletes), and its writes of every kind per pod;
//   - containers restarted (restartCount of pods that survived) and containers replaced (pods
//     recreated under a new name): hot-patch must show 0 and 0.
// Knobs (environment): BENCH_GD_PODS, BENCH_GD_MAX_UNAVAILABLE (default 20%), BENCH_VERBOSE=1.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController, type RunningController } from '../src/controller/index.js';
import { KubeClient } from '../src/kube/index.js';
import { measureRollout, startRolloutCluster, type RolloutResult } from './rollout.js';
import { envInt } from './common.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_GD_PODS', 1000);
const MAX_UNAVAILABLE = process.env.BENCH_GD_MAX_UNAVAILABLE || '20%';
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NS = 'bench-gd';
const API = 'tkex.tencent.com/v1alpha1';
const STRATEGIES = ['HotPatchUpdate', 'InplaceUpdate', 'RollingUpdate'] as const;

function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-gd] ${msg}\n`);
}


function gameDeployment(name: string, type: string): Json {
  return {
    apiVersion: API,
    kind: 'GameDeployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: PODS,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'registry.example.com/game/main:v1' }] },
      },
      updateStrategy: { type, maxUnavailable: MAX_UNAVAILABLE },
    },
  };
}

interface Result extends RolloutResult {
  type: string;
}

async function rollout(objects: KubeClient, controller: RunningController, type: string): Promise<Result> {
  const name = `bench-${type.toLowerCase()}`;
  const result = await measureRollout({
    objects,
    controller,
    apiVersion: API,
    kind: 'GameDeployment',
    manifest: gameDeployment(name, type),
    pods: PODS,
    podSelector: `app=${name}`,
    imagePatch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example.com/game/main:v2' }],
    container: 'main',
    progress,
  });
  return { type, ...result };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-gd-'));
  const cluster = await startRolloutCluster(dataDir, PODS);
  const logger = pino({ level: VERBOSE ? 'info' : 'warn' }, pino.destination(2));
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger });
  const objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const results: Result[] = [];
    for (const type of STRATEGIES) results.push(await rollout(objects, controller, type));

    const lines = [
      `GameDeployment image rollout, ${PODS} pods, maxUnavailable ${MAX_UNAVAILABLE}, 3 simulated nodes`,
      'strategy         time      pod writes/pod  all writes/pod  containers restarted  pods recreated  same container ID',
      ...results.map(
        (r) =>
          `${r.type.padEnd(16)} ${`${r.seconds.toFixed(1)} s`.padEnd(9)} ${r.podWrites.toFixed(2).padEnd(15)} ${r.allWrites.toFixed(2).padEnd(15)} ${String(r.restarted).padEnd(21)} ${String(r.replaced).padEnd(15)} ${r.sameContainer}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const hot = results.find((r) => r.type === 'HotPatchUpdate')!;
    if (hot.restarted !== 0 || hot.replaced !== 0 || hot.sameContainer !== PODS) {
      throw new Error(`HotPatchUpdate restarted ${hot.restarted} and recreated ${hot.replaced} containers (kept ${hot.sameContainer} of ${PODS}): it must restart none`);
    }
  } finally {
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-gd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
