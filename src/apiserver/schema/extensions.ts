// The x-kubernetes-* rules JSON Schema cannot express, checked by walking the object with its
// schema: embedded resources must say what they are, list-type set/map items must be unique.

import type { StatusCause } from '../errors.js';
import { childPath, duplicateValue, indexPath, invalidValue, keyPath, requiredValue } from './field-errors.js';
import { isEmbeddedResource, isPlainObject, isSchemaNode, itemsSchema, type SchemaNode } from './nodes.js';

/** @param resourceRoot whether `x` is a whole object, whose apiVersion and kind the server checks */
export function extensionErrors(x: unknown, s: SchemaNode, path: string, resourceRoot: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  walkExtensions(x, s, path, resourceRoot, causes);
  return causes;
}

function walkExtensions(x: unknown, s: SchemaNode | undefined, path: string, resourceRoot: boolean, causes: StatusCause[]): void {
  if (!s) return;
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
