// The x-kubernetes-* rules JSON Schema cannot express, checked by walking the object with its
// schema: embedded resources must say what they are, list-type set/map items must be unique, and
// numbers must fit their format (int32, int64, float), as kube-apiserver checks since 1.36.

import type { StatusCause } from '../errors.js';
import { childPath, duplicateValue, indexPath, invalidValue, keyPath, NIL_PATH, requiredValue } from './field-errors.js';
import { isEmbeddedResource, isPlainObject, isSchemaNode, itemsSchema, type SchemaNode } from './nodes.js';

/** @param resourceRoot whether `x` is a whole object, whose apiVersion and kind the server checks */
export function extensionErrors(x: unknown, s: SchemaNode, path: string, resourceRoot: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  walkExtensions(x, s, path, resourceRoot, causes);
  return causes;
}

function walkExtensions(x: unknown, s: SchemaNode | undefined, path: string, resourceRoot: boolean, causes: StatusCause[]): void {
  if (!s) return;
  if (typeof x === 'number') {
    const cause = numericFormatError(x, s, path);
    if (cause) causes.push(cause);
    return;
  }
  if (Array.isArray(x)) {
    causes.push(...listTypeErrors(x, s, path));
    x.forEach((item, i) => walkExtensions(item, itemsSchema(s), indexPath(path, i), false, causes));
    return;
  }
  if (!isPlainObject(x)) return;
  // The root's apiVersion and kind are the server's business (it routes by them).
  if (!resourceRoot && isEmbeddedResource(s)) causes.push(...embeddedResourceErrors(x, path));
  const props = isPlainObject(s.properties) ? (s.properties as Record<string, SchemaNode>) : {};
  for (const [key, value] of Object.entries(x)) {
    if (Object.hasOwn(props, key)) walkExtensions(value, props[key], childPath(path, key), false, causes);
    else if (isSchemaNode(s.additionalProperties)) walkExtensions(value, s.additionalProperties, keyPath(path, key), false, causes);
  }
}

/** An embedded object must say what it is, as a top-level object would. */
function embeddedResourceErrors(x: Record<string, unknown>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const key of ['apiVersion', 'kind']) {
    const field = childPath(path, key);
    const value = x[key];
    if (!Object.hasOwn(x, key)) causes.push(requiredValue(field));
    else if (typeof value !== 'string') causes.push(invalidValue(field, value, 'must be a string'));
    else if (!value) causes.push(invalidValue(field, value, 'must not be empty'));
    else if (key === 'apiVersion' && value.split('/').length > 2) {
      causes.push(invalidValue(field, value, `unexpected GroupVersion string: ${value}`));
    }
  }
  return causes;
}

function listTypeErrors(list: unknown[], s: SchemaNode, path: string): StatusCause[] {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') return duplicates(list, path, (item) => item);
  if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) {
    const keys = s['x-kubernetes-list-map-keys'] as string[];
    return duplicates(list, path, (item) =>
      isPlainObject(item) ? Object.fromEntries(keys.filter((k) => Object.hasOwn(item, k)).map((k) => [k, item[k]])) : undefined,
    );
  }
  return [];
}

function duplicates(list: unknown[], path: string, identity: (item: unknown) => unknown): StatusCause[] {
  const seen = new Set<string>();
  const causes: StatusCause[] = [];
  list.forEach((item, i) => {
    const id = identity(item);
    if (id === undefined) return;
    const key = canonicalJson(id);
    if (seen.has(key)) causes.push(duplicateValue(indexPath(path, i), sortedKeys(id)));
    seen.add(key);
  });
  return causes;
}

/** Go marshals maps with sorted keys; equal values must compare equal whatever the key order. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k])]));
}

function canonicalJson(v: unknown): string {
  return JSON.stringify(sortedKeys(v));
}

/** Inclusive bounds of each numeric format; `double` is every JSON number. */
const NUMERIC_FORMATS: Record<string, { type: 'integer' | 'number'; min: number; max: number }> = {
  int32: { type: 'integer', min: -(2 ** 31), max: 2 ** 31 - 1 },
  // 2^63 - 1 is not a double: the largest double below 2^63 is the bound.
  int64: { type: 'integer', min: -(2 ** 63), max: 2 ** 63 - 1024 },
  float: { type: 'number', min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
};

/**
 * kube-openapi's numeric format check: a value outside its format's range is refused with no
 * field path, the path only in the message (`Checked value must be of type integer with format
 * int32 in spec.replicas`), so clients see what kube-apiserver answers.
 */
function numericFormatError(x: number, s: SchemaNode, path: string): StatusCause | undefined {
  const format = typeof s.format === 'string' ? NUMERIC_FORMATS[s.format] : undefined;
  if (!format || s.type !== format.type || (format.type === 'integer' && !Number.isInteger(x))) return undefined;
  if (x >= format.min && x <= format.max) return undefined;
  return invalidValue(NIL_PATH, '', `Checked value must be of type ${format.type} with format ${s.format} in ${path}`);
}
