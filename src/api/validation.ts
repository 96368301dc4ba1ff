// Checks shared by the kinds' validateX functions.
//
// schemaValueErrors re-checks what the schema itself says (required fields, enums, bounds, the
// int32 range) for objects that did not come through an API server serving hotpod's CRDs, e.g.
// from a cluster with the upstream CRDs, which declare neither enums nor bounds. The other
// helpers check what no structural schema can say.

import { duplicate, invalid, notSupported, required, type FieldCause } from './causes.js';
import type { SchemaNode } from './schema.js';
import { matchesLabelSelector, type LabelSelector as SharedLabelSelector } from '../util/label-selector.js';

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
const index = (path: string, i: number) => `${path}[${i}]`;

/** Required fields, enum values and numeric bounds declared by `schema`, at `path`. */
export function schemaValueErrors(value: unknown, schema: SchemaNode | undefined, path: string): FieldCause[] {
  if (!schema || value === undefined || value === null) return [];
  const causes: FieldCause[] = [];
  if (schema.enum && typeof value === 'string' && !schema.enum.includes(value)) {
    causes.push(notSupported(path, value, schema.enum as string[]));
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      causes.push(invalid(path, value, `${path} in body should be greater than or equal to ${schema.minimum}`));
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      causes.push(invalid(path, value, `${path} in body should be less than or equal to ${schema.maximum}`));
    }
    if (schema.type === 'integer' && schema.format === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) {
      causes.push(invalid(path, value, 'must be of type integer with format int32'));
    }
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => causes.push(...schemaValueErrors(item, schema.items, index(path, i))));
  } else if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (o[key] === undefined || o[key] === null) causes.push(required(child(path, key)));
    }
    for (const [key, v] of Object.entries(o)) {
      causes.push(...schemaValueErrors(v, schema.properties?.[key] ?? schema.additionalProperties, child(path, key)));
    }
  }
  return causes;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface NamedContainer {
  name?: string;
  image?: string;
}

/** Pod validation's container rules that matter before any pod exists: names unique, images set. */
export function containerErrors(
  containers: readonly NamedContainer[] | undefined,
  path: string,
  opts: { imageRequired: boolean } = { imageRequired: true },
): FieldCause[] {
  if (!containers || containers.length === 0) return [required(path)];
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const at = index(path, i);
    if (!c?.name) causes.push(required(child(at, 'name')));
    else if (seen.has(c.name)) causes.push(duplicate(child(at, 'name'), c.name));
    else {
      seen.add(c.name);
      if (c.name.length > 63 || !DNS1123_LABEL.test(c.name)) {
        causes.push(invalid(child(at, 'name'), c.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"));
      }
    }
    if (opts.imageRequired && !c?.image?.trim()) causes.push(required(child(at, 'image')));
    else if (c?.image && c.image !== c.image.trim()) causes.push(invalid(child(at, 'image'), c.image, 'must not have leading or trailing whitespace'));
  });
  return causes;
}

/** A priority written as int-or-string (OpenKruiseGame's updatePriority, deletionPriority). */
export function priorityErrors(value: number | string | undefined, path: string): FieldCause[] {
  if (value === undefined || typeof value === 'number') return [];
  return /^-?\d+$/.test(value.trim()) ? [] : [invalid(path, value, 'must be an integer or a string holding one')];
}

interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** metav1.LabelSelector validation: known operators, values present only where they may be. */
export function labelSelectorErrors(selector: LabelSelector | undefined, path: string): FieldCause[] {
  if (!selector) return [required(path)];
  const causes: FieldCause[] = [];
  (selector.matchExpressions ?? []).forEach((r, i) => {
    const at = index(child(path, 'matchExpressions'), i);
    if (!(OPERATORS as readonly string[]).includes(r.operator)) {
      causes.push(notSupported(child(at, 'operator'), r.operator, OPERATORS));
    } else if ((r.operator === 'In' || r.operator === 'NotIn') && !r.values?.length) {
      causes.push(required(child(at, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && r.values?.length) {
      causes.push(invalid(child(at, 'values'), r.values, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
  });
  return causes;
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

/** Whether `labels` satisfy the selector (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  // Unknown operators (which validation reports) match nothing.
  return matchesLabelSelector(selector as SharedLabelSelector, labels);
}
