// RBAC evaluation as kube-apiserver's authorizer does it, with no I/O: which rules a user holds
// through the bindings naming them, and whether one of those rules allows a request. The
// authorizer compiles a user's rules once and reuses them until an RBAC object changes.

import type { RequestAttributes } from '../../util/request-attributes.js';
import { serviceAccountUsername, type UserInfo } from './user.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export interface Role {
  metadata: { name?: string; namespace?: string };
  rules?: PolicyRule[];
}

export interface Binding {
  metadata: { name?: string; namespace?: string };
  subjects?: Subject[];
  roleRef?: RoleRef;
}

/** Where the RBAC objects come from: a store, or plain arrays in tests. */
export interface PolicySource {
  clusterRoles(): Role[];
  roles(namespace: string): Role[];
  clusterRoleBindings(): Binding[];
  roleBindings(): Binding[];
}

/** The rules one user holds: cluster-wide ones and those granted within one namespace. */
export interface CompiledRules {
  cluster: PolicyRule[];
  byNamespace: Map<string, PolicyRule[]>;
  /** Bindings whose role is missing, reported after a denial as kube does. */
  errors: string[];
}

export function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return subject.name !== undefined && user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return !!namespace && !!subject.name && serviceAccountUsername(namespace, subject.name) === user.name;
    }
    default:
      return false;
  }
}

function boundTo(user: UserInfo, binding: Binding): boolean {
  return (binding.subjects ?? []).some((s) => appliesTo(user, s, binding.metadata.namespace ?? ''));
}

export function compileRules(user: UserInfo, source: PolicySource): CompiledRules {
  const compiled: CompiledRules = { cluster: [], byNamespace: new Map(), errors: [] };
  const clusterRoles = new Map(source.clusterRoles().map((r) => [r.metadata.name ?? '', r]));
  for (const binding of source.clusterRoleBindings()) {
    if (!boundTo(user, binding)) continue;
    const ref = binding.roleRef ?? {};
    const role = ref.kind === 'ClusterRole' ? clusterRoles.get(ref.name ?? '') : undefined;
    if (!role) compiled.errors.push(`clusterrole.${RBAC_GROUP} "${ref.name ?? ''}" not found`);
    else compiled.cluster.push(...(role.rules ?? []));
  }
  for (const binding of source.roleBindings()) {
    if (!boundTo(user, binding)) continue;
    const namespace = binding.metadata.namespace ?? '';
    const ref = binding.roleRef ?? {};
    let role: Role | undefined;
    if (ref.kind === 'ClusterRole') role = clusterRoles.get(ref.name ?? '');
    else if (ref.kind === 'Role') role = source.roles(namespace).find((r) => r.metadata.name === ref.name);
    if (!role) {
      compiled.errors.push(`${ref.kind === 'Role' ? 'role' : 'clusterrole'}.${RBAC_GROUP} "${ref.name ?? ''}" not found`);
      continue;
    }
    const list = compiled.byNamespace.get(namespace) ?? [];
    list.push(...(role.rules ?? []));
    compiled.byNamespace.set(namespace, list);
  }
  return compiled;
}

export function allows(compiled: CompiledRules, attrs: RequestAttributes): boolean {
  if (compiled.cluster.some((r) => ruleAllows(r, attrs))) return true;
  if (attrs.kind !== 'resource' || !attrs.namespace) return false;
  return (compiled.byNamespace.get(attrs.namespace) ?? []).some((r) => ruleAllows(r, attrs));
}

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!matchesOrStar(rule.verbs, attrs.verb)) return false;
  if (attrs.kind === 'nonResource') return nonResourceURLMatches(rule.nonResourceURLs, attrs.path);
  return (
    matchesOrStar(rule.apiGroups, attrs.apiGroup) &&
    resourceMatches(rule.resources, attrs.resource, attrs.subresource) &&
    (!rule.resourceNames?.length || rule.resourceNames.includes(attrs.name))
  );
}

function matchesOrStar(list: string[] | undefined, value: string): boolean {
  return !!list && list.some((v) => v === '*' || v === value);
}

function resourceMatches(resources: string[] | undefined, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

function nonResourceURLMatches(urls: string[] | undefined, path: string): boolean {
  return (urls ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}
