// Defaulting as kube-apiserver does for structural schemas: a `default` fills a field that is
// absent, or null where the schema does not allow null. Non-nullable nulls without a default
// are dropped (apiextensions' PruneNonNullableNullsWithoutDefaults), so that `field: null` in a
// manifest means "unset" rather than failing validation.

import { fieldSchema, hasDefault, isPlainObject, itemsSchema, type SchemaNode } from './nodes.js';

/** Fills defaults in place; run it after pruning so that defaults never revive unknown fields. */
export function applyDefaults(x: unknown, s: SchemaNode | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    for (const item of x) applyDefaults(item, itemsSchema(s));
    return;
  }
  if (!isPlainObject(x)) return;
  fillDefaults(x, s);
  for (const key of Object.keys(x)) {
    const sub = fieldSchema(s, key);
    if (x[key] === null && sub && !sub.nullable && !hasDefault(sub)) {
      delete x[key];
      continue;
    }
    // Recursing after filling means a default value gets its own nested defaults too.
    applyDefaults(x[key], sub);
  }
}

function fillDefaults(x: Record<string, unknown>, s: SchemaNode): void {
  if (!isPlainObject(s.properties)) return;
  for (const [key, prop] of Object.entries(s.properties as Record<string, SchemaNode>)) {
    if (!hasDefault(prop)) continue;
    const absent = !Object.hasOwn(x, key);
    if (absent || (x[key] === null && !prop.nullable)) x[key] = structuredClone(prop.default);
  }
}
