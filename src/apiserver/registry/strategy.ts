// What the API server does to built-in objects on create and update: defaults, and the
// validation a user is likely to trip over. The full Kubernetes validation is much larger;
// this covers the fields the product and its users rely on.

import type { StatusCause } from '../errors.js';
import type { KObject, ResourceDef } from '../types.js';
import { validateLabel, validateSubdomain } from './names.js';
import { deepEqual } from '../../util/equal.js';
import { defaultPullPolicy } from '../../util/image-reference.js';
import { DEFAULT_SCHEDULER, NOT_READY_TAINT, UNREACHABLE_TAINT } from '../../util/vocabulary.js';
import { defaultRbac, isRbac, validateRbac } from './rbac-strategy.js';
import { defaultStorage, isStorageKind, validateStorage } from './storage-strategy.js';

type Json = Record<string, any>;

export function defaultBuiltin(def: ResourceDef, obj: KObject): void {
  if (def.group === '' && def.resource === 'pods') defaultPod(obj);
  if (def.group === '' && def.resource === 'namespaces') {
    const spec = ((obj as Json).spec ??= {});
    spec.finalizers ??= ['kubernetes'];
  }
  if (def.group === '' && def.resource === 'secrets') (obj as Json).type ??= 'Opaque';
  if (def.group === '' && def.resource === 'services') defaultService(obj);
  if (isRbac(def)) defaultRbac(def, obj);
  if (isStorageKind(def)) defaultStorage(def, obj);
}

/** Status a newly created built-in object starts with, whatever the client sent. */
export function initialStatus(def: ResourceDef, obj: KObject): unknown {
  if (def.group === '' && def.resource === 'pods') return { phase: 'Pending', qosClass: qosClass(obj) };
  if (def.group === '' && def.resource === 'namespaces') return { phase: 'Active' };
  if (def.group === '' && def.resource === 'services') return { loadBalancer: {} };
  // The volume controller moves them on (Available, Bound).
  if (def.group === '' && (def.resource === 'persistentvolumeclaims' || def.resource === 'persistentvolumes')) return { phase: 'Pending' };
  return (obj as Json).status;
}

function defaultPod(pod: KObject): void {
  const spec = ((pod as Json).spec ??= {});
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= DEFAULT_SCHEDULER;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.tolerations ??= [
    { key: NOT_READY_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Json[]) {
    if (typeof c !== 'object' || c === null) continue;
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    // As kube-apiserver does: a limit without a request requests what it limits.
    if (c.resources.limits && typeof c.resources.limits === 'object') {
      c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
    }
    c.imagePullPolicy ??= defaultPullPolicy(c.image);
    for (const p of (c.ports ?? []) as Json[]) p.protocol ??= 'TCP';
  }
}

/** Guaranteed: every container limits cpu and memory at what it requests; BestEffort: none asks for anything. */
function qosClass(pod: KObject): string {
  const spec = (pod as Json).spec ?? {};
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Json[];
  const hasAny = containers.some((c) => Object.keys(c?.resources?.requests ?? {}).length || Object.keys(c?.resources?.limits ?? {}).length);
  if (!hasAny) return 'BestEffort';
  const guaranteed = containers.every((c) =>
    ['cpu', 'memory'].every((r) => c?.resources?.limits?.[r] !== undefined && String(c.resources.limits[r]) === String(c.resources.requests?.[r])),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultService(svc: KObject): void {
  const spec = ((svc as Json).spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of (spec.ports ?? []) as Json[]) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.clusterIP === undefined && spec.type !== 'ExternalName') {
    // From a loopback block (kube: the service CIDR), so no address hotpod reports leaves 127.0.0.0/8.
    spec.clusterIP = `127.96.${Math.floor(Math.random() * 255)}.${1 + Math.floor(Math.random() * 253)}`;
    spec.clusterIPs = [spec.clusterIP];
  }
}

export function validateBuiltin(def: ResourceDef, obj: KObject, old?: KObject): StatusCause[] {
  if (isRbac(def)) return validateRbac(def, obj, old);
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (def.resource === 'namespaces') causes.push(...validateLabel(name, 'metadata.name'));
  else if (def.resource !== 'customresourcedefinitions') causes.push(...validateSubdomain(name, 'metadata.name'));
  if (def.group === '' && def.resource === 'pods') causes.push(...validatePod(obj, old));
  if (isStorageKind(def)) causes.push(...validateStorage(def, obj, old));
  if (def.group === '' && (def.resource === 'configmaps' || def.resource === 'secrets')) {
    for (const field of ['data', 'binaryData', 'stringData']) {
      const v = (obj as Json)[field];
      if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
        causes.push({ reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: must be a map of strings` });
      }
    }
  }
  return causes;
}

function validatePod(pod: KObject, old?: KObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (pod as Json).spec;
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
    return causes;
  }
  const seen = new Set<string>();
  containers.forEach((c: Json, i: number) => {
    const at = `spec.containers[${i}]`;
    if (typeof c?.name !== 'string' || c.name === '') {
      causes.push({ reason: 'FieldValueRequired', field: `${at}.name`, message: 'Required value' });
    } else if (seen.has(c.name)) {
      causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: "${c.name}"` });
    } else {
      seen.add(c.name);
      causes.push(...validateLabel(c.name, `${at}.name`));
    }
    if (typeof c?.image !== 'string' || c.image.trim() === '') {
      causes.push({ reason: 'FieldValueRequired', field: `${at}.image`, message: 'Required value' });
    }
  });
  causes.push(...validatePodEnums(spec));
  if (old) causes.push(...validatePodUpdate(pod, old));
  return causes;
}

// kube-apiserver's supported values, in the order its messages list them (sets sorted, lists as written).
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** The enums the nodes act on: a value they would not understand is never stored. */
function validatePodEnums(spec: Json): StatusCause[] {
  const causes: StatusCause[] = [];
  const check = (value: unknown, allowed: string[], field: string) => {
    if (value === undefined || allowed.includes(value as string)) return;
    causes.push({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => `"${v}"`).join(', ')}` });
  };
  check(spec.restartPolicy, RESTART_POLICIES, 'spec.restartPolicy');
  check(spec.dnsPolicy, DNS_POLICIES, 'spec.dnsPolicy');
  for (const list of ['initContainers', 'containers'] as const) {
    if (!Array.isArray(spec[list])) continue;
    (spec[list] as Json[]).forEach((c, i) => {
      if (typeof c !== 'object' || c === null) return;
      check(c.imagePullPolicy, PULL_POLICIES, `spec.${list}[${i}].imagePullPolicy`);
      if (Array.isArray(c.ports)) (c.ports as Json[]).forEach((p, j) => check(p?.protocol, PORT_PROTOCOLS, `spec.${list}[${i}].ports[${j}].protocol`));
    });
  }
  return causes;
}

/** Spec fields a pod update may change freely. */
const MUTABLE_POD_FIELDS = new Set(['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds']);

/** Compares without copying: this runs on every pod write, status writes of node agents included. */
function podSpecUpdatable(old: Json, next: Json): boolean {
  for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
    if (MUTABLE_POD_FIELDS.has(key)) continue;
    if (key === 'nodeName' && !old.nodeName) continue;
    if (key === 'containers' || key === 'initContainers') {
      if (!sameExceptImages(old[key] ?? [], next[key] ?? [])) return false;
    } else if (!deepEqual(old[key], next[key])) {
      return false;
    }
  }
  return true;
}

function sameExceptImages(a: Json[], b: Json[]): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((c, i) => {
    const d = b[i];
    for (const key of new Set([...Object.keys(c ?? {}), ...Object.keys(d ?? {})])) {
      if (key !== 'image' && !deepEqual(c?.[key], d?.[key])) return false;
    }
    return true;
  });
}

/**
 * Kubernetes lets a running pod change only container images (and a few scheduling fields):
 * the rule the in-place update engine is built around.
 */
function validatePodUpdate(pod: KObject, old: KObject): StatusCause[] {
  if (podSpecUpdatable((old as Json).spec ?? {}, (pod as Json).spec ?? {})) return [];
  return [
    {
      reason: 'FieldValueForbidden',
      field: 'spec',
      message:
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
        '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
        '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    },
  ];
}
