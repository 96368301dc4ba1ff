// The ClusterRoles and ClusterRoleBindings kube-apiserver creates at start: full access for
// system:masters, discovery and self-review for every authenticated user, health and version
// for everyone, and the user-facing admin, edit and view roles (without aggregation).

import type { KObject } from '../types.js';
import { RBAC_GROUP, type PolicyRule } from './rbac-rules.js';
import { AUTHENTICATED_GROUP, MASTERS_GROUP, UNAUTHENTICATED_GROUP } from './user.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'pods', 'pods/log', 'pods/status', 'replicationcontrollers', 'services', 'services/status', 'serviceaccounts', 'events', 'limitranges', 'resourcequotas']),
  rule(READ, [''], ['namespaces', 'namespaces/status']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'deployments', 'deployments/scale', 'replicasets', 'statefulsets']),
  rule(READ, ['coordination.k8s.io'], ['leases']),
  rule(READ, ['events.k8s.io'], ['events']),
  rule(READ, ['game.kruise.io', 'tkex.tencent.com'], ['*']),
];

const EDIT_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [''], ['configmaps', 'events', 'pods', 'secrets', 'services', 'serviceaccounts']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule([...READ, ...WRITE], ['apps'], ['controllerrevisions']),
  rule([...READ, ...WRITE], ['coordination.k8s.io'], ['leases']),
  rule([...READ, ...WRITE], ['game.kruise.io', 'tkex.tencent.com'], ['*']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [RBAC_GROUP], ['roles', 'rolebindings']),
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
];

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

const CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  'cluster-admin': [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ],
  'system:discovery': [{ nonResourceURLs: DISCOVERY_URLS, verbs: ['get'] }],
  'system:public-info-viewer': [{ nonResourceURLs: PUBLIC_INFO_URLS, verbs: ['get'] }],
  'system:basic-user': [
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
  ],
  view: VIEW_RULES,
  edit: [...VIEW_RULES, ...EDIT_RULES],
  admin: [...VIEW_RULES, ...EDIT_RULES, ...ADMIN_RULES],
};

const CLUSTER_ROLE_BINDINGS: Record<string, string[]> = {
  'cluster-admin': [MASTERS_GROUP],
  'system:discovery': [AUTHENTICATED_GROUP],
  'system:basic-user': [AUTHENTICATED_GROUP],
  'system:public-info-viewer': [AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP],
};

const BOOTSTRAP_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

export function bootstrapClusterRoles(): KObject[] {
  return Object.entries(CLUSTER_ROLES).map(([name, rules]) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name, ...structuredClone(BOOTSTRAP_METADATA) },
    rules: structuredClone(rules),
  }));
}

export function bootstrapClusterRoleBindings(): KObject[] {
  return Object.entries(CLUSTER_ROLE_BINDINGS).map(([name, groups]) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, ...structuredClone(BOOTSTRAP_METADATA) },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name: g })),
  }));
}
