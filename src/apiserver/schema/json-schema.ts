// OpenAPI v3 (as CRDs write it) → JSON Schema draft-07 (as ajv reads it). Only the value
// validations survive: descriptions, defaults and x-kubernetes-* extensions are dropped, and
// the extensions that change what is valid are expressed in plain JSON Schema.

import { isSupportedFormat, normalizeFormatName } from './formats.js';
import { isPlainObject, isSchemaNode, type SchemaNode } from './nodes.js';

/** Keywords with the same meaning in both dialects. */
const SHARED_KEYWORDS = [
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'required',
] as const;

/** Where the converted node keeps the format name as the CRD spelled it, for messages. */
export const FORMAT_NAME_KEY = 'x-kubernetes-format';

/**
 * @param resourceRoot the schema of a whole object: its `metadata` only constrains name and
 * generateName, since the rest of ObjectMeta is validated by the server, not by the CRD.
 */
export function toJsonSchema(node: unknown, resourceRoot: boolean): SchemaNode {
  return convertNode(isSchemaNode(node) ? node : {}, resourceRoot);
}

function convertNode(node: SchemaNode, resourceRoot: boolean): SchemaNode {
  const out: SchemaNode = {};
  convertType(node, out);
  convertEnum(node, out);
  convertFormat(node, out);
  convertBounds(node, out);
  for (const key of SHARED_KEYWORDS) if (node[key] !== undefined) out[key] = node[key];
  convertChildren(node, out);
  if (resourceRoot && isSchemaNode(out.properties?.metadata)) {
    out.properties.metadata = rootMetadata(node.properties.metadata);
  }
  return out;
}

function convertType(node: SchemaNode, out: SchemaNode): void {
  // kube-apiserver validates int-or-string fields as type [integer, string], whatever else is declared.
  if (node['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  else if (typeof node.type === 'string' && node.type) out.type = node.type;
  if (node.nullable === true && out.type !== undefined) out.type = [...[out.type].flat(), 'null'];
}

function convertEnum(node: SchemaNode, out: SchemaNode): void {
  if (!Array.isArray(node.enum)) return;
  out.enum = node.nullable === true && !node.enum.includes(null) ? [...node.enum, null] : node.enum;
}

function convertFormat(node: SchemaNode, out: SchemaNode): void {
  if (!isSupportedFormat(node.format)) return;
  out.format = normalizeFormatName(node.format);
  out[FORMAT_NAME_KEY] = node.format;
}

/** OpenAPI 3.0's boolean exclusiveMinimum/Maximum modify minimum/maximum; draft-07's are numbers. */
function convertBounds(node: SchemaNode, out: SchemaNode): void {
  if (typeof node.minimum === 'number') {
    if (node.exclusiveMinimum === true) out.exclusiveMinimum = node.minimum;
    else out.minimum = node.minimum;
  }
  if (typeof node.maximum === 'number') {
    if (node.exclusiveMaximum === true) out.exclusiveMaximum = node.maximum;
    else out.maximum = node.maximum;
  }
}

function convertChildren(node: SchemaNode, out: SchemaNode): void {
  if (isSchemaNode(node.items)) out.items = convertNode(node.items, false);
  if (isPlainObject(node.properties)) {
    out.properties = {};
    for (const [key, prop] of Object.entries(node.properties)) {
      out.properties[key] = convertNode(isSchemaNode(prop) ? prop : {}, false);
    }
  }
  if (isSchemaNode(node.additionalProperties)) out.additionalProperties = convertNode(node.additionalProperties, false);
  else if (node.additionalProperties === false) out.additionalProperties = false;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) out[key] = node[key].map((n: unknown) => convertNode(isSchemaNode(n) ? n : {}, false));
  }
  if (isSchemaNode(node.not)) out.not = convertNode(node.not, false);
}

/** Kubernetes lets a CRD restrict only metadata.name and metadata.generateName. */
function rootMetadata(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { type: 'object' };
  const props = isPlainObject(node.properties) ? node.properties : {};
  const kept: SchemaNode = {};
  for (const key of ['name', 'generateName']) {
    if (isSchemaNode(props[key])) kept[key] = convertNode(props[key], false);
  }
  if (Object.keys(kept).length) out.properties = kept;
  return out;
}
