// Decoding of the protobuf bodies kubectl ≥ 1.32 sends for imperative `kubectl create
// namespace|configmap|secret` (it does not fall back to JSON on 415). Only those kinds and
// the fields they carry are decoded; anything else is refused with 415.

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

const SUPPORTED = new Set(['Namespace', 'ConfigMap', 'Secret']);

/** Decodes a Kubernetes protobuf envelope holding one of the supported kinds into JSON form. */
export function decodeProtobufObject(body: Buffer): Json {
  const unsupported = (why: string) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${why})`);
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupported('missing protobuf envelope');
  try {
    let apiVersion = '';
    let kind = '';
    let raw: Buffer | undefined;
    for (const f of fields(body.subarray(4))) {
      if (f.num === 1) {
        for (const t of fields(f.value as Buffer)) {
          if (t.num === 1) apiVersion = str(t);
          if (t.num === 2) kind = str(t);
        }
      }
      if (f.num === 2) raw = f.value as Buffer;
    }
    if (!SUPPORTED.has(kind) || apiVersion !== 'v1' || !raw) throw unsupported(`protobuf is accepted for ${[...SUPPORTED].join(', ')} only`);
    return { apiVersion, kind, ...decodeKind(kind, raw) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'BadRequest', `unable to decode protobuf body: ${(err as Error).message}`);
  }
}
