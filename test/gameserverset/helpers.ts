// Helpers for the GameServerSet tests: a cluster with 3 embedded nodes (and the controller in
// `hotpod up`, or a separate `hotpod controller` process), GameServerSet manifests, reads through
// the API, and a pod watch that replays every change in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { api, apiOk, cliPath, kubectlOk, projectRoot, rawWatch, startCluster, waitFor, type Cluster, type RawWatch } from '../helpers/cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { createNamespace, newestKubectl, type Json } from '../helpers/pods.js';

export type { Json };

/** Waits on a machine busy with other suites: generous. */
export const WAIT_MS = 90_000;

export const ENGINE = 'registry.example.com/game/engine:1.0';
export const SIDECAR_V1 = 'registry.example.com/game/sidecar:v1';
export const SIDECAR_V2 = 'registry.example.com/game/sidecar:v2';

/** `hotpod up --in-memory --port 0 --nodes 3` (flags through the environment, as startNodeCluster does). */
export async function startGssCluster(opts: { controller?: boolean } = {}): Promise<Cluster> {
  process.env.HOTPOD_NODES = '3';
  process.env.HOTPOD_BACKOFF_BASE_MS = '300';
  delete process.env.HOTPOD_NO_HOT_PATCH;
  if (opts.controller === false) process.env.HOTPOD_NO_CONTROLLER = 'true';
  else delete process.env.HOTPOD_NO_CONTROLLER;
  return startCluster();
}

export function kubectl(c: Cluster, ns: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  return kubectlOk(newestKubectl(), c, ['-n', ns, ...args], { input: opts.input, env: opts.env });
}

export async function namespace(c: Cluster, name: string): Promise<string> {
  await createNamespace(c, name);
  return name;
}

export interface GssOptions {
  replicas?: number;
  policy?: 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly';
  partition?: number;
  maxUnavailable?: number | string;
  gracePeriodSeconds?: number;
  paused?: boolean;
  reserve?: (number | string)[];
  scaleDown?: 'General' | 'ReserveIds';
  /** pod template annotations (sim.hotpod.dev/... for the simulated runtime) */
  annotations?: Record<string, string>;
  sidecar?: string;
}

export function gss(name: string, ns: string, o: GssOptions = {}): Json {
  const rollingUpdate: Json = { podUpdatePolicy: o.policy ?? 'InPlaceIfPossible' };
  if (o.partition !== undefined) rollingUpdate.partition = o.partition;
  if (o.maxUnavailable !== undefined) rollingUpdate.maxUnavailable = o.maxUnavailable;
  if (o.paused !== undefined) rollingUpdate.paused = o.paused;
  if (o.gracePeriodSeconds !== undefined) rollingUpdate.inPlaceUpdateStrategy = { gracePeriodSeconds: o.gracePeriodSeconds };
  return {
    apiVersion: 'game.kruise.io/v1alpha1',
    kind: 'GameServerSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: o.replicas ?? 3,
      ...(o.reserve ? { reserveGameServerIds: o.reserve } : {}),
      ...(o.scaleDown ? { scaleStrategy: { scaleDownStrategyType: o.scaleDown } } : {}),
      updateStrategy: { rollingUpdate },
      gameServerTemplate: {
        ...(o.annotations ? { metadata: { annotations: o.annotations } } : {}),
        spec: {
          containers: [
            { name: 'engine', image: ENGINE },
            { name: 'sidecar', image: o.sidecar ?? SIDECAR_V1 },
          ],
        },
      },
    },
  };
}

export async function applyGss(c: Cluster, manifest: Json): Promise<void> {
  await kubectl(c, manifest.metadata.namespace, ['apply', '-f', '-'], { input: toYaml(manifest) });
}

export const gssPath = (ns: string, name = '') => `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameserversets${name ? `/${name}` : ''}`;
export const gsPath = (ns: string, name = '') => `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers${name ? `/${name}` : ''}`;
export const podsPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

export async function getGss(c: Cluster, ns: string, name: string): Promise<Json> {
  return apiOk(c, 'GET', gssPath(ns, name));
}

export async function getGs(c: Cluster, ns: string, name: string): Promise<Json> {
  return apiOk(c, 'GET', gsPath(ns, name));
}

/** The set's pods by name (terminating ones included). */
export async function podsOf(c: Cluster, ns: string, set: string): Promise<Map<string, Json>> {
  const list = await apiOk(c, 'GET', `${podsPath(ns)}?labelSelector=${encodeURIComponent(`game.kruise.io/owner-gss=${set}`)}`);
  return new Map((list.items as Json[]).map((p) => [p.metadata.name, p]));
}

export async function gameServersOf(c: Cluster, ns: string, set: string): Promise<Map<string, Json>> {
  const list = await apiOk(c, 'GET', `${gsPath(ns)}?labelSelector=${encodeURIComponent(`game.kruise.io/owner-gss=${set}`)}`);
  return new Map((list.items as Json[]).map((g) => [g.metadata.name, g]));
}

export function cond(pod: Json, type: string): Json | undefined {
  return ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === type);
}

export function isReady(pod: Json): boolean {
  return cond(pod, 'Ready')?.status === 'True';
}

export function container(pod: Json, name: string): Json | undefined {
  return ((pod.status?.containerStatuses ?? []) as Json[]).find((s) => s.name === name);
}

export function specImage(pod: Json, name: string): string | undefined {
  return ((pod.spec?.containers ?? []) as Json[]).find((s) => s.name === name)?.image;
}

/**
 * Waits until the set has exactly `names` pods, all Ready and in service, and its status says
 * so (observedGeneration current, replicas and readyReplicas). Returns the pods.
 */
export async function waitSettled(c: Cluster, ns: string, set: string, names: string[], what = 'settled'): Promise<Map<string, Json>> {
  let last = '';
  try {
    return await waitFor(
      async () => {
        const [pods, s] = await Promise.all([podsOf(c, ns, set), getGss(c, ns, set)]);
        const st = s.status ?? {};
        last = `pods ${[...pods.values()].map((p) => `${p.metadata.name}(${isReady(p) ? 'ready' : 'not ready'}${p.metadata.deletionTimestamp ? ',terminating' : ''})`).join(' ')}; status ${JSON.stringify(st)}`;
        const ok =
          [...pods.keys()].sort().join(',') === [...names].sort().join(',') &&
          [...pods.values()].every((p) => isReady(p) && !p.metadata.deletionTimestamp && cond(p, 'InPlaceUpdateReady')?.status === 'True') &&
          st.observedGeneration === s.metadata.generation &&
          st.replicas === names.length &&
          st.readyReplicas === names.length;
        return ok ? pods : undefined;
      },
      `${ns}/${set} ${what}: pods ${names.join(', ')}`,
      WAIT_MS,
      250,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${last}`);
  }
}

/** Every event of a pod watch, replayed into the latest state of each pod after each event. */
export interface PodHistory {
  watch: RawWatch;
  /** per pod: the sequence of (InPlaceUpdateReady status) values seen, consecutive repeats dropped */
  gate: Map<string, string[]>;
  /** per pod: the sequence of sidecar spec images seen, consecutive repeats dropped */
  images: Map<string, string[]>;
  /** per pod: the uids seen */
  uids: Map<string, Set<string>>;
  /** the highest number of unavailable pods after any event (missing replicas included) */
  maxUnavailable(): number;
  latest: Map<string, Json>;
  close(): void;
}

/**
 * Lists the namespace's pods, then watches them from the list's resourceVersion, keeping after
 * every event the count of pods not available (not Ready, out of service for an update,
 * terminating, or missing from `replicas`), as an observer of the rollout sees it.
 */
export async function recordPods(c: Cluster, ns: string, replicas: number): Promise<PodHistory> {
  const list = await apiOk(c, 'GET', podsPath(ns));
  const watch = rawWatch(c, `${podsPath(ns)}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
  const latest = new Map<string, Json>();
  const gate = new Map<string, string[]>();
  const images = new Map<string, string[]>();
  const uids = new Map<string, Set<string>>();
  let max = 0;
  let handled = 0;
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const seq = m.get(k) ?? [];
    if (seq[seq.length - 1] !== v) seq.push(v);
    m.set(k, seq);
  };
  const see = (pod: Json) => {
    const name = pod.metadata.name as string;
    latest.set(name, pod);
    push(gate, name, cond(pod, 'InPlaceUpdateReady')?.status ?? 'none');
    push(images, name, specImage(pod, 'sidecar') ?? 'none');
    const set = uids.get(name) ?? new Set<string>();
    set.add(pod.metadata.uid);
    uids.set(name, set);
  };
  const count = () => {
    const live = [...latest.values()].filter((p) => !p.metadata.deletionTimestamp);
    const unavailable = live.filter((p) => !isReady(p) || cond(p, 'InPlaceUpdateReady')?.status === 'False').length + Math.max(0, replicas - live.length);
    max = Math.max(max, unavailable);
  };
  for (const pod of list.items as Json[]) see(pod);
  count();
  const consume = () => {
    for (; handled < watch.events.length; handled++) {
      const ev = watch.events[handled]!;
      const pod = ev.object;
      if (!pod?.metadata?.name) continue;
      if (ev.type === 'DELETED') latest.delete(pod.metadata.name);
      else see(pod);
      count();
    }
  };
  const timer = setInterval(consume, 20);
  return {
    watch,
    gate,
    images,
    uids,
    latest,
    maxUnavailable: () => {
      consume();
      return max;
    },
    close: () => {
      consume();
      clearInterval(timer);
      watch.close();
    },
  };
}

/** A namespace's pods list resourceVersion (to watch from "now"). */
export async function podsResourceVersion(c: Cluster, ns: string): Promise<string> {
  const list = await apiOk(c, 'GET', podsPath(ns));
  return list.metadata.resourceVersion as string;
}

/** Events about a set (involvedObject), newest last. */
export async function setEvents(c: Cluster, ns: string, set: string): Promise<Json[]> {
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${set},involvedObject.kind=GameServerSet`)}`);
  return list.items as Json[];
}

export async function patchGs(c: Cluster, ns: string, name: string, patch: Json): Promise<void> {
  const r = await api(c, 'PATCH', gsPath(ns, name), patch, { contentType: 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`patch GameServer ${ns}/${name} -> ${r.status}: ${r.text}`);
}

export async function patchGss(c: Cluster, ns: string, name: string, patch: Json): Promise<void> {
  const r = await api(c, 'PATCH', gssPath(ns, name), patch, { contentType: 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`patch GameServerSet ${ns}/${name} -> ${r.status}: ${r.text}`);
}

/** Sets the sidecar image of the set's template (a JSON patch, as `kubectl patch --type json` would). */
export async function setSidecarImage(c: Cluster, ns: string, name: string, image: string): Promise<void> {
  const r = await api(c, 'PATCH', gssPath(ns, name), [{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/1/image', value: image }], {
    contentType: 'application/json-patch+json',
  });
  if (r.status !== 200) throw new Error(`patch GameServerSet ${ns}/${name} -> ${r.status}: ${r.text}`);
}

/** `hotpod controller --kubeconfig` as a child process, ready once it prints its running line. */
export interface ControllerProcess {
  proc: ChildProcess;
  logs(): string;
  /** SIGKILL: a crash, nothing flushed. */
  kill9(): Promise<void>;
  /** SIGTERM: a clean stop; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `args` go after the defaults (which serve no metrics or probes: tests run side by side), so a
 * later `--kubeconfig` wins; `env` is added to the test's own.
 */
export async function startControllerProcess(c: Cluster, args: string[] = [], env: Record<string, string> = {}): Promise<ControllerProcess> {
  const proc = spawn(process.execPath, [cliPath(), 'controller', '--kubeconfig', c.kubeconfigPath, '--log-level', 'info', '--metrics-bind-address=0', '--health-probe-bind-address=0', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.length > 256 * 1024) out = out.slice(-256 * 1024);
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  process.on('exit', () => proc.kill('SIGKILL'));
  await waitFor(() => /hotpod controller running against/.test(out) || proc.exitCode !== null, 'hotpod controller ready', WAIT_MS, 100);
  if (proc.exitCode !== null) throw new Error(`hotpod controller exited (${proc.exitCode}) before it was ready:\n${out}`);
  return {
    proc,
    logs: () => out,
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
