// The shapes the runtime passes around. Objects stay plain JSON exactly as the API server sent
// them (no typed deserialisation), so an object read from a list and the same object read from a
// watch compare equal, timestamps stay strings, and fields a client model does not know survive.

import type { ObjectMeta, OwnerReference } from '../util/kube-meta.js';

export type { ObjectMeta, OwnerReference } from '../util/kube-meta.js';


/** Any Kubernetes object as JSON. Reconcilers narrow it to their own types. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** What a reconciler is given: never the event, only which object to look at. */
export interface ObjectKey {
  /** '' for cluster-scoped objects */
  namespace: string;
  name: string;
}

/** The queue and cache key, `namespace/name` (or `name` when cluster-scoped), as client-go's. */
export function keyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function parseKey(key: string): ObjectKey {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function keyOf(obj: KubeObject): ObjectKey {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`object of kind ${obj.kind ?? '?'} has no metadata.name`);
  return { namespace: obj.metadata?.namespace ?? '', name };
}

export function objectKeyString(obj: KubeObject): string {
  return keyString(keyOf(obj));
}

/** The ownerReference with controller: true, if any (at most one is allowed). */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** `group` of an apiVersion: '' for the core group (`v1`). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** "Pod default/arena-0" for log lines and error messages. */
export function describeObject(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return `${obj.kind ?? 'object'} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? m.generateName ?? '?'}`;
}
