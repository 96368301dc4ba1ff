// RBAC's escalation prevention: writing a Role or ClusterRole, or a binding to one, grants
// permissions, so a user may do it only for permissions they hold themselves, unless they may
// `escalate` (roles) or `bind` (the referenced role), as kube-apiserver's RBAC storage checks.

import { ApiError } from '../errors.js';
import type { KObject } from '../types.js';
import type { RbacAuthorizer } from './authorizer.js';
import { RBAC_GROUP, type PolicyRule, type RoleRef } from './rbac-rules.js';
import type { UserInfo } from './user.js';

type Json = Record<string, any>;

/** Splits rules into one verb on one resource (and name) or one URL each, so each is wholly covered or not. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** The parts of `wanted` that no rule of `owner` covers (empty: fully covered). */
export function uncovered(owner: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdown).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const has = (set: string[] | undefined, v: string) => (set ?? []).includes(v);
  const hasAll = (set: string[] | undefined, values: string[] | undefined) => (values ?? []).every((v) => has(set, v));
  const names = sub.resourceNames?.length ? !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames) : !owner.resourceNames?.length;
  return (
    (has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs)) &&
    (has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups)) &&
    resourcesCover(owner.resources ?? [], sub.resources ?? []) &&
    (sub.nonResourceURLs ?? []).every((path) => (owner.nonResourceURLs ?? []).some((o) => o === path || (o.endsWith('*') && path.startsWith(o.replace(/\*+$/, ''))))) &&
    names
  );
}

function resourcesCover(owner: string[], wanted: string[]): boolean {
  if (owner.includes('*')) return true;
  return wanted.every((r) => owner.includes(r) || (r.includes('/') && owner.includes(`*/${r.slice(r.indexOf('/') + 1)}`)));
}

/** Go's %q of a string slice: ["a" "b"]. */
function quoted(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** rbacv1helpers.CompactString, as the Forbidden message lists each missing permission. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${quoted(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${quoted(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoted(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${quoted(rule.resourceNames)}`);
  if (rule.verbs?.length) parts.push(`Verbs:${quoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** The order kube sorts missing rules in: their generated String(), which starts with the verbs. */
function sortKey(r: PolicyRule): string {
  const l = (v?: string[]) => `[${(v ?? []).join(' ')}]`;
  return `&PolicyRule{Verbs:${l(r.verbs)},APIGroups:${l(r.apiGroups)},Resources:${l(r.resources)},ResourceNames:${l(r.resourceNames)},NonResourceURLs:${l(r.nonResourceURLs)},}`;
}

/**
 * A check for a write of an RBAC object by `user` (not a system:masters member), run on the
 * object as it would be stored; throws 403 when it would grant more than the user holds.
 */
export function escalationCheck(authorizer: RbacAuthorizer, user: UserInfo, resource: string, namespace: string | undefined): (obj: KObject) => void {
  return (obj) => {
    const ns = namespace ?? '';
    const name = obj.metadata.name ?? '';
    const allowedTo = (verb: string, res: string, objName: string) =>
      authorizer.authorize(user, { kind: 'resource', verb, apiGroup: RBAC_GROUP, apiVersion: '*', resource: res, subresource: '', name: objName, namespace: ns }).allowed;
    let granted: PolicyRule[];
    if (resource === 'roles' || resource === 'clusterroles') {
      if (allowedTo('escalate', resource, name)) return;
      granted = ((obj as Json).rules ?? []) as PolicyRule[];
    } else {
      const ref = ((obj as Json).roleRef ?? {}) as RoleRef;
      if (allowedTo('bind', ref.kind === 'Role' ? 'roles' : 'clusterroles', ref.name ?? '')) return;
      const role = authorizer.roleOf(ref, ns);
      if (!role) throw forbiddenWrite(resource, name, `${ref.kind === 'Role' ? 'role' : 'clusterrole'}.${RBAC_GROUP} "${ref.name ?? ''}" not found`);
      granted = role.rules ?? [];
    }
    const held = authorizer.rulesFor(user, ns);
    const missing = uncovered(held.rules, granted).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    if (!missing.length) return;
    let message = `user "${user.name}" (groups=${quoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactString).join('\n')}`;
    if (held.errors.length) message += `; resolution errors: [${held.errors.join(' ')}]`;
    throw forbiddenWrite(resource, name, message);
  };
}

function forbiddenWrite(resource: string, name: string, why: string): ApiError {
  const what = `${resource}.${RBAC_GROUP}`;
  return new ApiError(403, 'Forbidden', name ? `${what} "${name}" is forbidden: ${why}` : `${what} is forbidden: ${why}`, {
    name: name || undefined,
    group: RBAC_GROUP,
    kind: resource,
  });
}
