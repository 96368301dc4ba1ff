// Defensive readers for objects that arrive as untyped JSON, plus the column pieces all printers share.

import type { KObject, TableColumn } from '../types.js';
import { humanDuration } from './duration.js';

export type Cell = string | number | boolean | null;
export type Rec = Record<string, unknown>;

export function rec(v: unknown): Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {};
}

export function recs(v: unknown): Rec[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Kubernetes only emits RFC3339 timestamps; anything else is treated as unset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || !RFC3339.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: an unset time prints as `<unknown>` rather than a huge age. */
export function since(timestamp: unknown, now: number): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

export function ageOf(obj: KObject, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}

export function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

// Descriptions mirror the API field docs that kube-apiserver puts in its column definitions.
const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of a name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const nameColumn = (): TableColumn => column('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const ageColumn = (): TableColumn => column('Age', 'string', AGE_DESCRIPTION);

/** Row conditions let clients recognise finished pods (kubectl's "Completed" handling). */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Column definitions plus how to fill one row, as one of kube-apiserver's table printers. */
export interface Printer {
  columns: TableColumn[];
  cells(obj: KObject, now: number): Cell[];
  conditions?(obj: KObject): RowCondition[] | undefined;
}
