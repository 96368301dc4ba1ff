// The fleet as the dashboard's pages see it, kept current by informers (list, then watch) with
// the dashboard user's credentials: a change to a workload, a GameServer, a pod or an Event marks
// its workload dirty; at most every FLUSH_MS the dirty workloads are summarized again and only
// the records that changed are pushed to the pages.

import type { Logger } from 'pino';
import { InformerFactory, type Informer, type KubeClient, type KubeObject } from '../kube/index.js';
import { deepEqual } from '../util/equal.js';
import { serverTiles, setKey, summarizeEvent, summarizeSet, type EventSummary, type Members, type ServerTile, type SetSummary, type WorkloadKindName } from './model.js';

const FLUSH_MS = 50;
const OWNER_GSS_LABEL = 'game.kruise.io/owner-gss';
const WORKLOAD_KINDS = new Set(['GameServerSet', 'GameServer', 'GameDeployment', 'HookRun']);
/** Events kept for the pages, newest first: a fleet's pods make thousands of routine ones. */
const MAX_EVENTS = 2000;

/**
 * The Events a set page lists: those of the workloads, their GameServers and HookRuns, and a
 * pod's Warnings (its Normal ones, Scheduled, Pulled, Created, Started, are routine).
 */
function shownEvent(e: KubeObject): boolean {
  const ev = e as { involvedObject?: { kind?: string }; type?: string };
  const kind = ev.involvedObject?.kind ?? '';
  return WORKLOAD_KINDS.has(kind) || (kind === 'Pod' && ev.type === 'Warning');
}

export interface Snapshot {
  sets: Record<string, SetSummary>;
  tiles: Record<string, ServerTile>;
  events: Record<string, EventSummary>;
}

/** Changed records; null: gone. */
export interface Delta {
  sets?: Record<string, SetSummary | null>;
  tiles?: Record<string, ServerTile | null>;
  events?: Record<string, EventSummary | null>;
}

export class FleetState {
  private readonly informers: InformerFactory;
  private readonly sets: Informer;
  private readonly deployments: Informer;
  private readonly gameServers: Informer;
  private readonly pods: Informer;
  private readonly eventsInformer: Informer;
  private readonly setSummaries = new Map<string, SetSummary>();
  private readonly tiles = new Map<string, ServerTile>();
  /** tiles of each workload, so a workload's dirty pass knows which ones went away */
  private readonly tilesOf = new Map<string, Set<string>>();
  private readonly events = new Map<string, EventSummary>();
  private readonly dirtySets = new Set<string>();
  private readonly dirtyEvents = new Set<string>();
  private readonly listeners = new Set<(d: Delta) => void>();
  private timer?: NodeJS.Timeout;

  constructor(
    readonly client: KubeClient,
    private readonly logger?: Logger,
  ) {
    this.informers = new InformerFactory(client, { logger });
    this.sets = this.informers.informerFor({ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet' });
    this.deployments = this.informers.informerFor({ apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'GameDeployment' });
    this.gameServers = this.informers.informerFor({ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServer' });
    this.pods = this.informers.informerFor({ apiVersion: 'v1', kind: 'Pod' });
    this.eventsInformer = this.informers.informerFor({ apiVersion: 'v1', kind: 'Event' });
    this.sets.onChange((o) => this.markSet('GameServerSet', o.metadata!.namespace!, o.metadata!.name!));
    this.deployments.onChange((o) => this.markSet('GameDeployment', o.metadata!.namespace!, o.metadata!.name!));
    this.gameServers.onChange((o) => this.markMember(o));
    this.pods.onChange((o) => this.markMember(o));
    this.eventsInformer.onChange((e) => {
      if (!shownEvent(e)) return;
      this.dirtyEvents.add(`${e.metadata!.namespace}/${e.metadata!.name}`);
      this.schedule();
    });
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.informers.start();
    await Promise.all([this.sets, this.deployments, this.gameServers, this.pods, this.eventsInformer].map((i) => i.waitForSync(timeoutMs)));
    this.flush();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.informers.stop();
  }

  snapshot(): Snapshot {
    return { sets: Object.fromEntries(this.setSummaries), tiles: Object.fromEntries(this.tiles), events: Object.fromEntries(this.events) };
  }

  subscribe(fn: (d: Delta) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The pod and GameServer of one server, as the server page shows them. */
  server(namespace: string, name: string): { pod?: KubeObject; gameServer?: KubeObject; tile?: ServerTile } {
    const key = `${namespace}/${name}`;
    return { pod: this.pods.cache.get(key), gameServer: this.gameServers.cache.get(key), tile: this.tiles.get(key) };
  }

  private markSet(kind: WorkloadKindName, namespace: string, name: string): void {
    this.dirtySets.add(setKey(kind, namespace, name));
    this.schedule();
  }

  /** A pod or GameServer changed: its workload's summary and tiles are made again. */
  private markMember(o: KubeObject): void {
    const gss = o.metadata?.labels?.[OWNER_GSS_LABEL];
    if (gss) this.markSet('GameServerSet', o.metadata!.namespace!, gss);
    const ref = o.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'GameDeployment');
    if (ref) this.markSet('GameDeployment', o.metadata!.namespace!, ref.name);
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const delta: Required<Delta> = { sets: {}, tiles: {}, events: {} };
    for (const key of this.dirtySets) this.refreshSet(key, delta);
    this.dirtySets.clear();
    for (const key of this.dirtyEvents) {
      const e = this.eventsInformer.cache.get(key);
      const next = e ? summarizeEvent(e) : undefined;
      if (next) this.events.set(key, next);
      else this.events.delete(key);
      delta.events[key] = next ?? null;
    }
    this.dirtyEvents.clear();
    if (this.events.size > MAX_EVENTS) {
      const oldest = [...this.events.values()].sort((a, b) => a.last.localeCompare(b.last)).slice(0, this.events.size - MAX_EVENTS);
      for (const e of oldest) {
        this.events.delete(e.key);
        delta.events[e.key] = null;
      }
    }
    const d: Delta = {};
    if (Object.keys(delta.sets).length) d.sets = delta.sets;
    if (Object.keys(delta.tiles).length) d.tiles = delta.tiles;
    if (Object.keys(delta.events).length) d.events = delta.events;
    if (!d.sets && !d.tiles && !d.events) return;
    for (const fn of this.listeners) {
      try {
        fn(d);
      } catch (err) {
        this.logger?.warn({ err }, 'dashboard: a page listener failed');
      }
    }
  }

  private refreshSet(key: string, delta: Required<Delta>): void {
    const [kind, namespace, name] = key.split('/') as [WorkloadKindName, string, string];
    const informer = kind === 'GameServerSet' ? this.sets : this.deployments;
    const obj = informer.cache.get({ namespace, name });
    const tiles = obj ? serverTiles(kind, obj, this.membersOf(kind, obj)) : [];
    const keep = new Set(tiles.map((t) => t.key));
    for (const old of this.tilesOf.get(key) ?? []) {
      if (!keep.has(old)) {
        this.tiles.delete(old);
        delta.tiles[old] = null;
      }
    }
    for (const t of tiles) {
      if (!deepEqual(this.tiles.get(t.key), t)) {
        this.tiles.set(t.key, t);
        delta.tiles[t.key] = t;
      }
    }
    if (obj) this.tilesOf.set(key, keep);
    else this.tilesOf.delete(key);
    const summary = obj ? summarizeSet(kind, obj, tiles) : undefined;
    if (!summary) {
      if (this.setSummaries.delete(key)) delta.sets[key] = null;
    } else if (!deepEqual(this.setSummaries.get(key), summary)) {
      this.setSummaries.set(key, summary);
      delta.sets[key] = summary;
    }
  }

  private membersOf(kind: WorkloadKindName, obj: KubeObject): Members {
    const namespace = obj.metadata!.namespace!;
    if (kind === 'GameDeployment') {
      return { pods: this.pods.cache.byController(obj.metadata!.uid!), gameServers: new Map() };
    }
    const name = obj.metadata!.name!;
    const inSet = (o: KubeObject) => o.metadata?.namespace === namespace;
    const gameServers = new Map(this.gameServers.cache.byLabel(OWNER_GSS_LABEL, name).filter(inSet).map((g) => [g.metadata!.name!, g]));
    return { pods: this.pods.cache.byLabel(OWNER_GSS_LABEL, name).filter(inSet), gameServers };
  }
}
