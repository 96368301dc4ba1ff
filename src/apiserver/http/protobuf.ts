// Decoding of the protobuf bodies kubectl ≥ 1.32 sends for imperative `kubectl create
// namespace|configmap|secret|serviceaccount|role|...|token` and `kubectl auth` (it does not
// fall back to JSON on 415), and of the DeleteOptions client-go's protobuf clients (helm's
// release storage) send with a DELETE. Only those kinds and the fields they carry are decoded;
// anything else is refused with 415. Hand-written because no protobuf library or .proto files
// ship with the project, and the envelope ("k8s\0" + runtime.Unknown) is a few lines.

import { ApiError } from '../errors.js';

type Json = Record<string, any>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

interface Field {
  num: number;
  wire: number;
  value: bigint | Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ num, wire, value: v });
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ num, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ num, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ num, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

const str = (f: Field) => (f.value as Buffer).toString('utf8');

function mapEntry(buf: Buffer, asBytes: boolean): [string, string] {
  let key = '';
  let value = '';
  for (const f of fields(buf)) {
    if (f.num === 1) key = str(f);
    if (f.num === 2) value = asBytes ? (f.value as Buffer).toString('base64') : str(f);
  }
  return [key, value];
}

// Go's generated marshallers write every string field, set or not: an empty string means absent.
function objectMeta(buf: Buffer): Json {
  const meta: Json = {};
  for (const f of fields(buf)) {
    switch (f.num) {
      case 1: if (str(f)) meta.name = str(f); break;
      case 2: if (str(f)) meta.generateName = str(f); break;
      case 3: if (str(f)) meta.namespace = str(f); break;
      case 11: { const [k, v] = mapEntry(f.value as Buffer, false); (meta.labels ??= {})[k] = v; break; }
      case 12: { const [k, v] = mapEntry(f.value as Buffer, false); (meta.annotations ??= {})[k] = v; break; }
      case 14: (meta.finalizers ??= []).push(str(f)); break;
    }
  }
  return meta;
}

function decodeKind(kind: string, raw: Buffer): Json {
  const obj: Json = {};
  for (const f of fields(raw)) {
    if (f.num === 1) { obj.metadata = objectMeta(f.value as Buffer); continue; }
    if (kind === 'ConfigMap') {
      if (f.num === 2) { const [k, v] = mapEntry(f.value as Buffer, false); (obj.data ??= {})[k] = v; }
      if (f.num === 3) { const [k, v] = mapEntry(f.value as Buffer, true); (obj.binaryData ??= {})[k] = v; }
      if (f.num === 4) obj.immutable = (f.value as bigint) !== 0n;
    } else if (kind === 'Secret') {
      if (f.num === 2) { const [k, v] = mapEntry(f.value as Buffer, true); (obj.data ??= {})[k] = v; }
      if (f.num === 3 && str(f)) obj.type = str(f);
      if (f.num === 4) { const [k, v] = mapEntry(f.value as Buffer, false); (obj.stringData ??= {})[k] = v; }
      if (f.num === 5) obj.immutable = (f.value as bigint) !== 0n;
    } else if (kind === 'Namespace') {
      // An empty spec is always written; only finalizers actually given replace the default.
      const finalizers = f.num === 2 ? fields(f.value as Buffer).filter((x) => x.num === 1).map(str) : [];
      if (finalizers.length) obj.spec = { finalizers };
    }
  }
  return obj;
}

/** How one message's fields map to JSON, for kinds simple enough to describe as data. */
type FieldSpec =
  | { name: string; type: 'string' | 'strings' | 'bool' | 'int' | 'map' }
  | { name: string; type: 'message' | 'messages'; of: Schema };
type Schema = Record<number, FieldSpec>;

function decodeMessage(buf: Buffer, schema: Schema): Json {
  const obj: Json = {};
  for (const f of fields(buf)) {
    const spec = schema[f.num];
    if (!spec) continue;
    switch (spec.type) {
      case 'string': if (str(f)) obj[spec.name] = str(f); break;
      case 'strings': (obj[spec.name] ??= []).push(str(f)); break;
      case 'bool': obj[spec.name] = (f.value as bigint) !== 0n; break;
      // int32 and int64 are varints of the two's complement: negative ones are 64-bit wide.
      case 'int': obj[spec.name] = Number(BigInt.asIntN(64, f.value as bigint)); break;
      case 'map': { const [k, v] = mapEntry(f.value as Buffer, false); (obj[spec.name] ??= {})[k] = v; break; }
      case 'message': obj[spec.name] = decodeMessage(f.value as Buffer, spec.of); break;
      case 'messages': (obj[spec.name] ??= []).push(decodeMessage(f.value as Buffer, spec.of)); break;
    }
  }
  return obj;
}

const POLICY_RULE: Schema = {
  1: { name: 'verbs', type: 'strings' },
  2: { name: 'apiGroups', type: 'strings' },
  3: { name: 'resources', type: 'strings' },
  4: { name: 'resourceNames', type: 'strings' },
  5: { name: 'nonResourceURLs', type: 'strings' },
};
const SUBJECT: Schema = { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiGroup', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'namespace', type: 'string' } };
const ROLE_REF: Schema = { 1: { name: 'apiGroup', type: 'string' }, 2: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' } };
const BINDING: Schema = { 2: { name: 'subjects', type: 'messages', of: SUBJECT }, 3: { name: 'roleRef', type: 'message', of: ROLE_REF } };
const LABEL_SELECTOR_REQUIREMENT: Schema = { 1: { name: 'key', type: 'string' }, 2: { name: 'operator', type: 'string' }, 3: { name: 'values', type: 'strings' } };
const LABEL_SELECTOR: Schema = { 1: { name: 'matchLabels', type: 'map' }, 2: { name: 'matchExpressions', type: 'messages', of: LABEL_SELECTOR_REQUIREMENT } };
const RESOURCE_ATTRIBUTES: Schema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } };

/** Kinds decoded from a field table: apiVersion and the fields after metadata (field 1). */
const TABLE_KINDS: Record<string, { apiVersion: string; schema: Schema }> = {
  ServiceAccount: { apiVersion: 'v1', schema: { 4: { name: 'automountServiceAccountToken', type: 'bool' } } },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', schema: { 2: { name: 'rules', type: 'messages', of: POLICY_RULE } } },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    schema: {
      2: { name: 'rules', type: 'messages', of: POLICY_RULE },
      3: { name: 'aggregationRule', type: 'message', of: { 1: { name: 'clusterRoleSelectors', type: 'messages', of: LABEL_SELECTOR } } },
    },
  },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', schema: BINDING },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', schema: BINDING },
  TokenRequest: {
    apiVersion: 'authentication.k8s.io/v1',
    schema: {
      2: {
        name: 'spec',
        type: 'message',
        of: {
          1: { name: 'audiences', type: 'strings' },
          3: { name: 'boundObjectRef', type: 'message', of: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiVersion', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' } } },
          4: { name: 'expirationSeconds', type: 'int' },
        },
      },
    },
  },
  SelfSubjectAccessReview: {
    apiVersion: 'authorization.k8s.io/v1',
    schema: {
      2: {
        name: 'spec',
        type: 'message',
        of: { 1: { name: 'resourceAttributes', type: 'message', of: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', type: 'message', of: NON_RESOURCE_ATTRIBUTES } },
      },
    },
  },
  SelfSubjectRulesReview: { apiVersion: 'authorization.k8s.io/v1', schema: { 2: { name: 'spec', type: 'message', of: { 1: { name: 'namespace', type: 'string' } } } } },
  SelfSubjectReview: { apiVersion: 'authentication.k8s.io/v1', schema: {} },
};

function decodeTableKind(kind: string, raw: Buffer): Json {
  const obj = decodeMessage(raw, TABLE_KINDS[kind].schema);
  const meta = fields(raw).find((f) => f.num === 1);
  return { metadata: meta ? objectMeta(meta.value as Buffer) : {}, ...obj };
}

const SUPPORTED = new Set(['Namespace', 'ConfigMap', 'Secret']);

const unsupported = (why: string) =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${why})`);

interface Envelope {
  apiVersion: string;
  kind: string;
  raw?: Buffer;
}

/** Reads the "k8s\0" magic and the runtime.Unknown after it: typeMeta (1) and raw (2). */
function envelope(body: Buffer): Envelope {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupported('missing protobuf envelope');
  const out: Envelope = { apiVersion: '', kind: '' };
  for (const f of fields(body.subarray(4))) {
    if (f.num === 1) {
      for (const t of fields(f.value as Buffer)) {
        if (t.num === 1) out.apiVersion = str(t);
        if (t.num === 2) out.kind = str(t);
      }
    }
    if (f.num === 2) out.raw = f.value as Buffer;
  }
  return out;
}

/** Runs a decoder, turning malformed protobuf into 400 as kube-apiserver does. */
function decoding<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'BadRequest', `unable to decode protobuf body: ${(err as Error).message}`);
  }
}

/** Decodes a Kubernetes protobuf envelope holding one of the supported kinds into JSON form. */
export function decodeProtobufObject(body: Buffer): Json {
  return decoding(() => {
    const { apiVersion, kind, raw } = envelope(body);
    const table = TABLE_KINDS[kind];
    if (raw && table && table.apiVersion === apiVersion) return { apiVersion, kind, ...decodeTableKind(kind, raw) };
    if (!SUPPORTED.has(kind) || apiVersion !== 'v1' || !raw) {
      throw unsupported(`protobuf is accepted for ${[...SUPPORTED, ...Object.keys(TABLE_KINDS)].join(', ')} only`);
    }
    return { apiVersion, kind, ...decodeKind(kind, raw) };
  });
}

// meta/v1 DeleteOptions and Preconditions (k8s.io/apimachinery generated.proto). Their fields
// are pointers in Go, so the marshaller writes only those set; an empty precondition is dropped,
// as the JSON path ignores one.
const PRECONDITIONS: Schema = { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } };
const DELETE_OPTIONS: Schema = {
  1: { name: 'gracePeriodSeconds', type: 'int' },
  2: { name: 'preconditions', type: 'message', of: PRECONDITIONS },
  3: { name: 'orphanDependents', type: 'bool' },
  4: { name: 'propagationPolicy', type: 'string' },
  5: { name: 'dryRun', type: 'strings' },
  6: { name: 'ignoreStoreReadErrorWithClusterBreakingPotential', type: 'bool' },
};

/**
 * Decodes the protobuf DeleteOptions of a DELETE. kube registers DeleteOptions in every group
 * version, and client-go labels it with the version of the resource's client (v1, apps/v1,
 * meta.k8s.io/v1, ...), so any apiVersion is accepted, as kube-apiserver does.
 */
export function decodeProtobufDeleteOptions(body: Buffer): Json {
  return decoding(() => {
    const { apiVersion, kind, raw } = envelope(body);
    if (kind !== 'DeleteOptions') throw unsupported(`a DELETE body must be DeleteOptions, not ${kind || 'an untyped object'}`);
    return { apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), DELETE_OPTIONS) };
  });
}
