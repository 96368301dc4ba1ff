// One image rollout of a workload, measured the same way for every API (GameDeployment,
// GameServerSet): create it, wait until every pod is ready, patch the image, and time it until
// status shows every pod updated and ready; then count the controller's writes, the containers
// restarted, the pods recreated, and the containers kept.

import type { RunningController } from '../src/controller/index.js';
import { spawnHotpodUp, type RunningHotpod } from './common.js';
import { JSON_PATCH, type KubeClient } from '../src/kube/index.js';

type Json = Record<string, any>;

const WAIT_MS = 20 * 60_000;

export interface RolloutSpec {
  objects: KubeClient;
  controller: RunningController;
  apiVersion: string;
  kind: string;
  /** The workload to create (metadata.name and namespace set). */
  manifest: Json;
  pods: number;
  /** Label selector of the workload's pods. */
  podSelector: string;
  /** JSON patch that changes the image. */
  imagePatch: unknown[];
  /** The container whose image changes. */
  container: string;
  progress: (msg: string) => void;
  /** Called just before the image patch, and once every pod is updated and ready. */
  onRolloutStart?: () => void;
  onRolloutEnd?: () => void;
}

export interface RolloutResult {
  seconds: number;
  /** Controller writes to pods, per pod, during the rollout. */
  podWrites: number;
  /** Controller writes of any kind, per pod. */
  allWrites: number;
  /** Controller writes per pod by what they were for (`leaveService`, `preUpdate`, ...), of any kind. */
  byPurpose: Record<string, number>;
  restarted: number;
  replaced: number;
  sameContainer: number;
}

export async function waitUntil(what: string, fn: () => Promise<boolean>, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} not reached within ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function listPods(objects: KubeClient, namespace: string, labelSelector: string): Promise<Json[]> {
  const out: Json[] = [];
  let cont: string | undefined;
  do {
    const page = await objects.listPage('v1', 'Pod', { namespace, labelSelector, limit: 500, continue: cont });
    out.push(...page.items);
    cont = page.metadata.continue || undefined;
  } while (cont);
  return out;
}

/** `hotpod up` with three simulated nodes roomy enough for `pods`, and no controller (the bench runs its own). */
export function startRolloutCluster(dataDir: string, pods: number): Promise<RunningHotpod> {
  const maxPods = String(Math.ceil((pods * 1.3) / 3) + 50);
  // The flags say what the bench needs; environment settings of a user's shell must not override them.
  const { HOTPOD_NODES: _n, HOTPOD_MAX_PODS: _m, HOTPOD_NO_HOT_PATCH: _h, ...env } = process.env;
  const args = ['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '3', '--max-pods', maxPods, '--no-controller', '--log-level', 'warn'];
  // BENCH_SERVER_NODE_ARGS: node flags for the cluster process (e.g. --cpu-prof).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawnHotpodUp(args, { env, nodeArgs });
}

const sum = (entries: [string, number][]) => entries.reduce((n, [, v]) => n + v, 0);

export async function measureRollout(s: RolloutSpec): Promise<RolloutResult> {
  const { objects, apiVersion, kind, pods: PODS } = s;
  const key = { namespace: s.manifest.metadata.namespace as string, name: s.manifest.metadata.name as string };
  const list = () => listPods(objects, key.namespace, s.podSelector);
  const status = async () => (await objects.get(apiVersion, kind, key)).status ?? {};
  const allReady = (st: Json) => st.replicas === PODS && st.readyReplicas === PODS && st.updatedReadyReplicas === PODS;

  s.progress(`${key.name}: creating ${PODS} pods`);
  await objects.createObject(s.manifest);
  await waitUntil(`${key.name}: ${PODS} pods ready`, async () => allReady(await status()));
  const before = new Map((await list()).map((p) => [p.metadata.uid as string, p]));
  const writesBefore = s.controller.writes().byKindVerb;
  const purposesBefore = s.controller.writes().byPurpose;

  s.progress(`${key.name}: rolling out`);
  s.onRolloutStart?.();
  const t0 = performance.now();
  const oldRevision = (await status()).updateRevision;
  const patched = await objects.patchObject(apiVersion, kind, key, s.imagePatch, { contentType: JSON_PATCH });
  const generation = patched.metadata?.generation ?? 0;
  await waitUntil(
    `${key.name}: ${PODS} pods updated and ready`,
    async () => {
      const st = await status();
      return st.observedGeneration >= generation && st.updateRevision !== oldRevision && allReady(st);
    },
    100,
  );
  const seconds = (performance.now() - t0) / 1000;
  s.onRolloutEnd?.();
  const delta: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.controller.writes().byKindVerb)) delta[k] = v - (writesBefore[k] ?? 0);
  const byPurpose: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.controller.writes().byPurpose)) if (v > (purposesBefore[k] ?? 0)) byPurpose[k] = (v - (purposesBefore[k] ?? 0)) / PODS;
  s.progress(`${key.name}: writes ${JSON.stringify(delta)}`);

  let restarted = 0;
  let sameContainer = 0;
  let replaced = 0;
  const containerOf = (p: Json): Json => (p.status?.containerStatuses ?? []).find((c: Json) => c.name === s.container) ?? {};
  for (const p of (await list()).filter((p) => !p.metadata.deletionTimestamp)) {
    const was = before.get(p.metadata.uid);
    if (!was) {
      replaced++;
      continue;
    }
    const now = containerOf(p);
    restarted += now.restartCount ?? 0;
    const old = containerOf(was);
    if (old.containerID && old.containerID === now.containerID) sameContainer++;
  }

  s.progress(`${key.name}: deleting`);
  await objects.deleteObject(apiVersion, kind, key, { propagationPolicy: 'Background' });
  await waitUntil(`${key.name}: pods gone`, async () => (await list()).length === 0, 500);
  const entries = Object.entries(delta);
  return {
    seconds,
    podWrites: sum(entries.filter(([k]) => k.startsWith('Pod.'))) / PODS,
    allWrites: sum(entries) / PODS,
    byPurpose,
    restarted,
    replaced,
    sameContainer,
  };
}
