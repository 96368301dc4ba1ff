// Pruning of unknown fields, as kube-apiserver does for CRDs with structural schemas: whatever
// the schema does not declare is dropped before defaulting and validation, and the dropped
// paths are reported so the server can refuse them (fieldValidation=Strict) or warn.

import { childPath, indexPath } from './field-errors.js';
import {
  fieldSchema,
  isEmbeddedResource,
  isPlainObject,
  itemsSchema,
  preservesUnknownFields,
  type SchemaNode,
} from './nodes.js';

/** ObjectMeta's fields: what survives in the metadata of an embedded resource. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/**
 * Removes, in place, every field of `obj` that `schema` does not declare, and returns their
 * paths (`spec.foo`, `spec.template.spec.containers[0].bogus`).
 *
 * A resource root is treated as an embedded resource, so its apiVersion, kind and metadata
 * always stay: metadata belongs to ObjectMeta decoding, not to the CRD's schema. Pass
 * `resourceRoot = false` for values that are not whole objects (a default value).
 */
export function pruneUnknownFields(obj: unknown, schema: SchemaNode | undefined, resourceRoot = true): string[] {
  const pruned: string[] = [];
  pruneValue(obj, schema ?? {}, '', pruned, resourceRoot ? 'root' : 'nested');
  return pruned;
}

type Level = 'root' | 'nested';

function pruneValue(x: unknown, s: SchemaNode | undefined, path: string, pruned: string[], level: Level): void {
  if (s && preservesUnknownFields(s)) return keepUnknownFields(x, s, path, pruned, level);
  if (Array.isArray(x)) {
    x.forEach((item, i) => pruneValue(item, itemsSchema(s), indexPath(path, i), pruned, 'nested'));
    return;
  }
  if (!isPlainObject(x)) return;
  const embedded = level === 'root' || isEmbeddedResource(s);
  for (const key of Object.keys(x)) {
    const fieldPath = childPath(path, key);
    if (embedded && keptAsResourceMeta(x, key, fieldPath, pruned, level)) continue;
    const sub = fieldSchema(s, key);
    if (sub) {
      pruneValue(x[key], sub, fieldPath, pruned, 'nested');
    } else {
      delete x[key];
      pruned.push(fieldPath);
    }
  }
}

/**
 * Under x-kubernetes-preserve-unknown-fields, unknown fields stay, but the fields the schema
 * does declare are still pruned inside (apiextensions' skipPrune).
 */
function keepUnknownFields(x: unknown, s: SchemaNode | undefined, path: string, pruned: string[], level: Level): void {
  if (!s) return;
  if (Array.isArray(x)) {
    x.forEach((item, i) => keepUnknownFields(item, itemsSchema(s), indexPath(path, i), pruned, 'nested'));
    return;
  }
  if (!isPlainObject(x)) return;
  const embedded = level === 'root' || isEmbeddedResource(s);
  for (const key of Object.keys(x)) {
    const fieldPath = childPath(path, key);
    if (embedded && keptAsResourceMeta(x, key, fieldPath, pruned, level)) continue;
    const sub = fieldSchema(s, key);
    if (sub) pruneValue(x[key], sub, fieldPath, pruned, 'nested');
  }
}

/**
 * apiVersion and kind of a resource survive as strings, metadata as an object (other shapes
 * are ordinary data). Embedded metadata is coerced to ObjectMeta; the root's is the server's.
 */
function keptAsResourceMeta(x: Record<string, unknown>, key: string, path: string, pruned: string[], level: Level): boolean {
  const value = x[key];
  if (key === 'apiVersion' || key === 'kind') return typeof value === 'string';
  if (key !== 'metadata' || !isPlainObject(value)) return false;
  if (level !== 'root') pruneObjectMeta(value, path, pruned);
  return true;
}

/** Embedded metadata is decoded as ObjectMeta, which drops what ObjectMeta does not have. */
function pruneObjectMeta(meta: Record<string, unknown>, path: string, pruned: string[]): void {
  for (const key of Object.keys(meta)) {
    if (OBJECT_META_FIELDS.has(key)) continue;
    delete meta[key];
    pruned.push(childPath(path, key));
  }
}
