// Type checks of built-in kinds, as Go's JSON decoder makes them in kube-apiserver: a value of
// the wrong JSON type is a 400 BadRequest ("cannot unmarshal ... into Go struct field"), never
// stored. Only fields hotpod and its users touch are described; others pass through.

import { badRequest } from '../errors.js';
import type { KObject, ResourceDef } from '../types.js';

type Shape = 'string' | 'int' | 'bool' | 'map' | 'any' | { fields: Record<string, Shape> } | { items: Shape; go: string };

const str: Shape = 'string';
const int: Shape = 'int';
const bool: Shape = 'bool';
const map: Shape = 'map';
const list = (items: Shape, go: string): Shape => ({ items, go });
const obj = (fields: Record<string, Shape>): Shape => ({ fields });

const container = obj({
  name: str,
  image: str,
  command: list(str, '[]string'),
  args: list(str, '[]string'),
  workingDir: str,
  imagePullPolicy: str,
  env: list(obj({ name: str, value: str }), '[]v1.EnvVar'),
  ports: list(obj({ name: str, containerPort: int, hostPort: int, protocol: str }), '[]v1.ContainerPort'),
  volumeMounts: list(obj({ name: str, mountPath: str, readOnly: bool }), '[]v1.VolumeMount'),
  resources: obj({ limits: map, requests: map }),
});

const SHAPES: Record<string, Shape> = {
  '/pods': obj({
    spec: obj({
      containers: list(container, '[]v1.Container'),
      initContainers: list(container, '[]v1.Container'),
      nodeName: str,
      nodeSelector: map,
      restartPolicy: str,
      serviceAccountName: str,
      terminationGracePeriodSeconds: int,
      hostNetwork: bool,
      readinessGates: list(obj({ conditionType: str }), '[]v1.PodReadinessGate'),
      volumes: list(obj({ name: str }), '[]v1.Volume'),
    }),
  }),
  '/configmaps': obj({ data: map, binaryData: map, immutable: bool }),
  '/secrets': obj({ data: map, stringData: map, type: str, immutable: bool }),
  '/namespaces': obj({ spec: obj({ finalizers: list(str, '[]v1.FinalizerName') }) }),
  '/nodes': obj({ spec: obj({ unschedulable: bool, podCIDR: str }) }),
  '/services': obj({
    spec: obj({
      type: str,
      selector: map,
      clusterIP: str,
      ports: list(obj({ name: str, port: int, nodePort: int, protocol: str, targetPort: 'any' }), '[]v1.ServicePort'),
    }),
  }),
  '/events': obj({ reason: str, message: str, type: str, count: int }),
  'apps/controllerrevisions': obj({ revision: int, data: 'any' }),
  'coordination.k8s.io/leases': obj({
    spec: obj({ holderIdentity: str, leaseDurationSeconds: int, leaseTransitions: int, acquireTime: str, renewTime: str }),
  }),
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

function goType(shape: Shape): string {
  if (shape === 'int') return 'int32';
  if (shape === 'map') return 'map[string]string';
  if (typeof shape === 'string') return shape;
  return 'items' in shape ? shape.go : 'struct';
}

function check(value: unknown, shape: Shape, path: string): string | undefined {
  if (value === null || value === undefined || shape === 'any') return undefined;
  const t = jsonType(value);
  const mismatch = () => `cannot unmarshal ${t} into Go struct field ${path} of type ${goType(shape)}`;
  switch (shape) {
    case 'string':
      return t === 'string' ? undefined : mismatch();
    case 'bool':
      return t === 'bool' ? undefined : mismatch();
    case 'int':
      return t === 'number' && Number.isInteger(value) ? undefined : t === 'number' ? `cannot unmarshal number ${value} into Go struct field ${path} of type int32` : mismatch();
    case 'map': {
      if (t !== 'object') return mismatch();
      for (const [k, v] of Object.entries(value as object)) {
        if (v !== null && typeof v !== 'string') return `cannot unmarshal ${jsonType(v)} into Go struct field ${path} of type string`.replace(`${path}`, `${path}.${k}`);
      }
      return undefined;
    }
  }
  if ('items' in shape) {
    if (t !== 'array') return mismatch();
    for (const item of value as unknown[]) {
      const err = check(item, shape.items, path);
      if (err) return err;
    }
    return undefined;
  }
  if (t !== 'object') return mismatch();
  for (const [field, sub] of Object.entries(shape.fields)) {
    const err = check((value as Record<string, unknown>)[field], sub, `${path}.${field}`);
    if (err) return err;
  }
  return undefined;
}

/** Throws 400 BadRequest when a built-in object has a field of the wrong JSON type. */
export function checkBuiltinTypes(def: ResourceDef, storage: string, obj: KObject): void {
  const shape = SHAPES[storage];
  if (!def.builtin || !shape || typeof shape === 'string' || !('fields' in shape)) return;
  for (const [field, sub] of Object.entries(shape.fields)) {
    const err = check((obj as Record<string, unknown>)[field], sub, `${def.kind}.${field}`);
    if (err) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: ${err}`);
  }
}
