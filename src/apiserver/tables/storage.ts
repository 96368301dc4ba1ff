// Table printers of the storage kinds, with kube-apiserver's columns and cells (kubectl 1.35's
// `kubectl get pvc,pv,sc`).

import type { KObject } from '../types.js';
import { type Printer, type Rec, ageColumn, ageOf, column, nameColumn, rec, str } from './fields.js';
import { isDefaultClass } from '../registry/storage-strategy.js';

const PVC_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const ACCESS_MODE_ORDER: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** kube's GetAccessModesAsString: short names, each once, in a fixed order. */
function accessModes(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  return ACCESS_MODE_ORDER.filter(([m]) => list.includes(m)).map(([, short]) => short).join(',');
}

/** The class a claim or volume names: the beta annotation first, as kube's helpers read it. */
function classOf(o: KObject, spec: Rec): string {
  return o.metadata?.annotations?.[PVC_CLASS_ANNOTATION] ?? str(spec.storageClassName);
}

function phaseOf(o: KObject): string {
  return o.metadata?.deletionTimestamp ? 'Terminating' : str(rec(o.status).phase);
}

function storageOf(resources: unknown): string {
  const v = rec(resources).storage;
  return typeof v === 'number' ? String(v) : str(v);
}

const unsetOr = (v: unknown) => str(v) || '<unset>';

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.', 1),
  ],
  cells: (o, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const bound = str(spec.volumeName) !== '';
    return [
      str(o.metadata?.name),
      phaseOf(o),
      str(spec.volumeName),
      bound ? storageOf(status.capacity) : '',
      bound ? accessModes(status.accessModes) : '',
      classOf(o, spec),
      unsetOr(spec.volumeAttributesClassName),
      ageOf(o, now),
      unsetOr(spec.volumeMode),
    ];
  },
};

export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.', 1),
  ],
  cells: (o, now) => {
    const spec = rec(o.spec);
    const ref = spec.claimRef ? rec(spec.claimRef) : undefined;
    return [
      str(o.metadata?.name),
      storageOf(spec.capacity),
      accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phaseOf(o),
      ref ? `${str(ref.namespace)}/${str(ref.name)}` : '',
      classOf(o, spec),
      unsetOr(spec.volumeAttributesClassName),
      str(rec(o.status).reason),
      ageOf(o, now),
      unsetOr(spec.volumeMode),
    ];
  },
};

export const storageClassPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells: (o, now) => {
    const sc = o as Rec;
    const name = str(o.metadata?.name);
    return [
      isDefaultClass(o) ? `${name} (default)` : name,
      str(sc.provisioner),
      str(sc.reclaimPolicy) || 'Delete',
      str(sc.volumeBindingMode) || 'Immediate',
      sc.allowVolumeExpansion === true,
      ageOf(o, now),
    ];
  },
};
