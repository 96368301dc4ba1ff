// The ClusterRoles and ClusterRoleBindings kube-apiserver creates at start: full access for
// system:masters, discovery and self-review for every authenticated user, health and version
// for everyone, and the user-facing admin, edit and view roles, aggregated as kube's are from
// system:aggregate-to-* roles (and any other role carrying the same labels).

import type { KObject } from '../types.js';
import { RBAC_GROUP, type PolicyRule } from './rbac-rules.js';
import { AUTHENTICATED_GROUP, MASTERS_GROUP, UNAUTHENTICATED_GROUP } from './user.js';
import { GAME_KRUISE_GROUP, TKEX_GROUP } from '../../util/vocabulary.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

const AGGREGATE_TO = (role: string) => `${RBAC_GROUP}/aggregate-to-${role}`;

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'pods/log', 'pods/status', 'replicationcontrollers', 'services', 'services/status', 'serviceaccounts', 'events', 'limitranges', 'resourcequotas']),
  rule(READ, [''], ['namespaces', 'namespaces/status']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'deployments', 'deployments/scale', 'replicasets', 'statefulsets']),
  rule(READ, ['coordination.k8s.io'], ['leases']),
  rule(READ, ['events.k8s.io'], ['events']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status']),
];

const EDIT_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [''], ['configmaps', 'events', 'persistentvolumeclaims', 'pods', 'secrets', 'services', 'serviceaccounts']),
  rule(['create'], [''], ['serviceaccounts/token']),
  // As kube's edit role: an editor may run commands in pods, attach to them and forward their ports.
  rule(['create', 'get'], [''], ['pods/attach', 'pods/exec', 'pods/portforward']),
  rule([...READ, ...WRITE], ['apps'], ['controllerrevisions']),
  rule([...READ, ...WRITE], ['coordination.k8s.io'], ['leases']),
  rule([...READ, ...WRITE], ['networking.k8s.io'], ['ingresses']),
];

/** hotpod's own kinds join the default roles the way an operator's chart would add them. */
const GAME_GROUPS = [GAME_KRUISE_GROUP, TKEX_GROUP];

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
  // For servers that delegate authentication and authorization here (kube-rbac-proxy, metrics filters).
  'system:auth-delegator': [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ],
  'system:aggregate-to-view': VIEW_RULES,
  'system:aggregate-to-edit': EDIT_RULES,
  'system:aggregate-to-admin': ADMIN_RULES,
  'hotpod:aggregate-to-view': [rule(READ, GAME_GROUPS, ['*'])],
  'hotpod:aggregate-to-edit': [rule([...READ, ...WRITE], GAME_GROUPS, ['*'])],
};

/** Extra labels of each default role: which aggregated roles take its rules. */
const AGGREGATION_LABELS: Record<string, string[]> = {
  'system:aggregate-to-view': ['view'],
  'system:aggregate-to-edit': ['edit'],
  'system:aggregate-to-admin': ['admin'],
  'hotpod:aggregate-to-view': ['view'],
  'hotpod:aggregate-to-edit': ['edit'],
  view: ['edit'],
  edit: ['admin'],
};

/** Roles whose rules are the union of the roles labelled for them. */
const AGGREGATED = ['admin', 'edit', 'view'];

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
  const role = (name: string, body: Record<string, unknown>): KObject => {
    const metadata = { name, ...structuredClone(BOOTSTRAP_METADATA) };
    for (const into of AGGREGATION_LABELS[name] ?? []) (metadata.labels as Record<string, string>)[AGGREGATE_TO(into)] = 'true';
    return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata, ...body };
  };
  return [
    ...Object.entries(CLUSTER_ROLES).map(([name, rules]) => role(name, { rules: structuredClone(rules) })),
    ...AGGREGATED.map((name) =>
      role(name, { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(name)]: 'true' } }] }, rules: [] }),
    ),
  ];
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
