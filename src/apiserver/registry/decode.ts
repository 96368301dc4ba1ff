// Type checks of built-in kinds, as Go's JSON decoder makes them in kube-apiserver: a value of
// the wrong JSON type is a 400 BadRequest ("cannot unmarshal ... into Go struct field"), never
// stored. Only fields hotpod and its users touch are described; others pass through.

import { ApiError, badRequest } from '../errors.js';
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

/**
 * How deep a request body may nest arrays and objects (the top-level object counts as 1, as in
 * Go's decoder). kube-apiserver's limit is 10,000; V8's default stack cannot walk that deep in
 * the recursive steps every write takes (serialising, comparing, cloning, merging patches), so
 * hotpod refuses sooner, before anything is stored.
 */
export const MAX_NESTING_DEPTH = 1000;

/** Depth of a JSON value, walked without recursion; stops counting once past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_NESTING_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

function exceededDepth(): string {
  return `exceeded max depth of ${MAX_NESTING_DEPTH}`;
}

/** A decoded request body nested too deep: 400, as kube-apiserver's decoder refuses it. */
export function checkBodyDepth(value: unknown): void {
  if (nestingDepth(value) > MAX_NESTING_DEPTH) throw badRequest(`couldn't get version/kind; json parse error: ${exceededDepth()}`);
}

/** An object that a patch made too deep: 422 on the field "patch", as kube-apiserver answers a patched object it cannot decode. */
export function checkPatchedDepth(value: unknown): void {
  if (nestingDepth(value) <= MAX_NESTING_DEPTH) return;
  const message = `Invalid value: "<patched object>": ${exceededDepth()}`;
  throw new ApiError(422, 'Invalid', `"" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
}
