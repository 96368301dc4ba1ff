// Field errors rendered as k8s.io/apimachinery's `field` package renders them, because kubectl
// users read these messages (`spec.replicas: Invalid value: ...`) and tests compare them.

import type { StatusCause } from '../errors.js';

/** kube-apiserver prints a nil field path this way; errors with no field (anyOf, oneOf...) carry it. */
export const NIL_PATH = '<nil>';

/** `spec` + `replicas` → `spec.replicas` (field.Path.Child). */
export function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

/** `spec.ports` + 0 → `spec.ports[0]` (field.Path.Index). */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** `spec.labels` + `app` → `spec.labels[app]` (field.Path.Key, used for map entries). */
export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** Go's %q for a string; JSON escaping differs from Go only for unusual control characters. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * A bad value as field.Error prints it: numbers and booleans bare, strings quoted, anything
 * else as JSON (apimachinery marshals composite values to JSON).
 */
function renderValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return goQuote(value);
  return JSON.stringify(value ?? null);
}

function cause(reason: string, field: string, message: string): StatusCause {
  return { reason, message, field };
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export function requiredValue(field: string, detail = ''): StatusCause {
  return cause('FieldValueRequired', field, withDetail('Required value', detail));
}

export function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return cause('FieldValueInvalid', field, withDetail(`Invalid value: ${renderValue(value)}`, detail));
}

/** Same text as an invalid value; the reason tells clients the JSON type was wrong. */
export function typeInvalidValue(field: string, value: unknown, detail: string): StatusCause {
  return cause('FieldValueTypeInvalid', field, withDetail(`Invalid value: ${renderValue(value)}`, detail));
}

export function unsupportedValue(field: string, value: unknown, supported: string[]): StatusCause {
  const detail = supported.length ? `supported values: ${supported.map(goQuote).join(', ')}` : '';
  return cause('FieldValueNotSupported', field, withDetail(`Unsupported value: ${renderValue(value)}`, detail));
}

export function forbiddenField(field: string, detail: string): StatusCause {
  return cause('FieldValueForbidden', field, withDetail('Forbidden', detail));
}

/** The too-long value itself is never echoed back. */
export function tooLongValue(field: string, maxLength: number): StatusCause {
  return cause('FieldValueTooLong', field, `Too long: may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`);
}

export function tooManyItems(field: string, actual: number, max: number): StatusCause {
  return cause('FieldValueTooMany', field, `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`);
}

export function duplicateValue(field: string, value: unknown): StatusCause {
  return cause('FieldValueDuplicate', field, `Duplicate value: ${renderValue(value)}`);
}
