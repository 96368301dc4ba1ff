// RBAC over the store's Role, ClusterRole and binding objects. A user's rules are compiled on
// first use and kept until any RBAC object changes, so a check is a few array scans.

import { ApiError, qualifiedResource } from '../errors.js';
import type { Store } from '../storage/store.js';
import type { RequestAttributes } from '../../util/request-attributes.js';
import { allows, compileRules, RBAC_GROUP, type Binding, type CompiledRules, type PolicyRule, type PolicySource, type Role, type RoleRef } from './rbac-rules.js';
import { isSuperuser, type UserInfo } from './user.js';

interface Decision {
  allowed: boolean;
  /** Why nothing allowed it, when something was wrong with the policy (e.g. a missing role). */
  reason: string;
}

const KEYS = {
  roles: `${RBAC_GROUP}/roles`,
  clusterRoles: `${RBAC_GROUP}/clusterroles`,
  roleBindings: `${RBAC_GROUP}/rolebindings`,
  clusterRoleBindings: `${RBAC_GROUP}/clusterrolebindings`,
};
const RBAC_KEYS = new Set(Object.values(KEYS));
/** Enough for every service account of a large cluster; beyond that, start over. */
const MAX_CACHED_USERS = 10_000;

export class RbacAuthorizer {
  private readonly cache = new Map<string, CompiledRules>();
  private readonly source: PolicySource;
  private readonly unsubscribe: () => void;

  constructor(store: Store) {
    this.source = {
      clusterRoles: () => store.list(KEYS.clusterRoles) as unknown as Role[],
      roles: (namespace) => store.list(KEYS.roles, namespace) as unknown as Role[],
      clusterRoleBindings: () => store.list(KEYS.clusterRoleBindings) as unknown as Binding[],
      roleBindings: () => store.list(KEYS.roleBindings) as unknown as Binding[],
    };
    this.unsubscribe = store.subscribe((e) => {
      if (RBAC_KEYS.has(e.groupResource)) this.cache.clear();
    });
  }

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    if (isSuperuser(user)) return { allowed: true, reason: '' };
    const rules = this.rulesOf(user);
    if (allows(rules, attrs)) return { allowed: true, reason: '' };
    return { allowed: false, reason: rules.errors.length ? `RBAC: ${aggregate(rules.errors)}` : '' };
  }

  /** The rules a user holds in one namespace ('' for cluster-wide only), for SelfSubjectRulesReview. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const compiled = this.rulesOf(user);
    const rules = [...compiled.cluster, ...(namespace ? (compiled.byNamespace.get(namespace) ?? []) : [])];
    return { rules, errors: compiled.errors };
  }

  /** The role a binding refers to, if it exists. */
  roleOf(ref: RoleRef, namespace: string): Role | undefined {
    if (ref.kind === 'ClusterRole') return this.source.clusterRoles().find((r) => r.metadata.name === ref.name);
    if (ref.kind === 'Role') return this.source.roles(namespace).find((r) => r.metadata.name === ref.name);
    return undefined;
  }

  stop(): void {
    this.unsubscribe();
  }

  private rulesOf(user: UserInfo): CompiledRules {
    const key = `${user.name}\u0000${user.groups.join('\u0000')}`;
    let rules = this.cache.get(key);
    if (!rules) {
      if (this.cache.size >= MAX_CACHED_USERS) this.cache.clear();
      rules = compileRules(user, this.source);
      this.cache.set(key, rules);
    }
    return rules;
  }
}

/** Go's utilerrors.NewAggregate formatting: one error as is, several in brackets. */
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/** kube-apiserver's 403, word for word, since kubectl prints the message as it comes. */
export function forbidden(user: UserInfo, attrs: RequestAttributes, reason: string): ApiError {
  let message: string;
  if (attrs.kind === 'nonResource') {
    message = `User "${user.name}" cannot ${attrs.verb} path "${attrs.path}"`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
    message = `User "${user.name}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}`;
  }
  if (reason) message = `${message}: ${reason}`;
  if (attrs.kind === 'nonResource' || !attrs.resource) return new ApiError(403, 'Forbidden', `forbidden: ${message}`, {});
  const what = qualifiedResource(attrs.apiGroup, attrs.resource);
  const full = attrs.name ? `${what} "${attrs.name}" is forbidden: ${message}` : `${what} is forbidden: ${message}`;
  return new ApiError(403, 'Forbidden', full, {
    name: attrs.name || undefined,
    group: attrs.apiGroup || undefined,
    kind: attrs.resource,
  });
}
