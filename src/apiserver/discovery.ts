// Discovery documents: how kubectl and client-node learn which resources exist. Plain
// (non-aggregated) lists, which every kubectl from 1.20 to 1.35 understands.

import type { Registry } from './registry/registry.js';
import type { ResourceDef } from './types.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '35',
  gitVersion: 'v1.35.0-hotpod',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-21T00:00:00Z',
  goVersion: 'go1.25.0',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: string[]): object {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(registry: Registry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groupVersions()
      .filter((g) => g.group !== '')
      .map((g) => groupEntry(g.group, g.versions)),
  };
}

export function apiGroup(registry: Registry, group: string): object | undefined {
  const found = registry.groupVersions().find((g) => g.group === group);
  if (!found || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, found.versions) };
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const defs = registry.resourcesOf(group, version);
  if (!defs.length) return undefined;
  const resources: object[] = [];
  for (const def of defs.sort((a, b) => a.resource.localeCompare(b.resource))) {
    resources.push(resourceEntry(def));
    for (const sub of def.subresources) resources.push(subresourceEntry(def, sub));
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function resourceEntry(def: ResourceDef): object {
  const entry: Record<string, unknown> = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs,
  };
  if (def.shortNames.length) entry.shortNames = def.shortNames;
  if (def.categories.length) entry.categories = def.categories;
  return entry;
}

function subresourceEntry(def: ResourceDef, sub: string): object {
  const base = { name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced };
  switch (sub) {
    case 'scale':
      return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'binding':
      return { ...base, kind: 'Binding', verbs: ['create'] };
    case 'token':
      return { ...base, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] };
    case 'log':
      return { ...base, kind: 'Pod', verbs: ['get'] };
    default:
      return { ...base, kind: def.kind, verbs: ['get', 'patch', 'update'] };
  }
}
