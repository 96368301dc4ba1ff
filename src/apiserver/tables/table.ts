// Server-side printing (meta.k8s.io Table), which kubectl asks for on every `get`: without it
// kubectl can only show NAME and AGE.

import type { KObject, ResourceDef } from '../types.js';
import type { Cell, RowCondition } from './fields.js';
import { printerFor } from './printers.js';

type TableVersion = 'v1' | 'v1beta1';
type IncludeObject = 'None' | 'Metadata' | 'Object';

interface TableOptions {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** What each row carries in `object`; kubectl asks for Metadata (the default). */
  includeObject?: IncludeObject;
  /** Clock for the age columns, so tests can pin it. */
  now?: number;
  /** The Table version negotiated from Accept; PartialObjectMetadata rows use the same group version. */
  version?: TableVersion;
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

/** Splits an Accept header into its alternatives; parameter names are case-insensitive. */
function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  return accept.split(',').map((alt) => {
    const [type = '', ...rest] = alt.split(';').map((s) => s.trim());
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    return { type: type.toLowerCase(), params };
  });
}

/** The Table version an alternative asks for, or undefined if it is not a Table request. */
function tableVersionOf(range: MediaRange): TableVersion | undefined {
  const { params } = range;
  // q=0 explicitly refuses the alternative.
  if (params.has('q') && Number(params.get('q')) === 0) return undefined;
  if (params.get('as') !== 'Table' || params.get('g') !== 'meta.k8s.io') return undefined;
  const v = params.get('v');
  return v === 'v1' || v === 'v1beta1' ? v : undefined;
}

/** True when any alternative of the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return parseAccept(accept).some((r) => tableVersionOf(r) !== undefined);
}

/** The version of the first Table alternative (kubectl lists v1 before v1beta1); v1 otherwise. */
export function tableVersion(accept: string | undefined): TableVersion {
  for (const r of parseAccept(accept)) {
    const v = tableVersionOf(r);
    if (v) return v;
  }
  return 'v1';
}

interface TableRow {
  cells: Cell[];
  object?: unknown;
  conditions?: RowCondition[];
}

/** Renders objects as the Table kube-apiserver returns for them (all columns, wide ones included). */
export function toTable(def: ResourceDef, objects: KObject[], opts: TableOptions = {}): object {
  const printer = printerFor(def);
  const now = opts.now ?? Date.now();
  const version = opts.version ?? 'v1';
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, opts.includeObject ?? 'Metadata', version);
    if (object !== undefined) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta(opts),
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

/** Empty list metadata fields are omitted, as Go's omitempty does. */
function listMeta(opts: TableOptions): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  if (opts.resourceVersion) meta.resourceVersion = opts.resourceVersion;
  if (opts.continue) meta.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) meta.remainingItemCount = opts.remainingItemCount;
  return meta;
}

/** `-A` and `--show-labels` read namespace and labels from the row's metadata. */
function rowObject(obj: KObject, include: IncludeObject, version: TableVersion): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}
