// Every field a kind's schema defines, as a path (`spec.updateStrategy.rollingUpdate.partition`,
// `[]` for an array's items, `{}` for a map's values), and the values an object holds at a path.
// The field-support list (field-support.ts) is checked against these paths, so a field added to
// a schema without a word on what hotpod does with it fails the build.

import { openAPIV3Schema, type ResourceDefinition } from './resource.js';
import type { SchemaNode } from './schema.js';

export interface FieldPath {
  path: string;
  /** No fields below it in the schema (a scalar, a map of scalars, or an object kept whole). */
  leaf: boolean;
  type: string;
}

/** The fields of the kind's spec and status, parents before children. */
export function fieldPaths(def: ResourceDefinition): FieldPath[] {
  const root = openAPIV3Schema(def);
  const out: FieldPath[] = [];
  for (const top of ['spec', 'status']) {
    const node = root.properties?.[top];
    if (node) walk(node, top, out);
  }
  return out;
}

function walk(node: SchemaNode, path: string, out: FieldPath[]): void {
  const props = node.properties ?? {};
  const children = Object.entries(props);
  const items = node.items as SchemaNode | undefined;
  const values = typeof node.additionalProperties === 'object' ? (node.additionalProperties as SchemaNode) : undefined;
  if (children.length) {
    out.push({ path, leaf: false, type: 'object' });
    for (const [name, child] of children) walk(child, `${path}.${name}`, out);
  } else if (items && hasFields(items)) {
    walk(items, `${path}[]`, out);
  } else if (values && hasFields(values)) {
    walk(values, `${path}{}`, out);
  } else {
    out.push({ path, leaf: true, type: typeName(node) });
  }
}

function hasFields(node: SchemaNode): boolean {
  return Object.keys(node.properties ?? {}).length > 0 || (!!node.items && hasFields(node.items as SchemaNode));
}

function typeName(node: SchemaNode): string {
  if (node['x-kubernetes-int-or-string']) return 'int-or-string';
  if (node.type === 'array') return `[]${typeName((node.items ?? {}) as SchemaNode)}`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object') return `map[string]${typeName(node.additionalProperties as SchemaNode)}`;
  return String(node.type ?? 'any');
}

/** The values an object holds at a path (one per array item or map value on the way). */
export function valuesAt(object: unknown, path: string): unknown[] {
  let current: unknown[] = [object];
  for (const step of path.split('.')) {
    const next: unknown[] = [];
    const name = step.replace(/(\[\]|\{\})+$/, '');
    const spreads = step.slice(name.length).match(/\[\]|\{\}/g) ?? [];
    for (const v of current) {
      if (v === null || typeof v !== 'object') continue;
      let found: unknown[] = [(v as Record<string, unknown>)[name]];
      for (const spread of spreads) {
        found = found.flatMap((f) => (spread === '[]' ? (Array.isArray(f) ? f : []) : f && typeof f === 'object' ? Object.values(f) : []));
      }
      next.push(...found.filter((f) => f !== undefined));
    }
    current = next;
  }
  return current;
}
