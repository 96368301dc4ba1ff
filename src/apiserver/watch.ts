// Watch: a chunked HTTP response carrying one JSON event per line, resumable from any
// resourceVersion the store's history still reaches, as etcd-backed watches are.

import type { ServerResponse } from 'node:http';
import { ExpiredError, type Store, type StoreEvent } from './storage/store.js';
import { storageKey } from './registry/registry.js';
import type { KObject, ResourceDef } from './types.js';
import { apiVersionOf } from './types.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace?: string;
  matches: (o: KObject) => boolean;
  /** '' or '0': start with the current objects as ADDED events. */
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  /** Turns an object into what goes on the wire (a Table row, for kubectl get -w). */
  render?: (o: KObject, first: boolean) => unknown;
  currentObjects: () => KObject[];
  /** Stored form to the requested API's form (apiVersion, conversions). */
  present: (o: KObject) => KObject;
}

const BOOKMARK_INTERVAL_MS = 15_000;
const DEFAULT_TIMEOUT_S = 1800;

/** Serialised events are shared by every watcher that sends the same line. */
const lineCache = new WeakMap<StoreEvent, Map<string, string>>();

export class Watches {
  private readonly active = new Set<() => void>();

  constructor(private readonly store: Store) {}

  serve(res: ServerResponse, w: WatchRequest): void {
    const gr = storageKey(w.def);
    const apiVersion = apiVersionOf(w.def);
    let startRevision: number;
    let backlog: StoreEvent[] = [];
    const initial: KObject[] = [];
    const fromCurrent = w.resourceVersion === '' || w.resourceVersion === '0' || w.sendInitialEvents === true;
    if (fromCurrent) {
      startRevision = this.store.revision;
      if (w.sendInitialEvents !== false) initial.push(...w.currentObjects());
    } else {
      startRevision = Number(w.resourceVersion);
      try {
        backlog = this.store.eventsSince(gr, startRevision);
      } catch (err) {
        if (!(err instanceof ExpiredError)) throw err;
        this.sendExpired(res, err.message);
        return;
      }
    }

    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    let first = true;
    let lastRevision = startRevision;
    const render = (o: KObject): unknown => {
      const presented = w.present(o);
      if (!w.render) return presented;
      const r = w.render(presented, first);
      first = false;
      return r;
    };
    const write = (type: string, o: KObject, event?: StoreEvent): void => {
      if (event && !w.render && o === event.object && o.apiVersion === apiVersion) {
        let byType = lineCache.get(event);
        if (!byType) lineCache.set(event, (byType = new Map()));
        let line = byType.get(type);
        if (line === undefined) byType.set(type, (line = `{"type":"${type}","object":${this.store.serialized(o) ?? JSON.stringify(o)}}\n`));
        res.write(line);
        return;
      }
      res.write(`${JSON.stringify({ type, object: render(o) })}\n`);
    };
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
      if (annotations) metadata.annotations = annotations;
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: w.def.kind, apiVersion, metadata } })}\n`);
    };
    const deliver = (e: StoreEvent): void => {
      if (e.groupResource !== gr || e.revision <= lastRevision) return;
      lastRevision = e.revision;
      if (w.namespace && e.object.metadata.namespace !== w.namespace) return;
      const now = e.type !== 'DELETED' && w.matches(e.object);
      const before = e.type === 'DELETED' ? w.matches(e.object) : e.previous !== undefined && w.matches(e.previous);
      if (e.type === 'DELETED') {
        if (before) write('DELETED', e.object, e);
      } else if (now && before) write('MODIFIED', e.object, e);
      else if (now) write('ADDED', e.object, e);
      else if (before) write('DELETED', e.object);
    };

    for (const o of initial) write('ADDED', o);
    if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    for (const e of backlog) deliver(e);

    const unsubscribe = this.store.subscribe(deliver);
    const bookmarks = w.allowBookmarks ? setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS) : undefined;
    const timeout = setTimeout(() => stop(), (w.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000);
    const stop = (): void => {
      unsubscribe();
      if (bookmarks) clearInterval(bookmarks);
      clearTimeout(timeout);
      this.active.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.active.add(stop);
    res.on('close', stop);
  }

  /** An expired resourceVersion ends the watch with a 410 ERROR event; clients re-list. */
  private sendExpired(res: ServerResponse, message: string): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
    res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  }

  count(): number {
    return this.active.size;
  }

  closeAll(): void {
    for (const stop of [...this.active]) stop();
  }
}
