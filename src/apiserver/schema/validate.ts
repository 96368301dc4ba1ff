// Validation of objects against a CRD schema: ajv checks the value validations, and the
// errors are mapped to the causes kube-apiserver (kube-openapi) reports, field paths and
// messages included, e.g. `spec.replicas: Invalid value: "string": spec.replicas in body must
// be of type integer: "string"`. The x-kubernetes-* rules JSON Schema cannot express
// (embedded resources, list types) are checked by walking the object.

import { Ajv, type ErrorObject } from 'ajv';
import type { StatusCause } from '../errors.js';
import {
  childPath,
  duplicateValue,
  goQuote,
  indexPath,
  invalidValue,
  keyPath,
  NIL_PATH,
  requiredValue,
  tooLongValue,
  tooManyItems,
  typeInvalidValue,
  unsupportedValue,
} from './field-errors.js';
import { addKubernetesFormats } from './formats.js';
import { FORMAT_NAME_KEY, toJsonSchema } from './json-schema.js';
import { isEmbeddedResource, isPlainObject, isSchemaNode, itemsSchema, type SchemaNode } from './nodes.js';

/**
 * Validates a value; `basePath` prefixes field paths (e.g. when checking a CRD's default
 * values). Without it, errors that kube-apiserver reports with no field carry `<nil>`.
 */
export type ValueValidator = (value: unknown, basePath?: string) => StatusCause[];

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  if (!sharedAjv) {
    // Kubernetes reports every error at once; Go's RE2 patterns compile best without the u flag.
    sharedAjv = new Ajv({ allErrors: true, strict: false, verbose: true, unicodeRegExp: false });
    addKubernetesFormats(sharedAjv);
  }
  return sharedAjv;
}

/** Compiles once; throws if the schema cannot be compiled (e.g. an invalid pattern). */
export function createValidator(schema: unknown, resourceRoot: boolean): ValueValidator {
  const jsonSchema = toJsonSchema(schema, resourceRoot);
  const instance = ajv();
  const check = instance.compile(jsonSchema);
  // Callers keep the compiled function; ajv's own cache would only grow with every CRD write.
  instance.removeSchema(jsonSchema);
  const original = isSchemaNode(schema) ? structuredClone(schema) : {};
  return (value, basePath) => {
    const causes: StatusCause[] = [];
    if (!check(value)) causes.push(...ajvErrorsToCauses(check.errors ?? [], value, jsonSchema, basePath));
    causes.push(...extensionErrors(value, original, basePath ?? '', resourceRoot));
    return causes;
  };
}

// ---------------------------------------------------------------------------------------------
// ajv errors → causes

function ajvErrorsToCauses(errors: ErrorObject[], root: unknown, schema: SchemaNode, basePath?: string): StatusCause[] {
  const kept = compositesFirst(keepBestBranches(withAllOfErrors(errors, schema)));
  return kept.flatMap((e) => errorToCauses(e, root, basePath));
}

function errorToCauses(e: ErrorObject, root: unknown, basePath?: string): StatusCause[] {
  const name = fieldPathOf(e.instancePath, root);
  const field = basePath !== undefined ? (name ? childPath(basePath, name) : basePath) : name || NIL_PATH;
  const inBody = name ? `${name} in body` : 'in body';
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'type': {
      const expected = [p.type].flat().filter((t) => t !== 'null').join(',');
      const actual = jsonTypeName(e.data);
      return [typeInvalidValue(field, actual, `${inBody} must be of type ${expected}: ${goQuote(actual)}`)];
    }
    case 'format': {
      const format = (e.parentSchema as SchemaNode | undefined)?.[FORMAT_NAME_KEY] ?? p.format;
      return [typeInvalidValue(field, e.data, `${inBody} must be of type ${format}: ${goQuote(String(e.data))}`)];
    }
    case 'required': {
      const missing = name ? childPath(name, p.missingProperty) : p.missingProperty;
      return [requiredValue(basePath !== undefined ? childPath(basePath, missing) : missing)];
    }
    case 'enum':
      return [unsupportedValue(field, e.data, (p.allowedValues as unknown[]).filter((v) => v !== null).map(enumText))];
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return [invalidValue(field, e.data, `${inBody} should be ${COMPARISON_TEXT[p.comparison]} ${p.limit}`)];
    case 'multipleOf':
      return [invalidValue(field, e.data, `${inBody} should be a multiple of ${p.multipleOf}`)];
    case 'pattern':
      return [invalidValue(field, e.data, `${inBody} should match '${p.pattern}'`)];
    case 'minLength':
      return [invalidValue(field, e.data, `${inBody} should be at least ${p.limit} chars long`)];
    case 'maxLength':
      return [tooLongValue(field, p.limit)];
    case 'minItems':
      return [invalidValue(field, (e.data as unknown[]).length, `${inBody} should have at least ${p.limit} items`)];
    case 'maxItems':
      return [tooManyItems(field, (e.data as unknown[]).length, p.limit)];
    case 'minProperties':
      return [invalidValue(field, p.limit, `${inBody} should have at least ${p.limit} properties`)];
    case 'maxProperties':
      return [tooManyItems(field, Object.keys(e.data as object).length, p.limit)];
    case 'uniqueItems':
      return [invalidValue(field, '', `${inBody} shouldn't contain duplicates`)];
    case 'additionalProperties':
      return [invalidValue(field, p.additionalProperty, `${childPath(name, p.additionalProperty)} in body is a forbidden property`)];
    case 'anyOf':
      return [compositeCause(basePath, `${goQuote(name)} must validate at least one schema (anyOf)`)];
    case 'oneOf': {
      const valid = Array.isArray(p.passingSchemas) ? p.passingSchemas.length : 0;
      const found = valid ? `Found ${valid} valid alternatives` : 'Found none valid';
      return [compositeCause(basePath, `${goQuote(name)} must validate one and only one schema (oneOf). ${found}`)];
    }
    case 'allOf':
      return [compositeCause(basePath, `${goQuote(name)} must validate all the schemas (allOf)${p.noneValidated ? '. None validated' : ''}`)];
    case 'not':
      return [compositeCause(basePath, `${goQuote(name)} must not validate the schema (not)`)];
    default:
      return [invalidValue(field, e.data, `${inBody} ${e.message ?? e.keyword}`)];
  }
}

const COMPARISON_TEXT: Record<string, string> = {
  '>=': 'greater than or equal to',
  '>': 'greater than',
  '<=': 'less than or equal to',
  '<': 'less than',
};

/** kube-apiserver lists string enum values as they are and others as JSON. */
function enumText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** kube-openapi's composite errors are not field errors: kube-apiserver reports them on a nil path. */
function compositeCause(basePath: string | undefined, message: string): StatusCause {
  return invalidValue(basePath ?? NIL_PATH, '', message);
}

function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** `/spec/ports/0/name` → `spec.ports[0].name`: whether a segment is an index depends on the data. */
function fieldPathOf(pointer: string, root: unknown): string {
  let path = '';
  let current: any = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      path = indexPath(path, Number(segment));
      current = current[Number(segment)];
    } else {
      path = childPath(path, segment);
      current = isPlainObject(current) ? current[segment] : undefined;
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Composite keywords. ajv reports the errors of every failed branch; kube-openapi reports the
// composite error first, then only the errors of the branch that came closest to matching.
// ajv says nothing of a failed allOf beyond its branches' errors, so that error is added.

interface SchemaStep {
  keyword: string;
  arg?: string;
}

const KEYWORDS_WITH_NAME = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);
const KEYWORDS_WITH_INDEX = new Set(['allOf', 'anyOf', 'oneOf']);

/** `#/properties/a/allOf/1/minimum` → [properties a] [allOf 1] [minimum]. */
function schemaSteps(schemaPath: string): SchemaStep[] {
  const segments = schemaPath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const steps: SchemaStep[] = [];
  for (let i = 0; i < segments.length; i++) {
    const keyword = segments[i];
    if (KEYWORDS_WITH_NAME.has(keyword) || (KEYWORDS_WITH_INDEX.has(keyword) && /^\d+$/.test(segments[i + 1] ?? ''))) {
      steps.push({ keyword, arg: segments[++i] });
    } else {
      steps.push({ keyword });
    }
  }
  return steps;
}

function stepsToPath(steps: SchemaStep[]): string {
  const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return ['#', ...steps.flatMap((s) => (s.arg === undefined ? [s.keyword] : [s.keyword, escape(s.arg)]))].join('/');
}

/** How many levels into the data these schema steps go (the last step is the failing keyword). */
function instanceDepth(steps: SchemaStep[]): number {
  return steps.slice(0, -1).filter((s) => s.keyword === 'properties' || s.keyword === 'items' || s.keyword === 'additionalProperties').length;
}

function isSameOrBelow(instancePath: string, base: string): boolean {
  return instancePath === base || instancePath.startsWith(`${base}/`);
}

function resolveSchema(root: SchemaNode, steps: SchemaStep[]): SchemaNode | undefined {
  let node: any = root;
  for (const s of steps) node = s.arg === undefined ? node?.[s.keyword] : node?.[s.keyword]?.[s.arg];
  return isSchemaNode(node) ? node : undefined;
}

function withAllOfErrors(errors: ErrorObject[], schema: SchemaNode): ErrorObject[] {
  const groups = new Map<string, { error: ErrorObject; failed: Set<string>; branches: number; before: ErrorObject }>();
  for (const e of errors) {
    const steps = schemaSteps(e.schemaPath);
    steps.forEach((step, i) => {
      if (step.keyword !== 'allOf' || step.arg === undefined) return;
      const location = steps.slice(0, i);
      const depth = instanceDepth(steps.slice(i + 1));
      const segments = e.instancePath.split('/');
      const instancePath = segments.slice(0, segments.length - depth).join('/');
      const schemaPath = `${stepsToPath(location)}/allOf`;
      const key = `${schemaPath}|${instancePath}`;
      let group = groups.get(key);
      if (!group) {
        const branches = (resolveSchema(schema, location)?.allOf as unknown[] | undefined)?.length ?? 0;
        const error = { keyword: 'allOf', instancePath, schemaPath, params: {} } as ErrorObject;
        group = { error, failed: new Set(), branches, before: e };
        groups.set(key, group);
      }
      group.failed.add(step.arg);
    });
  }
  if (!groups.size) return errors;
  for (const g of groups.values()) (g.error.params as Record<string, unknown>).noneValidated = g.failed.size >= g.branches;
  const out: ErrorObject[] = [];
  for (const e of errors) {
    for (const g of groups.values()) if (g.before === e) out.push(g.error);
    out.push(e);
  }
  return out;
}

function isComposite(e: ErrorObject): boolean {
  return e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'allOf';
}

/** Whether `e` comes from one of the branches of composite `c`; returns the branch index. */
function branchOf(e: ErrorObject, c: ErrorObject): string | undefined {
  if (e === c || !e.schemaPath.startsWith(`${c.schemaPath}/`) || !isSameOrBelow(e.instancePath, c.instancePath)) return undefined;
  return e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0];
}

function keepBestBranches(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const composites = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const c of composites) {
    if (dropped.has(c)) continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      const branch = dropped.has(e) ? undefined : branchOf(e, c);
      if (branch !== undefined) branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    // With several branches valid (oneOf), kube-openapi has no failures to show.
    const tooManyValid = Array.isArray((c.params as Record<string, unknown>).passingSchemas);
    const best = tooManyValid ? undefined : fewestErrors(branches);
    for (const [branch, list] of branches) if (branch !== best) for (const e of list) dropped.add(e);
  }
  return errors.filter((e) => !dropped.has(e));
}

/** kube-openapi keeps the branch with the most passing checks; fewest errors is the close analogue. */
function fewestErrors(branches: Map<string, ErrorObject[]>): string | undefined {
  let best: string | undefined;
  for (const [branch, list] of branches) if (best === undefined || list.length < branches.get(best)!.length) best = branch;
  return best;
}

function compositesFirst(errors: ErrorObject[]): ErrorObject[] {
  const composites = errors.filter(isComposite).sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const out: ErrorObject[] = [];
  const emitted = new Set<ErrorObject>();
  const emit = (e: ErrorObject) => {
    if (emitted.has(e)) return;
    emitted.add(e);
    out.push(e);
  };
  for (const e of errors) {
    for (const c of composites) if (branchOf(e, c) !== undefined) emit(c);
    emit(e);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// x-kubernetes-embedded-resource and x-kubernetes-list-type

function extensionErrors(x: unknown, s: SchemaNode, path: string, resourceRoot: boolean): StatusCause[] {
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
