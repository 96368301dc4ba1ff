// Validation of objects against a CRD schema: ajv checks the value validations, and the
// errors are mapped to the causes kube-apiserver (kube-openapi) reports, field paths and
// messages included, e.g. `spec.replicas: Invalid value: "string": spec.replicas in body must
// be of type integer: "string"`. extensions.ts checks what JSON Schema cannot express.

import { Ajv, type ErrorObject } from 'ajv';
import type { StatusCause } from '../errors.js';
import { asKubeOpenAPIErrors } from './composites.js';
import { extensionErrors } from './extensions.js';
import {
  childPath,
  goQuote,
  indexPath,
  invalidValue,
  NIL_PATH,
  requiredValue,
  tooLongValue,
  tooManyItems,
  typeInvalidValue,
  unsupportedValue,
} from './field-errors.js';
import { addKubernetesFormats } from './formats.js';
import { FORMAT_NAME_KEY, toJsonSchema } from './json-schema.js';
import { isPlainObject, isSchemaNode, type SchemaNode } from './nodes.js';

/**
 * Validates a value; `basePath` prefixes field paths (e.g. when checking a CRD's default
 * values). Without it, errors that kube-apiserver reports with no field carry `<nil>`.
 */
type ValueValidator = (value: unknown, basePath?: string) => StatusCause[];

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
  return asKubeOpenAPIErrors(errors, schema).map((e) => errorToCause(e, root, basePath));
}

function errorToCause(e: ErrorObject, root: unknown, basePath?: string): StatusCause {
  const name = fieldPathOf(e.instancePath, root);
  const field = basePath !== undefined ? (name ? childPath(basePath, name) : basePath) : name || NIL_PATH;
  const inBody = name ? `${name} in body` : 'in body';
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'type': {
      const expected = [p.type].flat().filter((t) => t !== 'null').join(',');
      const actual = jsonTypeName(e.data);
      return typeInvalidValue(field, actual, `${inBody} must be of type ${expected}: ${goQuote(actual)}`);
    }
    case 'format': {
      const format = (e.parentSchema as SchemaNode | undefined)?.[FORMAT_NAME_KEY] ?? p.format;
      return typeInvalidValue(field, e.data, `${inBody} must be of type ${format}: ${goQuote(String(e.data))}`);
    }
    case 'required': {
      const missing = name ? childPath(name, p.missingProperty) : p.missingProperty;
      return requiredValue(basePath !== undefined ? childPath(basePath, missing) : missing);
    }
    case 'enum':
      return unsupportedValue(field, e.data, (p.allowedValues as unknown[]).filter((v) => v !== null).map(enumText));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return invalidValue(field, e.data, `${inBody} should be ${COMPARISON_TEXT[p.comparison]} ${p.limit}`);
    case 'multipleOf':
      return invalidValue(field, e.data, `${inBody} should be a multiple of ${p.multipleOf}`);
    case 'pattern':
      return invalidValue(field, e.data, `${inBody} should match '${p.pattern}'`);
    case 'minLength':
      return invalidValue(field, e.data, `${inBody} should be at least ${p.limit} chars long`);
    case 'maxLength':
      return tooLongValue(field, p.limit);
    case 'minItems':
      return invalidValue(field, (e.data as unknown[]).length, `${inBody} should have at least ${p.limit} items`);
    case 'maxItems':
      return tooManyItems(field, (e.data as unknown[]).length, p.limit);
    case 'minProperties':
      return invalidValue(field, p.limit, `${inBody} should have at least ${p.limit} properties`);
    case 'maxProperties':
      return tooManyItems(field, Object.keys(e.data as object).length, p.limit);
    case 'uniqueItems':
      return invalidValue(field, '', `${inBody} shouldn't contain duplicates`);
    case 'additionalProperties':
      return invalidValue(field, p.additionalProperty, `${childPath(name, p.additionalProperty)} in body is a forbidden property`);
    case 'anyOf':
      return compositeCause(basePath, `${goQuote(name)} must validate at least one schema (anyOf)`);
    case 'oneOf': {
      const valid = Array.isArray(p.passingSchemas) ? p.passingSchemas.length : 0;
      const found = valid ? `Found ${valid} valid alternatives` : 'Found none valid';
      return compositeCause(basePath, `${goQuote(name)} must validate one and only one schema (oneOf). ${found}`);
    }
    case 'allOf':
      return compositeCause(basePath, `${goQuote(name)} must validate all the schemas (allOf)${p.noneValidated ? '. None validated' : ''}`);
    case 'not':
      return compositeCause(basePath, `${goQuote(name)} must not validate the schema (not)`);
    default:
      return invalidValue(field, e.data, `${inBody} ${e.message ?? e.keyword}`);
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
