// The page's copy of the fleet: the dashboard's event stream (a snapshot, then deltas) applied
// to three maps, and listeners told at most every 16 ms.

import type { EventSummary, ServerTile, SetSummary } from '../model.js';

interface Delta {
  sets?: Record<string, SetSummary | null>;
  tiles?: Record<string, ServerTile | null>;
  events?: Record<string, EventSummary | null>;
}

export const fleet = {
  sets: new Map<string, SetSummary>(),
  tiles: new Map<string, ServerTile>(),
  /** each workload's tiles in name order (ordinal order), made again only when members come or go */
  tilesBySet: new Map<string, ServerTile[]>(),
  events: new Map<string, EventSummary>(),
  connected: false,
  /** bumped on every change: components compare it to know they are stale */
  version: 0,
};

const listeners = new Set<() => void>();
const byName = new Intl.Collator('en', { numeric: true });
let membersChanged = true;

function indexTiles(): void {
  if (!membersChanged) {
    // Same members: swap the changed records in place, keeping the order.
    for (const [set, list] of fleet.tilesBySet) fleet.tilesBySet.set(set, list.map((t) => fleet.tiles.get(t.key) ?? t));
    return;
  }
  membersChanged = false;
  const by = new Map<string, ServerTile[]>();
  for (const t of fleet.tiles.values()) {
    let list = by.get(t.set);
    if (!list) by.set(t.set, (list = []));
    list.push(t);
  }
  for (const list of by.values()) list.sort((a, b) => byName.compare(a.name, b.name));
  fleet.tilesBySet = by;
}
let scheduled = false;

export function onFleetChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(): void {
  indexTiles();
  fleet.version++;
  if (scheduled) return;
  scheduled = true;
  // A timer, not requestAnimationFrame: a browser holds frames back (a tab in the background,
  // a headless one between paints) and the page would fall seconds behind the stream.
  setTimeout(() => {
    scheduled = false;
    for (const fn of listeners) fn();
  }, 16);
}

function apply<T>(map: Map<string, T>, records: Record<string, T | null> | undefined): void {
  for (const [key, value] of Object.entries(records ?? {})) {
    if (value === null) {
      if (map.delete(key) && map === (fleet.tiles as Map<string, unknown>)) membersChanged = true;
    } else {
      if (!map.has(key) && map === (fleet.tiles as Map<string, unknown>)) membersChanged = true;
      map.set(key, value);
    }
  }
}

export function connect(): void {
  performance.mark('hotpod:connect');
  const source = new EventSource('/api/stream');
  source.addEventListener('snapshot', (e) => {
    // Marks for the benchmark's breakdown of a first render (performance.getEntriesByType('mark')).
    performance.mark('hotpod:snapshot-received');
    const s = JSON.parse((e as MessageEvent<string>).data) as Required<Delta>;
    for (const [map, records] of [
      [fleet.sets, s.sets],
      [fleet.tiles, s.tiles],
      [fleet.events, s.events],
    ] as const) {
      (map as Map<string, unknown>).clear();
      apply(map as Map<string, unknown>, records as Record<string, unknown>);
    }
    fleet.connected = true;
    membersChanged = true;
    changed();
    performance.mark('hotpod:snapshot-applied');
  });
  source.addEventListener('delta', (e) => {
    const d = JSON.parse((e as MessageEvent<string>).data) as Delta;
    apply(fleet.sets, d.sets);
    apply(fleet.tiles, d.tiles);
    apply(fleet.events, d.events);
    changed();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; the next snapshot replaces everything.
    fleet.connected = false;
    changed();
  });
}

export interface ActionOutcome {
  ok: boolean;
  status: number;
  message: string;
  reason?: string;
}

export async function act(body: { action: string; kind: string; namespace: string; name: string; value?: string }): Promise<ActionOutcome> {
  const res = await fetch('/api/actions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-hotpod-dashboard': '1' }, body: JSON.stringify(body) });
  return (await res.json()) as ActionOutcome;
}
