// A small RBAC authorizer for tests: which requests a set of PolicyRules allows, as the API
// server's RBAC authorizer decides it (apiGroups, resources with `resource/subresource`,
// `*` wildcards, resourceNames), and which (group, resource, verb) grants the rules hold.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { ResourceAttributes } from '../../src/kube/request-attributes.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

/** Every document of every YAML file, in order (empty documents dropped). */
export function readManifests(...files: string[]): Manifest[] {
  return files.flatMap((f) => parseManifests(readFileSync(f, 'utf8')));
}

export function parseManifests(text: string): Manifest[] {
  return YAML.parseAllDocuments(text)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => !!m && typeof m === 'object');
}

export function findManifest(docs: Manifest[], kind: string, name: string): Manifest {
  const m = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  if (!m) throw new Error(`no ${kind} ${name} among ${docs.map((d) => `${d.kind}/${d.metadata?.name}`).join(', ')}`);
  return m;
}

const matches = (list: string[] | undefined, value: string) => !!list && (list.includes('*') || list.includes(value));

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

export function ruleAllows(rule: PolicyRule, a: Pick<ResourceAttributes, 'apiGroup' | 'resource' | 'subresource' | 'verb' | 'name'>): boolean {
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.apiGroup) || !resourceMatches(rule, a.resource, a.subresource)) return false;
  // resourceNames restrict a rule to named objects: a list, watch or create never matches one.
  return !rule.resourceNames?.length || (a.name !== '' && rule.resourceNames.includes(a.name));
}

export function rulesAllow(rules: PolicyRule[], a: Pick<ResourceAttributes, 'apiGroup' | 'resource' | 'subresource' | 'verb' | 'name'>): boolean {
  return rules.some((r) => ruleAllows(r, a));
}

/** One `group resource[/subresource] verb` per grant the rules spell out (wildcards kept as `*`). */
export function grants(rules: PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(grantKey(g, res, v));
  return [...out].sort();
}

export function grantKey(group: string, resource: string, verb: string): string {
  return `${group || 'core'} ${resource} ${verb}`;
}

/** The grant a request uses: `core pods/status patch`. */
export function grantOf(a: Pick<ResourceAttributes, 'apiGroup' | 'resource' | 'subresource' | 'verb'>): string {
  return grantKey(a.apiGroup, a.subresource ? `${a.resource}/${a.subresource}` : a.resource, a.verb);
}
