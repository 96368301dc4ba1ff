// The one CEL transition rule kube users write most: `self == oldSelf` in x-kubernetes-validations,
// which makes a field immutable once set. A CEL interpreter is not embedded; other rules are
// stored with the CRD and not evaluated (src/apiserver/README.md lists this limit). Transition
// rules run only on updates, and only where the old object had a value, as in kube-apiserver.

import type { StatusCause } from '../errors.js';
import { deepEqual } from '../../util/equal.js';
import { fieldSchema, isPlainObject, type SchemaNode } from './nodes.js';

interface Rule {
  rule?: unknown;
  message?: unknown;
}

const IMMUTABLE = /^\s*self\s*==\s*oldSelf\s*$/;

function isImmutableRule(rule: unknown): boolean {
  return typeof rule === 'string' && IMMUTABLE.test(rule);
}

/** Causes for values that `self == oldSelf` rules say may not change from `old` to `next`. */
export function transitionRuleErrors(schema: SchemaNode | undefined, next: unknown, old: unknown, path = ''): StatusCause[] {
  if (!schema || next === undefined || old === undefined) return [];
  const causes: StatusCause[] = [];
  for (const r of (Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'] : []) as Rule[]) {
    if (!isImmutableRule(r.rule) || deepEqual(next, old)) continue;
    const message = typeof r.message === 'string' && r.message ? r.message : `failed rule: ${String(r.rule).trim()}`;
    causes.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: "${typeName(next)}": ${message}` });
  }
  if (isPlainObject(next) && isPlainObject(old)) {
    for (const key of Object.keys(next)) {
      causes.push(...transitionRuleErrors(fieldSchema(schema, key), next[key], old[key], path ? `${path}.${key}` : key));
    }
  }
  return causes;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}
