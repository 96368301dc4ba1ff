// Helpers for the GameDeployment tests: a `hotpod up` cluster with embedded nodes (and the
// controller in-process unless told otherwise), a separate `hotpod controller` process,
// kubectl, GameDeployment manifests, and a pod watch that checks rollout invariants on every
// event it sees.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  api,
  apiOk,
  cliPath,
  kubectlOk,
  kubectls,
  parseTable,
  projectRoot,
  rawWatch,
  startCluster,
  waitFor,
  type Cluster,
  type Kubectl,
  type KubectlOpts,
} from '../helpers/cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const GD_PATH = (ns: string, name = '') => `/apis/tkex.tencent.com/v1alpha1/namespaces/${ns}/gamedeployments${name ? `/${name}` : ''}`;
export const POD_NAME = /^[a-z0-9-]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

export interface GdClusterOptions {
  nodes?: number;
  hotPatch?: boolean;
  /** Run the controller inside `hotpod up` (default); false: start `hotpod controller` yourself. */
  controller?: boolean;
  /** Keep the store on disk (not --in-memory), so that `restart()` keeps every object. */
  persistent?: boolean;
}

/** `hotpod up --in-memory --port 0 --nodes N` (through the environment: the helper passes it on). */
export async function startGdCluster(o: GdClusterOptions = {}): Promise<Cluster> {
  process.env.HOTPOD_NODES = String(o.nodes ?? 3);
  process.env.HOTPOD_BACKOFF_BASE_MS = '300';
  if (o.hotPatch === false) process.env.HOTPOD_NO_HOT_PATCH = 'true';
  else delete process.env.HOTPOD_NO_HOT_PATCH;
  if (o.controller === false) process.env.HOTPOD_NO_CONTROLLER = 'true';
  else delete process.env.HOTPOD_NO_CONTROLLER;
  const c = await startCluster(o.persistent ? { inMemory: false } : {});
  // hotpod up installs the CRDs before it prints KUBECONFIG=; they must be served by now.
  await waitFor(async () => (await api(c, 'GET', '/apis/tkex.tencent.com/v1alpha1')).status === 200, 'GameDeployment served', 60_000);
  return c;
}

export function kubectl135(): Kubectl {
  const all = kubectls();
  return all.find((k) => k.version === '1.35') ?? all[all.length - 1]!;
}

export function kubectl(c: Cluster, args: string[], opts: KubectlOpts = {}): Promise<string> {
  return kubectlOk(kubectl135(), c, args, { timeoutMs: 120_000, ...opts });
}

export async function ensureNs(c: Cluster, ns: string): Promise<void> {
  const r = await api(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  if (r.status !== 201 && r.status !== 409) throw new Error(`create namespace ${ns} -> ${r.status}: ${r.text}`);
}

export interface GdOptions {
  replicas?: number;
  type?: 'OnDelete' | 'RollingUpdate' | 'InplaceUpdate' | 'HotPatchUpdate';
  image?: string;
  updateStrategy?: Json;
  annotations?: Record<string, string>;
  /** pod template annotations (sim.hotpod.dev/... delays) */
  podAnnotations?: Record<string, string>;
  spec?: Json;
}

export function gdManifest(name: string, ns: string, o: GdOptions = {}): Json {
  return {
    apiVersion: 'tkex.tencent.com/v1alpha1',
    kind: 'GameDeployment',
    metadata: { name, namespace: ns, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}) },
        spec: { containers: [{ name: 'main', image: o.image ?? 'game/main:v1', imagePullPolicy: 'IfNotPresent' }] },
      },
      updateStrategy: { type: o.type ?? 'RollingUpdate', ...(o.updateStrategy ?? {}) },
      ...(o.spec ?? {}),
    },
  };
}

export async function createGd(c: Cluster, gd: Json): Promise<Json> {
  return apiOk(c, 'POST', GD_PATH(gd.metadata.namespace), gd);
}

export async function getGd(c: Cluster, ns: string, name: string): Promise<Json> {
  return apiOk(c, 'GET', GD_PATH(ns, name));
}

export async function mergePatchGd(c: Cluster, ns: string, name: string, patch: Json): Promise<Json> {
  return apiOk(c, 'PATCH', GD_PATH(ns, name), patch, { contentType: 'application/merge-patch+json' });
}

/** The GameDeployment's pods (terminating ones included), by name. */
export async function listPods(c: Cluster, ns: string, app: string): Promise<Json[]> {
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`);
  return (list.items as Json[]).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

export const live = (pods: Json[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
export const isReady = (p: Json) => ((p.status?.conditions ?? []) as Json[]).some((x) => x.type === 'Ready' && x.status === 'True');
export const mainStatus = (p: Json): Json => ((p.status?.containerStatuses ?? []) as Json[]).find((s) => s.name === 'main') ?? {};
export const revisionOf = (p: Json): string | undefined => p.metadata.labels?.['controller-revision-hash'];

/** `kubectl get gamedeployment NAME`: DESIRED UPDATED UPDATED_READY READY TOTAL, space-joined. */
export async function gdRow(c: Cluster, ns: string, name: string): Promise<string> {
  const out = await kubectl(c, ['get', 'gamedeployment', name, '-n', ns]);
  const t = parseTable(out);
  assert.deepEqual(t.headers, ['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL', 'AGE']);
  const r = t.rows[0]!;
  return [r.DESIRED, r.UPDATED, r.UPDATED_READY, r.READY, r.TOTAL].join(' ');
}

export async function waitRow(c: Cluster, ns: string, name: string, want: string, timeoutMs = 120_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      last = await gdRow(c, ns, name);
      return last === want;
    },
    `kubectl get gamedeployment ${name} to print "${want}" (last: "${last}")`,
    timeoutMs,
    500,
  );
}

/** Polls the GameDeployment until `pred` holds; returns it. */
export async function waitGd(c: Cluster, ns: string, name: string, pred: (gd: Json) => boolean, what: string, timeoutMs = 120_000): Promise<Json> {
  let last: Json | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getGd(c, ns, name);
        return pred(last) ? last : undefined;
      },
      `GameDeployment ${ns}/${name}: ${what}`,
      timeoutMs,
      300,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status)}\nlast spec.updateStrategy: ${JSON.stringify(last?.spec?.updateStrategy)}`);
  }
}

export async function waitPods(c: Cluster, ns: string, app: string, pred: (pods: Json[]) => boolean, what: string, timeoutMs = 120_000): Promise<Json[]> {
  let last: Json[] = [];
  try {
    return await waitFor(
      async () => {
        last = await listPods(c, ns, app);
        return pred(last) ? last : undefined;
      },
      `pods of ${ns}/${app}: ${what}`,
      timeoutMs,
      300,
    );
  } catch (err) {
    const summary = last.map((p) => `${p.metadata.name} rev=${revisionOf(p)} ready=${isReady(p)} image=${mainStatus(p).image} restarts=${mainStatus(p).restartCount}${p.metadata.deletionTimestamp ? ' terminating' : ''}`);
    throw new Error(`${(err as Error).message}\nlast pods:\n${summary.join('\n')}`);
  }
}

/** Events about the GameDeployment, oldest first. */
export async function gdEvents(c: Cluster, ns: string, name: string): Promise<Json[]> {
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/events`);
  return (list.items as Json[])
    .filter((e) => e.involvedObject?.kind === 'GameDeployment' && e.involvedObject?.name === name)
    .sort((a, b) => String(a.firstTimestamp ?? '').localeCompare(String(b.firstTimestamp ?? '')) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

/** The Events section of `kubectl describe gamedeployment`, one parsed row per event. */
export async function describeEvents(c: Cluster, ns: string, name: string): Promise<{ type: string; reason: string; from: string; message: string }[]> {
  const out = await kubectl(c, ['describe', 'gamedeployment', name, '-n', ns]);
  const at = out.indexOf('\nEvents:');
  assert.ok(at >= 0, `no Events section in kubectl describe:\n${out}`);
  const lines = out.slice(at).split('\n').slice(1);
  const rows: { type: string; reason: string; from: string; message: string }[] = [];
  for (const line of lines) {
    // "  Normal  SuccessfulCreate  19s  hotpod  succeed to create pod x"
    const m = /^\s+(Normal|Warning)\s+(\S+)\s+(\S+(?: \(x\d+ over \S+\))?)\s+(\S+)\s+(.*)$/.exec(line);
    if (m) rows.push({ type: m[1]!, reason: m[2]!, from: m[4]!, message: m[5]!.trim() });
  }
  return rows;
}

/** Checks an invariant on every pod event of a label selector; records the first violations. */
export interface PodMonitor {
  violations: string[];
  /** events seen so far */
  seen(): number;
  /** most pods not terminating at one moment */
  maxLive(): number;
  /** fewest ready (not terminating) pods at one moment */
  minReady(): number;
  stop(): void;
}

/** Lists the pods, then watches from the list's resourceVersion: every state checked is a whole one. */
export async function monitorPods(c: Cluster, ns: string, app: string, check: (pods: Json[]) => string | undefined): Promise<PodMonitor> {
  const selector = encodeURIComponent(`app=${app}`);
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${selector}`);
  const w = rawWatch(c, `/api/v1/namespaces/${ns}/pods?labelSelector=${selector}&resourceVersion=${list.metadata.resourceVersion}`);
  const pods = new Map<string, Json>((list.items as Json[]).map((p) => [p.metadata.name, p]));
  const violations: string[] = [];
  let count = 0;
  let maxLive = 0;
  let minReady = Infinity;
  let stopped = false;
  const onEvent = () => {
    while (!stopped && count < w.events.length) {
      const ev = w.events[count++]!;
      const name = ev.object?.metadata?.name;
      if (!name) continue;
      if (ev.type === 'DELETED') pods.delete(name);
      else pods.set(name, ev.object);
      const all = [...pods.values()];
      const lv = live(all);
      maxLive = Math.max(maxLive, lv.length);
      minReady = Math.min(minReady, lv.filter(isReady).length);
      const v = check(all);
      if (v && violations.length < 20) violations.push(`after ${ev.type} ${name}: ${v}`);
    }
  };
  const timer = setInterval(onEvent, 20);
  return {
    violations,
    seen: () => count,
    maxLive: () => maxLive,
    minReady: () => minReady,
    stop() {
      onEvent();
      stopped = true;
      clearInterval(timer);
      w.close();
    },
  };
}

/** A `hotpod controller --kubeconfig` process against the cluster. */
export interface ControllerProcess {
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startControllerProcess(c: Cluster): Promise<ControllerProcess> {
  const proc = spawn(process.execPath, [cliPath(), 'controller', '--kubeconfig', c.kubeconfigPath, '--log-level', 'info', '--metrics-bind-address=0', '--health-probe-bind-address=0'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let log = '';
  const append = (d: string) => {
    log += d;
    if (log.length > 64 * 1024) log = log.slice(log.length - 64 * 1024);
  };
  proc.stdout!.setEncoding('utf8').on('data', append);
  proc.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  process.on('exit', () => proc.kill('SIGKILL'));
  await waitFor(() => /hotpod controller running against/.test(log) || proc.exitCode !== null, 'hotpod controller to start', 90_000, 100);
  if (proc.exitCode !== null) throw new Error(`hotpod controller exited ${proc.exitCode}:\n${log}`);
  return {
    logs: () => log,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** `hotpod node ps` of the cluster: container id (12 hex) → {image, name, node}. */
export async function nodePs(c: Cluster): Promise<Map<string, { image: string; names: string; status: string }>> {
  const out = await new Promise<string>((res, rej) => {
    const p = spawn(process.execPath, [cliPath(), 'node', 'ps', '--data-dir', c.dataDir], { cwd: projectRoot, env: { ...process.env, NODE_OPTIONS: '' } });
    let so = '';
    let se = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (so += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (se += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      if (code === 0) res(so);
      else rej(new Error(`hotpod node ps exited ${code}: ${se}${so}`));
    });
  });
  const table = parseTable(out);
  const map = new Map<string, { image: string; names: string; status: string }>();
  for (const r of table.rows) map.set(r['CONTAINER ID']!, { image: r.IMAGE!, names: r.NAMES!, status: r.STATUS! });
  return map;
}

/** The 12 hex characters `docker ps` and `hotpod node ps` show of a containerID. */
export function shortId(containerID: string): string {
  return containerID.replace(/^[a-z]+:\/\//, '').slice(0, 12);
}
