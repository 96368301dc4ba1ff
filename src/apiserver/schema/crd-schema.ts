// The checks kube-apiserver makes on the openAPIV3Schema of a CRD version that a CRD author
// can get wrong: structural schema rules (types everywhere, no type in anyOf/allOf/oneOf/not,
// metadata restricted at the root), unsupported keywords, extension misuse, defaults that do
// not validate or carry unknown fields, and schemas ajv cannot compile.

import type { StatusCause } from '../errors.js';
import { applyDefaults } from './defaults.js';
import { childPath, forbiddenField, indexPath, invalidValue, keyPath, requiredValue, unsupportedValue } from './field-errors.js';
import { hasDefault, isEmbeddedResource, isPlainObject, isSchemaNode, type SchemaNode } from './nodes.js';
import { pruneUnknownFields } from './prune.js';
import { createValidator } from './validate.js';

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

type Level = 'root' | 'item' | 'field';

/**
 * @param schemaPath path of the version's `schema` (`spec.versions[0].schema`)
 * @param statusEnabled whether the version has the status subresource
 */
export function validateCrdSchema(openAPIV3Schema: unknown, schemaPath: string, statusEnabled: boolean): StatusCause[] {
  const path = childPath(schemaPath, 'openAPIV3Schema');
  if (!isSchemaNode(openAPIV3Schema)) return [invalidValue(path, openAPIV3Schema, 'must be an object')];
  const causes: StatusCause[] = [];
  if (openAPIV3Schema.nullable === true) causes.push(forbiddenField(childPath(path, 'nullable'), 'nullable cannot be true at the root'));
  if (statusEnabled && openAPIV3Schema.type !== 'object') {
    causes.push(
      invalidValue(
        childPath(path, 'type'),
        openAPIV3Schema.type ?? '',
        'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
      ),
    );
  }
  structuralErrors(openAPIV3Schema, path, 'root', causes);
  if (causes.length) return causes;
  defaultErrors(openAPIV3Schema, path, 'root', causes);
  if (causes.length) return causes;
  try {
    createValidator(openAPIV3Schema, true);
  } catch (err) {
    causes.push(invalidValue(schemaPath, '', `error building validator: ${(err as Error).message}`));
  }
  return causes;
}

function structuralErrors(s: SchemaNode, path: string, level: Level, causes: StatusCause[]): void {
  causes.push(...keywordErrors(s, path), ...extensionErrors(s, path), ...typeErrors(s, path, level));
  if (level === 'root' || isEmbeddedResource(s)) causes.push(...resourceMetaErrors(s, path, level));
  nestedValueValidationErrors(s, path, causes);
  if (isPlainObject(s.properties)) {
    for (const [key, prop] of Object.entries(s.properties)) {
      if (isSchemaNode(prop)) structuralErrors(prop, keyPath(childPath(path, 'properties'), key), 'field', causes);
    }
  }
  if (isSchemaNode(s.items)) structuralErrors(s.items, childPath(path, 'items'), 'item', causes);
  if (isSchemaNode(s.additionalProperties)) structuralErrors(s.additionalProperties, childPath(path, 'additionalProperties'), 'field', causes);
}

/** OpenAPI v3 keywords a CRD may not use, and combinations Kubernetes rejects. */
function keywordErrors(s: SchemaNode, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const keyword of ['$ref', 'id', 'additionalItems', 'patternProperties', 'definitions', 'dependencies']) {
    if (s[keyword] !== undefined) causes.push(forbiddenField(childPath(path, keyword), `${keyword} is not supported`));
  }
  if (s.type === 'null') causes.push(forbiddenField(childPath(path, 'type'), 'type cannot be set to null'));
  else if (s.type !== undefined && !OPENAPI_TYPES.includes(s.type)) {
    causes.push(unsupportedValue(childPath(path, 'type'), s.type, OPENAPI_TYPES));
  }
  if (Array.isArray(s.items)) causes.push(forbiddenField(childPath(path, 'items'), 'items must be a schema object and not an array'));
  if (s.uniqueItems === true) {
    causes.push(forbiddenField(childPath(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  const hasProperties = isPlainObject(s.properties) && Object.keys(s.properties).length > 0;
  if (hasProperties && (s.additionalProperties === false || isSchemaNode(s.additionalProperties))) {
    causes.push(forbiddenField(childPath(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
  }
  return causes;
}

function extensionErrors(s: SchemaNode, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    causes.push(invalidValue(childPath(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  const listType = s['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (s.type !== 'array') causes.push(typeMismatch(s, path, 'must be array if x-kubernetes-list-type is specified'));
    if (!['atomic', 'set', 'map'].includes(listType)) {
      causes.push(unsupportedValue(childPath(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
    }
  }
  const mapKeys = s['x-kubernetes-list-map-keys'];
  if (listType === 'map' && !(Array.isArray(mapKeys) && mapKeys.length)) {
    causes.push(requiredValue(childPath(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
  }
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined) {
    if (s.type !== 'object') causes.push(typeMismatch(s, path, 'must be object if x-kubernetes-map-type is specified'));
    if (!['atomic', 'granular'].includes(mapType)) {
      causes.push(unsupportedValue(childPath(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
    }
  }
  return causes;
}

function typeMismatch(s: SchemaNode, path: string, detail: string): StatusCause {
  const typePath = childPath(path, 'type');
  return s.type ? invalidValue(typePath, s.type, detail) : requiredValue(typePath, detail);
}

/** Structural schemas name a type everywhere but where the extensions imply one. */
function typeErrors(s: SchemaNode, path: string, level: Level): StatusCause[] {
  const causes: StatusCause[] = [];
  const typePath = childPath(path, 'type');
  if (s.type === 'array' && !isSchemaNode(s.items)) causes.push(requiredValue(childPath(path, 'items'), 'must be specified'));
  if (isEmbeddedResource(s) && s.type !== 'object') {
    causes.push(typeMismatch(s, path, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!s.type && s['x-kubernetes-int-or-string'] !== true) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    causes.push(requiredValue(typePath, `must not be empty ${where}`));
  }
  if (isEmbeddedResource(s) && s.additionalProperties !== undefined) {
    causes.push(forbiddenField(childPath(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && s.type && s.type !== 'object') causes.push(invalidValue(typePath, s.type, 'must be object at the root'));
  return causes;
}

/** apiVersion, kind and metadata of a resource (the root or an embedded one) keep their shapes. */
function resourceMetaErrors(s: SchemaNode, path: string, level: Level): StatusCause[] {
  const causes: StatusCause[] = [];
  const props = isPlainObject(s.properties) ? (s.properties as Record<string, SchemaNode>) : {};
  const propPath = (key: string) => keyPath(childPath(path, 'properties'), key);
  for (const key of ['apiVersion', 'kind']) {
    if (isSchemaNode(props[key]) && props[key].type !== 'string') {
      causes.push(invalidValue(childPath(propPath(key), 'type'), props[key].type ?? '', 'must be string'));
    }
  }
  const metadata = props.metadata;
  if (!isSchemaNode(metadata)) return causes;
  if (metadata.type !== 'object') causes.push(invalidValue(childPath(propPath('metadata'), 'type'), metadata.type ?? '', 'must be object'));
  if (level === 'root' && !onlyNamesRestricted(metadata)) {
    causes.push(
      forbiddenField(propPath('metadata'), 'must not specify anything other than name and generateName, but metadata is implicitly specified'),
    );
  }
  return causes;
}

function onlyNamesRestricted(metadata: SchemaNode): boolean {
  const allowedKeys = new Set(['type', 'description', 'properties', 'default']);
  if (Object.keys(metadata).some((k) => !allowedKeys.has(k))) return false;
  const props = isPlainObject(metadata.properties) ? Object.keys(metadata.properties) : [];
  return props.every((k) => k === 'name' || k === 'generateName');
}

/** anyOf/allOf/oneOf/not may only add value validations, never shape (types, defaults, ...). */
function nestedValueValidationErrors(s: SchemaNode, path: string, causes: StatusCause[]): void {
  const skipAnyOf = isIntOrStringAnyOf(s);
  const skipFirstAllOfAnyOf = s['x-kubernetes-int-or-string'] === true && Array.isArray(s.allOf) && isIntOrStringAnyOf({ ...s.allOf[0], 'x-kubernetes-int-or-string': true });
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (!Array.isArray(s[keyword]) || (keyword === 'anyOf' && skipAnyOf)) continue;
    s[keyword].forEach((branch: unknown, i: number) => {
      if (!isSchemaNode(branch)) return;
      const branchPath = indexPath(childPath(path, keyword), i);
      const checked = keyword === 'allOf' && i === 0 && skipFirstAllOfAnyOf ? { ...branch, anyOf: undefined } : branch;
      valueValidationErrors(checked, branchPath, causes);
    });
  }
  if (isSchemaNode(s.not)) valueValidationErrors(s.not, childPath(path, 'not'), causes);
}

/** The one exception to "no types in anyOf": int-or-string written as anyOf integer|string. */
function isIntOrStringAnyOf(s: SchemaNode): boolean {
  if (s['x-kubernetes-int-or-string'] !== true || !Array.isArray(s.anyOf) || s.anyOf.length !== 2) return false;
  const types = s.anyOf.map((b: SchemaNode) => (isSchemaNode(b) && Object.keys(b).length === 1 ? b.type : undefined));
  return types[0] === 'integer' && types[1] === 'string';
}

function valueValidationErrors(s: SchemaNode, path: string, causes: StatusCause[]): void {
  const mustBe = (key: string, what: string) => causes.push(forbiddenField(childPath(path, key), `must be ${what} to be structural`));
  if (s.type !== undefined) mustBe('type', 'empty');
  if (s.title !== undefined) mustBe('title', 'empty');
  if (s.description !== undefined) mustBe('description', 'empty');
  if (s.additionalProperties !== undefined) mustBe('additionalProperties', 'undefined');
  if (s.default !== undefined) mustBe('default', 'undefined');
  if (s.nullable === true) mustBe('nullable', 'false');
  for (const ext of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string']) {
    if (s[ext] === true) mustBe(ext, 'false');
  }
  for (const ext of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type']) {
    if (s[ext] !== undefined) mustBe(ext, 'undefined');
  }
  if (isPlainObject(s.properties)) {
    for (const [key, prop] of Object.entries(s.properties)) {
      if (isSchemaNode(prop)) valueValidationErrors(prop, keyPath(childPath(path, 'properties'), key), causes);
    }
  }
  if (isSchemaNode(s.items)) valueValidationErrors(s.items, childPath(path, 'items'), causes);
  nestedValueValidationErrors(s, path, causes);
}

/** Each default must be pruned already and valid against its own node, nested defaults applied. */
function defaultErrors(s: SchemaNode, path: string, level: Level, causes: StatusCause[], topLevelMeta?: string): void {
  if (hasDefault(s)) {
    const defaultPath = childPath(path, 'default');
    if (topLevelMeta) causes.push(forbiddenField(defaultPath, `must not be set in top-level ${topLevelMeta}`));
    else causes.push(...defaultValueErrors(s, defaultPath));
  }
  if (isPlainObject(s.properties)) {
    for (const [key, prop] of Object.entries(s.properties)) {
      if (!isSchemaNode(prop)) continue;
      const meta = topLevelMeta ?? (level === 'root' && META_FIELDS.has(key) ? key : undefined);
      defaultErrors(prop, keyPath(childPath(path, 'properties'), key), 'field', causes, meta);
    }
  }
  if (isSchemaNode(s.items)) defaultErrors(s.items, childPath(path, 'items'), 'item', causes, topLevelMeta);
  if (isSchemaNode(s.additionalProperties)) {
    defaultErrors(s.additionalProperties, childPath(path, 'additionalProperties'), 'field', causes, topLevelMeta);
  }
}

function defaultValueErrors(s: SchemaNode, defaultPath: string): StatusCause[] {
  const pruned = structuredClone(s.default);
  if (pruneUnknownFields(pruned, s, isEmbeddedResource(s)).length) {
    return [invalidValue(defaultPath, s.default, 'must not have unknown fields')];
  }
  applyDefaults(pruned, s);
  try {
    return createValidator(s, isEmbeddedResource(s))(pruned, defaultPath);
  } catch {
    return []; // reported once for the whole schema, as "error building validator"
  }
}
