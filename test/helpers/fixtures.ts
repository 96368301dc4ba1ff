// Fixture builders shared by the conformance tests.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { api, apiOk, fixturePath, waitFor, type Cluster } from './cluster.js';

export const GROUP = 'conformance.hotpod.dev';
export const CRD_NAME = `arenasets.${GROUP}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** The ArenaSet CRD fixture, optionally moved to another API group. */
export function arenaSetCrd(group: string = GROUP): Obj {
  const crd = YAML.parse(readFileSync(fixturePath('arenaset-crd.yaml'), 'utf8')) as Obj;
  crd.metadata.name = `arenasets.${group}`;
  crd.spec.group = group;
  return crd;
}

export function toYaml(...objs: Obj[]): string {
  // YAML 1.1 quoting: kubectl's parser reads an unquoted yes/no/on/off as a boolean.
  return objs.map((o) => YAML.stringify(o, { version: '1.1' })).join('---\n');
}

/** Creates the CRD through the API (if absent) and waits until it is Established and discoverable. */
export async function installCrd(c: Cluster, group: string = GROUP): Promise<void> {
  const crd = arenaSetCrd(group);
  const r = await api(c, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new Error(`create CRD -> ${r.status}: ${r.text}`);
  await waitCrdEstablished(c, group);
}

export async function waitCrdEstablished(c: Cluster, group: string = GROUP): Promise<void> {
  await waitFor(
    async () => {
      const got = await apiOk(c, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/arenasets.${group}`);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const est = (got.status?.conditions ?? []).find((x: any) => x.type === 'Established');
      if (est?.status !== 'True') return false;
      const disc = await api(c, 'GET', `/apis/${group}/v1`);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return disc.status === 200 && (disc.body?.resources ?? []).some((x: any) => x.name === 'arenasets');
    },
    `CRD arenasets.${group} Established and served in discovery`,
    30_000,
  );
}

export function arenaSet(name: string, namespace: string, spec: Obj = {}, extraMeta: Obj = {}, group: string = GROUP): Obj {
  return {
    apiVersion: `${group}/v1`,
    kind: 'ArenaSet',
    metadata: { name, namespace, ...extraMeta },
    spec: { image: 'registry.example/arena:1.0', replicas: 2, ...spec },
  };
}

export function arenaPath(namespace: string, name?: string, group: string = GROUP): string {
  return `/apis/${group}/v1/namespaces/${namespace}/arenasets${name ? `/${name}` : ''}`;
}

export function pod(name: string, namespace: string, extraSpec: Obj = {}, extraMeta: Obj = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'arena' }, ...extraMeta },
    spec: {
      containers: [
        { name: 'game', image: 'registry.example/game:1.0', ports: [{ containerPort: 7777, protocol: 'UDP' }] },
        { name: 'sidecar', image: 'registry.example/sidecar:1.0' },
      ],
      ...extraSpec,
    },
  };
}

export function configMap(name: string, namespace: string, data: Record<string, string> = {}, extraMeta: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...extraMeta }, data };
}

/** GET an object; returns undefined on 404. */
export async function getObj(c: Cluster, path: string): Promise<Obj | undefined> {
  const r = await api(c, 'GET', path);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path} -> ${r.status}: ${r.text}`);
  return r.body as Obj;
}

/** The names and resourceVersions of a list, to check that a failed request changed nothing. */
export async function snapshot(c: Cluster, listPath: string): Promise<Record<string, string>> {
  const list = await apiOk(c, 'GET', listPath);
  const out: Record<string, string> = {};
  for (const item of list.items ?? []) out[`${item.metadata.namespace ?? ''}/${item.metadata.name}`] = item.metadata.resourceVersion;
  return out;
}
