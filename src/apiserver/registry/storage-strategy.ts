// Defaults and validation of the storage kinds (PersistentVolume, PersistentVolumeClaim,
// StorageClass), with kube-apiserver's field paths and messages for what users trip over:
// missing access modes or storage request, unknown enum values, and the parts of a claim or a
// class that cannot change after creation.

import type { StatusCause } from '../errors.js';
import type { KObject, ResourceDef } from '../types.js';
import { deepEqual } from '../../util/equal.js';
import { parseQuantity } from '../../util/quantity.js';

type Json = Record<string, any>;

export const STORAGE_GROUP = 'storage.k8s.io';
/** Marks the class a claim without storageClassName gets (kube's DefaultStorageClass admission). */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
/** The finalizer kube's pvc-protection controller holds while a pod uses the claim. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const CLASS_RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export function isStorageKind(def: ResourceDef): boolean {
  return (def.group === '' && (def.resource === 'persistentvolumes' || def.resource === 'persistentvolumeclaims')) || (def.group === STORAGE_GROUP && def.resource === 'storageclasses');
}

export function isDefaultClass(sc: KObject): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default class's name: the newest of those marked default, as kube picks since 1.28. */
export function defaultClassName(classes: KObject[]): string | undefined {
  const marked = classes.filter(isDefaultClass).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
  return marked[0]?.metadata.name;
}

export function defaultStorage(def: ResourceDef, obj: KObject): void {
  const o = obj as Json;
  if (def.resource === 'persistentvolumeclaims') {
    const spec = (o.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
  } else if (def.resource === 'persistentvolumes') {
    const spec = (o.spec ??= {});
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
  } else {
    o.reclaimPolicy ??= 'Delete';
    o.volumeBindingMode ??= 'Immediate';
  }
}

export function validateStorage(def: ResourceDef, obj: KObject, old?: KObject): StatusCause[] {
  if (def.resource === 'persistentvolumeclaims') return validateClaim(obj as Json, old as Json | undefined);
  if (def.resource === 'persistentvolumes') return validateVolume(obj as Json);
  return validateClass(obj as Json, old as Json | undefined);
}

function notSupported(value: unknown, allowed: string[], field: string): StatusCause {
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => `"${v}"`).join(', ')}` };
}

function checkEnum(causes: StatusCause[], value: unknown, allowed: string[], field: string): void {
  if (value !== undefined && value !== null && !allowed.includes(value as string)) causes.push(notSupported(value, allowed, field));
}

function checkAccessModes(causes: StatusCause[], modes: unknown, field: string): void {
  if (!Array.isArray(modes) || modes.length === 0) {
    causes.push({ reason: 'FieldValueRequired', field, message: 'Required value: at least 1 access mode is required' });
    return;
  }
  for (const m of modes) checkEnum(causes, m, ACCESS_MODES, field);
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    causes.push({ reason: 'FieldValueForbidden', field, message: 'Forbidden: may not use ReadWriteOncePod with other access modes' });
  }
}

function checkStorageQuantity(causes: StatusCause[], value: unknown, field: string): void {
  if (value === undefined || value === null || value === '') {
    causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  } else if (!(parseQuantity(value) > 0)) {
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(String(value))}: must be greater than zero` });
  }
}

function validateClaim(pvc: Json, old: Json | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = pvc.spec ?? {};
  checkAccessModes(causes, spec.accessModes, 'spec.accessModes');
  checkStorageQuantity(causes, spec.resources?.requests?.storage, 'spec.resources[storage]');
  checkEnum(causes, spec.volumeMode, VOLUME_MODES, 'spec.volumeMode');
  if (old && !claimSpecUpdatable(old.spec ?? {}, spec)) {
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'spec',
      message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    });
  }
  return causes;
}

/**
 * What a claim's update may change: resources, and, once each, the volume it is bound to and a
 * class it was created without (kube's binder and retroactive default class set them).
 */
function claimSpecUpdatable(old: Json, next: Json): boolean {
  const same = (key: string) => deepEqual(old[key], next[key]);
  for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
    if (key === 'resources' || key === 'volumeAttributesClassName') continue;
    if (key === 'volumeName' && !old.volumeName) continue;
    if (key === 'storageClassName' && (old.storageClassName === undefined || old.storageClassName === null)) continue;
    if (!same(key)) return false;
  }
  return true;
}

const VOLUME_SOURCES = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'glusterfs', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile', 'vsphereVolume', 'cinder', 'flexVolume', 'flocker', 'quobyte', 'portworxVolume', 'scaleIO', 'storageos', 'photonPersistentDisk'];

function validateVolume(pv: Json): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = pv.spec ?? {};
  checkAccessModes(causes, spec.accessModes, 'spec.accessModes');
  if (!spec.capacity || typeof spec.capacity !== 'object') causes.push({ reason: 'FieldValueRequired', field: 'spec.capacity', message: 'Required value' });
  else checkStorageQuantity(causes, spec.capacity.storage, 'spec.capacity[storage]');
  checkEnum(causes, spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES, 'spec.persistentVolumeReclaimPolicy');
  checkEnum(causes, spec.volumeMode, VOLUME_MODES, 'spec.volumeMode');
  const sources = VOLUME_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) causes.push({ reason: 'FieldValueRequired', field: 'spec', message: 'Required value: must specify a volume type' });
  else if (sources.length > 1) causes.push({ reason: 'FieldValueForbidden', field: `spec.${sources[1]}`, message: 'Forbidden: may not specify more than 1 volume type' });
  if (spec.hostPath && (typeof spec.hostPath.path !== 'string' || spec.hostPath.path === '')) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec.hostPath.path', message: 'Required value' });
  }
  return causes;
}

function validateClass(sc: Json, old: Json | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  if (typeof sc.provisioner !== 'string' || sc.provisioner === '') causes.push({ reason: 'FieldValueRequired', field: 'provisioner', message: 'Required value' });
  checkEnum(causes, sc.reclaimPolicy, CLASS_RECLAIM_POLICIES, 'reclaimPolicy');
  checkEnum(causes, sc.volumeBindingMode, BINDING_MODES, 'volumeBindingMode');
  if (old) {
    for (const field of ['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode']) {
      if (!deepEqual(old[field], sc[field])) causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: updates to ${field} are forbidden.` });
    }
  }
  return causes;
}
