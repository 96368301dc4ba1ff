// Field selectors: the `fieldSelector` query parameter (`kubectl get --field-selector`).
//
// Kubernetes does not let clients select on arbitrary fields: each resource declares a few
// selectable fields, and anything else is refused with "field label not supported". The tables
// below mirror kube-apiserver's, so scripts written against a real cluster behave the same here.

import { badRequest } from '../errors.js';

type FieldMatcher = (obj: any) => boolean;

/** Reads a selectable field as the string Kubernetes compares against. */
type FieldReader = (obj: any) => string;

/** Absent values compare as the empty string, so `spec.nodeName=` finds unscheduled pods. */
function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** Booleans are selectable as "true"/"false", and an absent one is false (Go's zero value). */
function flag(value: unknown): string {
  return value === true ? 'true' : 'false';
}

/** Go int32 fields: an absent one is 0. */
function count(value: unknown): string {
  return typeof value === 'number' ? String(value) : '0';
}

const METADATA_FIELDS: Record<string, FieldReader> = {
  'metadata.name': (o) => text(o?.metadata?.name),
  'metadata.namespace': (o) => text(o?.metadata?.namespace),
};

const RESOURCE_FIELDS: Record<string, Record<string, FieldReader>> = {
  pods: {
    'spec.nodeName': (o) => text(o?.spec?.nodeName),
    'spec.restartPolicy': (o) => text(o?.spec?.restartPolicy),
    'spec.schedulerName': (o) => text(o?.spec?.schedulerName),
    'spec.serviceAccountName': (o) => text(o?.spec?.serviceAccountName),
    'spec.hostNetwork': (o) => flag(o?.spec?.hostNetwork),
    'status.phase': (o) => text(o?.status?.phase),
    'status.podIP': (o) => text(o?.status?.podIP),
    'status.nominatedNodeName': (o) => text(o?.status?.nominatedNodeName),
  },
  events: {
    'involvedObject.kind': (o) => text(o?.involvedObject?.kind),
    'involvedObject.namespace': (o) => text(o?.involvedObject?.namespace),
    'involvedObject.name': (o) => text(o?.involvedObject?.name),
    'involvedObject.uid': (o) => text(o?.involvedObject?.uid),
    'involvedObject.apiVersion': (o) => text(o?.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o) => text(o?.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o) => text(o?.involvedObject?.fieldPath),
    reason: (o) => text(o?.reason),
    reportingComponent: (o) => text(o?.reportingComponent),
    // Events from new-style reporters have no source.component; Kubernetes falls back to the controller.
    source: (o) => text(o?.source?.component) || text(o?.reportingComponent),
    type: (o) => text(o?.type),
  },
  nodes: {
    'spec.unschedulable': (o) => flag(o?.spec?.unschedulable),
  },
  namespaces: {
    'status.phase': (o) => text(o?.status?.phase),
  },
  secrets: {
    type: (o) => text(o?.type),
  },
  replicationcontrollers: {
    'status.replicas': (o) => count(o?.status?.replicas),
  },
  jobs: {
    'status.successful': (o) => count(o?.status?.succeeded),
  },
};

interface Term {
  read: FieldReader;
  value: string;
  equal: boolean;
}

/**
 * Parses `a=b,c!=d` for `resource` (plural name, e.g. `pods`); throws 400 BadRequest for bad
 * syntax or a field the resource does not support. The empty selector matches everything.
 */
export function parseFieldSelector(s: string, resource: string): FieldMatcher {
  const terms = splitTerms(s)
    .filter((part) => part !== '')
    .map((part) => parseTerm(s, part, resource));
  if (terms.length === 0) return () => true;
  return (obj) => terms.every((t) => (t.read(obj) === t.value) === t.equal);
}

/** The fields `resource` can be selected on. */
export function selectableFields(resource: string): string[] {
  return Object.keys(readersFor(resource));
}

function readersFor(resource: string): Record<string, FieldReader> {
  const own = Object.prototype.hasOwnProperty.call(RESOURCE_FIELDS, resource) ? RESOURCE_FIELDS[resource] : {};
  return { ...METADATA_FIELDS, ...own };
}

function parseTerm(selector: string, part: string, resource: string): Term {
  const split = splitTerm(part);
  if (!split) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
  // Kubernetes does not trim; we forgive the space in `a=b, c=d`, which no field name contains.
  const field = split.field.trim();
  const readers = readersFor(resource);
  if (!Object.prototype.hasOwnProperty.call(readers, field)) throw badRequest(`field label not supported: ${field}`);
  return { read: readers[field], value: unescapeValue(split.value), equal: split.operator !== '!=' };
}

/** Splits on commas that are not escaped by a backslash; escapes are kept for unescapeValue. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator in the term splits it; field names cannot contain escapes. */
function splitTerm(term: string): { field: string; operator: string; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of ['!=', '==', '=']) {
      if (term.startsWith(operator, i)) {
        return { field: term.slice(0, i), operator, value: term.slice(i + operator.length) };
      }
    }
  }
  return undefined;
}

/** Values may contain `\\`, `\,` and `\=`; unescaped `,` or `=` and other escapes are errors. */
function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next === undefined) throw badRequest('invalid field selector: invalid escape sequence: \\');
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${next}`);
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      throw badRequest(`invalid field selector: unescaped character in value: ${c}`);
    } else {
      out += c;
    }
  }
  return out;
}
