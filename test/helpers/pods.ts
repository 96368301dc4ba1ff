// Helpers for the node tests: a cluster with embedded nodes, pod fixtures, and waits on pod
// status. `hotpod up` reads its node flags from the environment too (HOTPOD_NODES, ...), and
// startCluster passes this process's environment on, so a test file sets them here.
import { api, apiOk, kubectls, startCluster, waitFor, type Cluster, type Kubectl } from './cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface NodeClusterOptions {
  nodes?: number;
  hotPatch?: boolean;
  /** Base of the crash and pull back-offs; short so that tests see several restarts. */
  backoffBaseMs?: number;
  /** Persist state here (the cluster can then be restarted on it); in memory when absent. */
  dataDir?: string;
}

export async function startNodeCluster(o: NodeClusterOptions = {}): Promise<Cluster> {
  process.env.HOTPOD_NODES = String(o.nodes ?? 3);
  process.env.HOTPOD_BACKOFF_BASE_MS = String(o.backoffBaseMs ?? 300);
  if (o.hotPatch === false) process.env.HOTPOD_NO_HOT_PATCH = 'true';
  else delete process.env.HOTPOD_NO_HOT_PATCH;
  return o.dataDir ? startCluster({ dataDir: o.dataDir, inMemory: false }) : startCluster();
}

/** The newest kubectl found (1.35). */
export function newestKubectl(): Kubectl {
  const all = kubectls();
  return all[all.length - 1]!;
}

export function podManifest(name: string, namespace: string, containers: Json[], extra: { spec?: Json; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations: extra.annotations, labels: extra.labels },
    spec: { containers, ...extra.spec },
  };
}

export function podPath(namespace: string, name = ''): string {
  return `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ''}`;
}

export async function createPod(c: Cluster, pod: Json): Promise<Json> {
  return apiOk(c, 'POST', podPath(pod.metadata.namespace), pod);
}

export async function getPod(c: Cluster, namespace: string, name: string): Promise<Json | undefined> {
  const r = await api(c, 'GET', podPath(namespace, name));
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET pod ${namespace}/${name} -> ${r.status}: ${r.text}`);
  return r.body;
}

/** Polls the pod until `pred` holds; the failure message shows the pod's last status. */
export async function waitPod(c: Cluster, namespace: string, name: string, pred: (pod: Json) => boolean, what: string, timeoutMs = 20_000): Promise<Json> {
  let last: Json | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getPod(c, namespace, name);
        return last && pred(last) ? last : undefined;
      },
      `${namespace}/${name}: ${what}`,
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
  }
}

export function containerStatus(pod: Json, name: string): Json {
  const cs = ((pod.status?.containerStatuses ?? []) as Json[]).find((s) => s.name === name);
  if (!cs) throw new Error(`pod ${pod.metadata.name} has no status for container ${name}: ${JSON.stringify(pod.status)}`);
  return cs;
}

export function condition(pod: Json, type: string): Json | undefined {
  return ((pod.status?.conditions ?? []) as Json[]).find((x) => x.type === type);
}

export function isReady(pod: Json): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

export async function createNamespace(c: Cluster, name: string): Promise<void> {
  const r = await api(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201 && r.status !== 409) throw new Error(`create namespace ${name} -> ${r.status}: ${r.text}`);
}
