// Reads a V8 heap snapshot (the .heapsnapshot JSON that --heapsnapshot-signal and
// v8.writeHeapSnapshot write) into bytes and counts per constructor, and compares two of them:
// what the soak bench prints to say which kind of object grew.

import { readFileSync } from 'node:fs';

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  /** "type:name" (e.g. "object:Map", "string", "code") → self bytes and count */
  byKind: Map<string, { bytes: number; count: number }>;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

/** Strings, code and arrays are summed by type: their "names" are their contents. */
const BY_TYPE_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'code', 'number', 'array', 'hidden', 'regexp']);

export function summariseHeapSnapshot(path: string): HeapSummary {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as SnapshotJson;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byKind = new Map<string, { bytes: number; count: number }>();
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? 'unknown';
    const size = snap.nodes[i + sizeAt]!;
    const key = BY_TYPE_ONLY.has(type) ? type : `${type}:${snap.strings[snap.nodes[i + nameAt]!]}`;
    const entry = byKind.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += size;
    entry.count++;
    byKind.set(key, entry);
    totalBytes += size;
  }
  return { totalBytes, nodes: snap.nodes.length / width, byKind };
}

export interface HeapGrowth {
  kind: string;
  bytes: number;
  count: number;
}

/** The kinds whose self bytes grew most from `a` to `b`. */
export function heapGrowth(a: HeapSummary, b: HeapSummary, top = 8): HeapGrowth[] {
  const kinds = new Set([...a.byKind.keys(), ...b.byKind.keys()]);
  const rows: HeapGrowth[] = [];
  for (const kind of kinds) {
    const was = a.byKind.get(kind) ?? { bytes: 0, count: 0 };
    const now = b.byKind.get(kind) ?? { bytes: 0, count: 0 };
    rows.push({ kind, bytes: now.bytes - was.bytes, count: now.count - was.count });
  }
  return rows.sort((x, y) => y.bytes - x.bytes).slice(0, top);
}
