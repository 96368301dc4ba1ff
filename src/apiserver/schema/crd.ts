// CustomResourceDefinitions (apiextensions.k8s.io/v1): the checks kube-apiserver makes on them
// that a user can get wrong, and what a CRD serves (one ResourceDef per served version).

import type { StatusCause } from '../errors.js';
import type { PrinterColumn, ResourceDef } from '../types.js';
import { validateCrdSchema } from './crd-schema.js';
import { childPath, indexPath, invalidValue, requiredValue, unsupportedValue } from './field-errors.js';
import { dns1035LabelErrors, dns1123SubdomainErrors } from './names.js';
import { isPlainObject } from './nodes.js';

type Json = Record<string, any>;

const CUSTOM_RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

/** kube-apiserver shows this column when a CRD version declares none. */
const DEFAULT_AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  jsonPath: '.metadata.creationTimestamp',
};

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

/** spec.names with apiextensions/v1 defaults: singular = lowercase kind, listKind = kind + "List". */
function crdNames(crd: Json): CrdNames {
  const names: Json = isPlainObject(crd?.spec?.names) ? crd.spec.names : {};
  const kind = typeof names.kind === 'string' ? names.kind : '';
  return {
    plural: typeof names.plural === 'string' ? names.plural : '',
    singular: names.singular || kind.toLowerCase(),
    kind,
    listKind: names.listKind || `${kind}List`,
    shortNames: Array.isArray(names.shortNames) ? names.shortNames : [],
    categories: Array.isArray(names.categories) ? names.categories : [],
  };
}

function versionsOf(crd: Json): Json[] {
  const versions = crd?.spec?.versions;
  return Array.isArray(versions) ? versions.map((v) => (isPlainObject(v) ? v : {})) : [];
}

// ---------------------------------------------------------------------------------------------
// validation

/** Causes as kube-apiserver reports them for an invalid CRD; empty when the CRD is acceptable. */
export function validateCrd(crd: any): StatusCause[] {
  const spec: Json = isPlainObject(crd?.spec) ? crd.spec : {};
  const names = crdNames(crd);
  return [
    ...metadataNameErrors(crd?.metadata?.name, names.plural, spec.group),
    ...groupErrors(spec.group),
    ...scopeErrors(spec.scope),
    ...versionsErrors(versionsOf(crd)),
    ...namesErrors(names),
  ];
}

function metadataNameErrors(name: unknown, plural: string, group: unknown): StatusCause[] {
  const path = 'metadata.name';
  if (typeof name !== 'string' || !name) return [requiredValue(path, 'name or generateName is required')];
  const messages = dns1123SubdomainErrors(name);
  if (name !== `${plural}.${group ?? ''}`) messages.push('must be spec.names.plural+"."+spec.group');
  return messages.map((m) => invalidValue(path, name, m));
}

function groupErrors(group: unknown): StatusCause[] {
  const path = 'spec.group';
  if (typeof group !== 'string' || !group) return [requiredValue(path)];
  const errors = dns1123SubdomainErrors(group);
  if (errors.length) return [invalidValue(path, group, errors.join(','))];
  if (group.split('.').length < 2) return [invalidValue(path, group, 'should be a domain with at least one dot')];
  return [];
}

function scopeErrors(scope: unknown): StatusCause[] {
  const path = 'spec.scope';
  if (!scope) return [requiredValue(path)];
  if (scope !== 'Cluster' && scope !== 'Namespaced') return [unsupportedValue(path, scope, ['Cluster', 'Namespaced'])];
  return [];
}

function versionsErrors(versions: Json[]): StatusCause[] {
  const causes: StatusCause[] = [];
  versions.forEach((v, i) => {
    const path = indexPath('spec.versions', i);
    if (!isPlainObject(v.schema) || v.schema.openAPIV3Schema == null) {
      causes.push(requiredValue(childPath(childPath(path, 'schema'), 'openAPIV3Schema'), 'schemas are required'));
    }
  });
  versions.forEach((v, i) => causes.push(...versionErrors(v, indexPath('spec.versions', i))));
  const names = versions.map((v) => v.name);
  if (new Set(names).size !== names.length) causes.push(invalidValue('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push(invalidValue('spec.versions', versions, 'must have exactly one version marked as storage version'));
  }
  return causes;
}

function versionErrors(v: Json, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = typeof v.name === 'string' ? v.name : '';
  const nameErrors = dns1035LabelErrors(name);
  if (nameErrors.length) causes.push(invalidValue(childPath(path, 'name'), name, nameErrors.join(',')));
  const subresources: Json = isPlainObject(v.subresources) ? v.subresources : {};
  const schema = isPlainObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
  if (schema != null) causes.push(...validateCrdSchema(schema, childPath(path, 'schema'), subresources.status !== undefined));
  causes.push(...scaleErrors(subresources.scale, childPath(path, 'subresources')));
  const columns = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : [];
  columns.forEach((c: unknown, i: number) => causes.push(...printerColumnErrors(c, indexPath(childPath(path, 'additionalPrinterColumns'), i))));
  return causes;
}

function scaleErrors(scale: unknown, path: string): StatusCause[] {
  if (scale === undefined || scale === null) return [];
  const s: Json = isPlainObject(scale) ? scale : {};
  const causes: StatusCause[] = [];
  const check = (key: string, prefixes: string[], under: string, required: boolean) => {
    const field = childPath(path, `scale.${key}`);
    const value = s[key];
    if (!value) {
      if (required) causes.push(requiredValue(field));
      return;
    }
    const pathErrors = simpleJsonPathErrors(value, field);
    if (pathErrors.length) causes.push(...pathErrors);
    else if (!prefixes.some((p) => value.startsWith(p))) causes.push(invalidValue(field, value, `should be a json path under ${under}`));
  };
  check('specReplicasPath', ['.spec.'], '.spec', true);
  check('statusReplicasPath', ['.status.'], '.status', true);
  check('labelSelectorPath', ['.spec.', '.status.'], 'either .spec or .status', false);
  return causes;
}

function simpleJsonPathErrors(value: unknown, field: string): StatusCause[] {
  if (typeof value !== 'string' || !value) return [invalidValue(field, value ?? '', 'must not be empty')];
  if (!value.startsWith('.')) return [invalidValue(field, value, 'must be a simple json path starting with .')];
  return [];
}

function printerColumnErrors(column: unknown, path: string): StatusCause[] {
  const c: Json = isPlainObject(column) ? column : {};
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(requiredValue(childPath(path, 'name')));
  const typesDetail = `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`;
  if (!c.type) causes.push(requiredValue(childPath(path, 'type'), typesDetail));
  else if (!PRINTER_COLUMN_TYPES.includes(c.type)) causes.push(invalidValue(childPath(path, 'type'), c.type, typesDetail));
  if (c.format && !PRINTER_COLUMN_FORMATS.includes(c.format)) {
    causes.push(invalidValue(childPath(path, 'format'), c.format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`));
  }
  // kube-apiserver names this field by its Go name.
  const jsonPathField = childPath(path, 'JSONPath');
  if (!c.jsonPath) causes.push(requiredValue(jsonPathField));
  else causes.push(...simpleJsonPathErrors(c.jsonPath, jsonPathField));
  return causes;
}

function namesErrors(names: CrdNames): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const key of ['plural', 'singular', 'kind', 'listKind'] as const) {
    if (!names[key]) causes.push(requiredValue(`spec.names.${key}`));
  }
  const label = (value: string, field: string, mixedCase = false) => {
    if (!value) return;
    const errors = dns1035LabelErrors(mixedCase ? value.toLowerCase() : value);
    if (errors.length) {
      causes.push(invalidValue(field, value, `${mixedCase ? 'may have mixed case, but should otherwise match: ' : ''}${errors.join(',')}`));
    }
  };
  label(names.plural, 'spec.names.plural');
  label(names.singular, 'spec.names.singular');
  label(names.kind, 'spec.names.kind', true);
  label(names.listKind, 'spec.names.listKind', true);
  names.shortNames.forEach((s, i) => label(String(s), indexPath('spec.names.shortNames', i)));
  if (names.kind && names.kind === names.listKind) {
    causes.push(invalidValue('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
  }
  names.categories.forEach((c, i) => label(String(c), indexPath('spec.names.categories', i)));
  return causes;
}

// ---------------------------------------------------------------------------------------------
// serving

/** One ResourceDef per served version, as kube-apiserver serves a CRD. */
export function crdToResourceDefs(crd: any): ResourceDef[] {
  const names = crdNames(crd);
  const group: string = crd?.spec?.group ?? '';
  return versionsOf(crd)
    .filter((v) => v.served === true)
    .map((v) => ({
      group,
      version: String(v.name),
      resource: names.plural,
      singular: names.singular,
      kind: names.kind,
      listKind: names.listKind,
      namespaced: crd?.spec?.scope === 'Namespaced',
      shortNames: [...names.shortNames],
      categories: [...names.categories],
      verbs: [...CUSTOM_RESOURCE_VERBS],
      ...subresourcesOf(v),
      printerColumns: printerColumnsOf(v),
      builtin: false,
      tracksGeneration: true,
    }));
}

function subresourcesOf(v: Json): Pick<ResourceDef, 'subresources' | 'scale'> {
  const sub: Json = isPlainObject(v.subresources) ? v.subresources : {};
  const subresources: string[] = [];
  if (sub.status !== undefined && sub.status !== null) subresources.push('status');
  if (!isPlainObject(sub.scale)) return { subresources };
  subresources.push('scale');
  const paths: Json = sub.scale;
  const scale: NonNullable<ResourceDef['scale']> = {
    specReplicasPath: String(paths.specReplicasPath ?? ''),
    statusReplicasPath: String(paths.statusReplicasPath ?? ''),
  };
  if (paths.labelSelectorPath) scale.labelSelectorPath = String(paths.labelSelectorPath);
  return { subresources, scale };
}

/** The version's columns; the NAME column comes first in every table and is not listed here. */
function printerColumnsOf(v: Json): PrinterColumn[] {
  const declared = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : [];
  if (!declared.length) return [{ ...DEFAULT_AGE_COLUMN }];
  return declared.map((c: Json) => {
    const column: PrinterColumn = { name: c.name, type: c.type, jsonPath: c.jsonPath };
    if (c.format) column.format = c.format;
    if (c.description) column.description = c.description;
    if (c.priority !== undefined) column.priority = c.priority;
    return column;
  });
}

/** The version objects are stored in; throws for a CRD with none (validateCrd rejects those). */
export function storageVersion(crd: any): string {
  const storage = versionsOf(crd).find((v) => v.storage === true);
  if (!storage) throw new Error(`CustomResourceDefinition ${crd?.metadata?.name ?? ''} has no storage version`);
  return String(storage.name);
}
