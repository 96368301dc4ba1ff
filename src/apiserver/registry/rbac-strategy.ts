// Defaults and validation of rbac.authorization.k8s.io/v1 objects, with kube-apiserver's field
// paths and messages, since kubectl prints them as they come.

import type { StatusCause } from '../errors.js';
import type { KObject, ResourceDef } from '../types.js';
import { validateSubdomain } from './names.js';

type Json = Record<string, any>;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'];

export function isRbac(def: ResourceDef): boolean {
  return def.group === RBAC_GROUP;
}

/** v1 defaults: the RBAC group on roleRef and on User and Group subjects. */
export function defaultRbac(def: ResourceDef, obj: KObject): void {
  if (!def.resource.endsWith('bindings')) return;
  const o = obj as Json;
  if (o.roleRef && typeof o.roleRef === 'object' && !o.roleRef.apiGroup) o.roleRef.apiGroup = RBAC_GROUP;
  for (const s of Array.isArray(o.subjects) ? o.subjects : []) {
    if (!s || typeof s !== 'object') continue;
    // apiGroup is omitempty on the wire: a service account's empty group is simply absent.
    if (s.kind === 'ServiceAccount' && s.apiGroup === '') delete s.apiGroup;
    else if ((s.kind === 'User' || s.kind === 'Group') && !s.apiGroup) s.apiGroup = RBAC_GROUP;
  }
}

export function validateRbac(def: ResourceDef, obj: KObject, old?: KObject): StatusCause[] {
  const causes = validatePathSegmentName(obj.metadata.name ?? '', 'metadata.name');
  const o = obj as Json;
  if (def.resource === 'roles' || def.resource === 'clusterroles') {
    const namespaced = def.resource === 'roles';
    asArray(o.rules).forEach((rule, i) => causes.push(...validateRule(rule ?? {}, namespaced, `rules[${i}]`)));
    return causes;
  }
  const namespaced = def.resource === 'rolebindings';
  causes.push(...validateRoleRef(o.roleRef ?? {}, namespaced));
  asArray(o.subjects).forEach((s, i) => causes.push(...validateSubject(s ?? {}, namespaced, `subjects[${i}]`)));
  if (old && !sameRoleRef((old as Json).roleRef, o.roleRef)) {
    causes.push({ reason: 'FieldValueInvalid', field: 'roleRef', message: `Invalid value: ${goRoleRef(o.roleRef)}: cannot change roleRef` });
  }
  return causes;
}

function validateRule(rule: Json, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!asArray(rule.verbs).length) causes.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
  const urls = asArray(rule.nonResourceURLs);
  if (urls.length) {
    const shown = `[]string{${urls.map((u) => JSON.stringify(u)).join(', ')}}`;
    if (namespaced) causes.push(invalidValue(`${at}.nonResourceURLs`, shown, 'namespaced rules cannot apply to non-resource URLs'));
    if (asArray(rule.apiGroups).length || asArray(rule.resources).length || asArray(rule.resourceNames).length) {
      causes.push(invalidValue(`${at}.nonResourceURLs`, shown, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return causes;
  }
  if (!asArray(rule.apiGroups).length) causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!asArray(rule.resources).length) causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  return causes;
}

function validateRoleRef(ref: Json, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (ref.apiGroup !== RBAC_GROUP) causes.push(notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) causes.push(notSupported('roleRef.kind', ref.kind, kinds));
  if (!ref.name) causes.push(required('roleRef.name'));
  else causes.push(...validatePathSegmentName(String(ref.name), 'roleRef.name'));
  return causes;
}

function validateSubject(s: Json, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!s.name) causes.push(required(`${at}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) causes.push(...validateSubdomain(String(s.name), `${at}.name`));
      if (s.apiGroup) causes.push(notSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) causes.push(required(`${at}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) causes.push(notSupported(`${at}.apiGroup`, s.apiGroup, [RBAC_GROUP]));
      break;
    default:
      causes.push(notSupported(`${at}.kind`, s.kind, SUBJECT_KINDS));
  }
  return causes;
}

/** RBAC names are path segments, so `system:discovery` is fine where a DNS name would not be. */
function validatePathSegmentName(name: string, field: string): StatusCause[] {
  if (!name) return [];
  const problems: string[] = [];
  if (name === '.' || name === '..') problems.push(`may not be '${name}'`);
  for (const ch of ['/', '%']) if (name.includes(ch)) problems.push(`may not contain '${ch}'`);
  return problems.map((p) => invalidValue(field, JSON.stringify(name), p));
}

function sameRoleRef(a: Json | undefined, b: Json | undefined): boolean {
  return (a?.apiGroup ?? '') === (b?.apiGroup ?? '') && (a?.kind ?? '') === (b?.kind ?? '') && (a?.name ?? '') === (b?.name ?? '');
}

/** Go's %#v of the RoleRef struct, which is how kube-apiserver shows the rejected value. */
function goRoleRef(ref: Json | undefined): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(ref?.apiGroup ?? '')}, Kind:${JSON.stringify(ref?.kind ?? '')}, Name:${JSON.stringify(ref?.name ?? '')}}`;
}

function required(field: string, detail = ''): StatusCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

function notSupported(field: string, value: unknown, supported: string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${JSON.stringify(value ?? '')}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

function invalidValue(field: string, shown: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${detail}` };
}

function asArray(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}
