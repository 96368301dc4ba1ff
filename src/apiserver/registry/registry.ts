// Which resources are served right now: the built-ins plus one entry per served version of
// every established CRD. Rebuilt from the CRD objects whenever one changes.

import type { KObject, ResourceDef } from '../types.js';
import { BUILTIN_RESOURCES } from './builtins.js';
import { conversionFor } from './conversion.js';
import { crdToResourceDefs } from '../schema/crd.js';
import { compileSchema, type CompiledSchema } from '../schema/structural.js';

interface CustomVersion {
  def: ResourceDef;
  crd: KObject;
  schema?: CompiledSchema;
  rawSchema?: unknown;
}

export class Registry {
  private byPath = new Map<string, ResourceDef>();
  private custom = new Map<string, CustomVersion>();
  private schemaCache = new Map<string, CompiledSchema>();

  constructor() {
    this.rebuild([]);
  }

  /** Recomputes the served set from the current CRD objects. */
  rebuild(crds: KObject[]): void {
    const byPath = new Map<string, ResourceDef>();
    for (const def of BUILTIN_RESOURCES) byPath.set(pathKey(def.group, def.version, def.resource), def);
    const custom = new Map<string, CustomVersion>();
    for (const crd of crds) {
      if ((crd.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
      const versions = ((crd.spec as { versions?: { name: string; schema?: { openAPIV3Schema?: unknown } }[] })?.versions) ?? [];
      for (const def of crdToResourceDefs(crd)) {
        const key = pathKey(def.group, def.version, def.resource);
        byPath.set(key, def);
        const rawSchema = versions.find((v) => v.name === def.version)?.schema?.openAPIV3Schema;
        custom.set(key, { def, crd, rawSchema, schema: rawSchema ? this.compiled(rawSchema) : undefined });
      }
    }
    this.byPath = byPath;
    this.custom = custom;
  }

  private compiled(raw: unknown): CompiledSchema {
    const cacheKey = JSON.stringify(raw);
    let c = this.schemaCache.get(cacheKey);
    if (!c) {
      c = compileSchema(raw);
      this.schemaCache.set(cacheKey, c);
    }
    return c;
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.byPath.get(pathKey(group, version, resource));
  }

  customVersion(def: ResourceDef): CustomVersion | undefined {
    return this.custom.get(pathKey(def.group, def.version, def.resource));
  }

  all(): ResourceDef[] {
    return [...this.byPath.values()];
  }

  /** Served group-versions, core first, then groups in a stable order. */
  groupVersions(): { group: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const def of this.byPath.values()) {
      if (!groups.has(def.group)) groups.set(def.group, new Set());
      groups.get(def.group)!.add(def.version);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
      .map(([group, versions]) => ({ group, versions: [...versions].sort(compareKubeVersions) }));
  }

  resourcesOf(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }
}

function pathKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

/** Storage is per group and resource, shared by every version of it (and by aliases such as events.k8s.io Events). */
export function storageKey(def: Pick<ResourceDef, 'group' | 'version' | 'resource'>): string {
  return conversionFor(def.group, def.version, def.resource)?.storedAs ?? `${def.group}/${def.resource}`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
function compareKubeVersions(a: string, b: string): number {
  return versionRank(b) - versionRank(a);
}

function versionRank(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return -1;
  const major = Number(m[1]);
  const stage = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
  const minor = m[3] ? Number(m[3]) : 0;
  return stage * 1_000_000 + major * 1000 + minor;
}
