// Shared reading of OpenAPI v3 schema nodes as CRDs write them (plain JSON).

export type SchemaNode = Record<string, any>;

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function isSchemaNode(x: unknown): x is SchemaNode {
  return isPlainObject(x);
}

/** `additionalProperties: true` keeps a map's values whole, as if they preserved unknown fields. */
const PRESERVE_EVERYTHING: SchemaNode = Object.freeze({ 'x-kubernetes-preserve-unknown-fields': true });

/** The schema that applies to `key` of an object: its property, else the map's value schema. */
export function fieldSchema(s: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!s) return undefined;
  const props = s.properties;
  if (isPlainObject(props) && Object.hasOwn(props, key) && isSchemaNode(props[key])) return props[key] as SchemaNode;
  if (isSchemaNode(s.additionalProperties)) return s.additionalProperties;
  if (s.additionalProperties === true) return PRESERVE_EVERYTHING;
  return undefined;
}

export function itemsSchema(s: SchemaNode | undefined): SchemaNode | undefined {
  return s && isSchemaNode(s.items) ? s.items : undefined;
}

export function preservesUnknownFields(s: SchemaNode | undefined): boolean {
  return s?.['x-kubernetes-preserve-unknown-fields'] === true;
}

export function isEmbeddedResource(s: SchemaNode | undefined): boolean {
  return s?.['x-kubernetes-embedded-resource'] === true;
}

/** A `default: null` counts as no default, as in apiextensions. */
export function hasDefault(s: SchemaNode | undefined): boolean {
  return s !== undefined && s.default !== undefined && s.default !== null;
}
