// The built-in resources the embedded control plane serves: the ones hotpod and its users need.

import type { ResourceDef } from '../types.js';

const RBAC = 'rbac.authorization.k8s.io';
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface BuiltinSpec {
  group?: string;
  version?: string;
  resource: string;
  kind: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  verbs?: string[];
  tracksGeneration?: boolean;
}

function builtin(spec: BuiltinSpec): ResourceDef {
  return {
    group: spec.group ?? '',
    version: spec.version ?? 'v1',
    resource: spec.resource,
    singular: spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced ?? true,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? ALL_VERBS,
    subresources: spec.subresources ?? [],
    builtin: true,
    tracksGeneration: spec.tracksGeneration ?? false,
  };
}

export const BUILTIN_RESOURCES: ResourceDef[] = [
  builtin({
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  builtin({
    resource: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'log'],
    tracksGeneration: true,
  }),
  builtin({ resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  // Storage: claims bound to volumes by the control plane's volume controller
  // (controllers/volumes.ts), which provisions the default class's volumes itself.
  builtin({ resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] }),
  builtin({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: ['status'] }),
  builtin({ group: 'storage.k8s.io', resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] }),
  builtin({ resource: 'events', kind: 'Event', shortNames: ['ev'] }),
  builtin({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  builtin({ resource: 'secrets', kind: 'Secret' }),
  builtin({ resource: 'services', kind: 'Service', shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  builtin({ resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], subresources: ['token'] }),
  // Stored and served for the network plugins (Kubernetes-Ingress makes one per server); no
  // ingress controller runs on the embedded plane, so their status stays empty.
  builtin({ group: 'networking.k8s.io', resource: 'ingresses', kind: 'Ingress', shortNames: ['ing'], subresources: ['status'], tracksGeneration: true }),
  builtin({ group: 'networking.k8s.io', resource: 'ingressclasses', kind: 'IngressClass', namespaced: false }),
  builtin({ group: 'apps', resource: 'controllerrevisions', kind: 'ControllerRevision' }),
  // Stored and served so that hotpod's own install (deploy/, the Helm chart) applies here; no
  // controller runs Deployments on the embedded nodes, so their status stays empty. In the
  // `all` category as in kube, so `kubectl get all` lists them.
  builtin({ group: 'apps', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], subresources: ['status'], tracksGeneration: true }),
  builtin({ group: RBAC, resource: 'roles', kind: 'Role' }),
  builtin({ group: RBAC, resource: 'rolebindings', kind: 'RoleBinding' }),
  builtin({ group: RBAC, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
  builtin({ group: RBAC, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }),
  // Reviews are answered, never stored: POST is their only verb.
  builtin({ group: 'authentication.k8s.io', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authentication.k8s.io', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authorization.k8s.io', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] }),
  builtin({ group: 'authorization.k8s.io', resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', verbs: ['create'] }),
  builtin({ group: 'coordination.k8s.io', resource: 'leases', kind: 'Lease' }),
  builtin({ group: 'events.k8s.io', resource: 'events', kind: 'Event', shortNames: ['ev'] }),
  builtin({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    tracksGeneration: true,
  }),
];
