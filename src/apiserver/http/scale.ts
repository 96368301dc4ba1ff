// The scale subresource of custom resources (autoscaling/v1 Scale), used by `kubectl scale`.

import { badRequest, invalid } from '../errors.js';
import { PATCH_TYPES, type ObjectService, type WriteOptions, parseJsonBody } from '../objects.js';
import { checkBodyDepth } from '../registry/decode.js';
import type { KObject, ResourceDef } from '../types.js';
import { evalJsonPath } from '../../util/jsonpath.js';

type Json = Record<string, any>;

function scalePaths(def: ResourceDef): { spec: string[]; status: string[]; selector?: string } {
  const s = def.scale ?? { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };
  const split = (p: string) => p.replace(/^\./, '').split('.');
  return { spec: split(s.specReplicasPath), status: split(s.statusReplicasPath), selector: s.labelSelectorPath };
}

function at(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), obj);
}

function toScale(def: ResourceDef, obj: KObject): KObject {
  const paths = scalePaths(def);
  const selector = paths.selector ? evalJsonPath(obj, paths.selector)[0] : undefined;
  const status: Json = { replicas: Number(at(obj, paths.status) ?? 0) };
  if (typeof selector === 'string') status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: Number(at(obj, paths.spec) ?? 0) },
    status,
  };
}

export function getScale(objects: ObjectService, def: ResourceDef, namespace: string | undefined, name: string): KObject {
  return toScale(def, objects.get(def, namespace, name));
}

/** PUT or PATCH of a Scale: applied to the Scale view, then written to the object's replicas. */
export async function scaleUpdate(
  objects: ObjectService,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  method: string,
  contentType: string,
  raw: string,
  opts: WriteOptions,
): Promise<KObject> {
  const current = objects.get(def, namespace, name);
  const scale = toScale(def, current);
  const body = parseJsonBody(raw);
  checkBodyDepth(body);
  let next: Json;
  if (method === 'PUT') {
    next = body as Json;
  } else {
    const type = contentType.split(';')[0].trim();
    const effective = type === PATCH_TYPES.strategic || type === PATCH_TYPES.apply ? PATCH_TYPES.merge : type;
    next = objects.applyPatch({ ...def, builtin: false }, effective, scale, body) as Json;
  }
  // Go clients drop a zero replicas field (`"spec":{}`): absent means 0, as kube-apiserver reads it.
  const replicas = next?.spec?.replicas ?? 0;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw invalid('autoscaling', 'Scale', name, [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const rv = next?.metadata?.resourceVersion;
  if (method === 'PUT' && rv && rv !== current.metadata.resourceVersion) {
    throw badRequest('the resourceVersion of the scale does not match the object');
  }
  const updated: Json = structuredClone(current);
  const path = scalePaths(def).spec;
  let cursor = updated;
  for (const k of path.slice(0, -1)) cursor = cursor[k] ??= {};
  cursor[path[path.length - 1]] = replicas;
  const result = await objects.update(def, namespace, name, updated, undefined, opts);
  return toScale(def, result.object);
}
