// Watch: a chunked HTTP response carrying one JSON event per line, resumable from any
// resourceVersion the store's history still reaches, as etcd-backed watches are.

import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ExpiredError, type Store, type StoreEvent } from './storage/store.js';
import { tooLargeResourceVersion, type Status } from './errors.js';
import { storageKey } from './registry/registry.js';
import type { KObject, ResourceDef } from './types.js';
import { apiVersionOf } from './types.js';

interface WatchRequest {
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
const DEFAULT_SEND_BUFFER_BYTES = 16 * 1024 * 1024;
/** How long a watcher may stay over its send buffer before it is closed (kube's dispatch budget is shorter; a socket drains in bursts). */
const SEND_BUFFER_GRACE_MS = 1_000;
/** kube-apiserver's watch cache waits this long for a future resourceVersion (blockTimeout). */
export const FUTURE_RV_WAIT_MS = 3_000;

interface WatchOptions {
  /** Bytes a watcher's connection may have queued (unread by the client) before the watch is closed. */
  sendBufferBytes?: number;
  logger?: Logger;
}

export class Watches {
  private readonly active = new Set<() => void>();
  private readonly sendBufferBytes: number;
  /** Watches closed because their client stopped reading, or because an event could not be sent. */
  closedUnresponsive = 0;
  closedOnError = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: WatchOptions = {},
  ) {
    this.sendBufferBytes = opts.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES;
  }

  /** A watch from a resourceVersion the store has not reached waits for it, then starts or answers 504 as an ERROR event. */
  async serve(res: ServerResponse, w: WatchRequest): Promise<void> {
    const requested = Number(w.resourceVersion);
    if (w.resourceVersion !== '' && Number.isSafeInteger(requested) && requested > this.store.revision && w.sendInitialEvents !== true) {
      const current = this.store.revision;
      if (!(await this.store.waitForRevision(requested, FUTURE_RV_WAIT_MS))) {
        return this.sendError(res, tooLargeResourceVersion(requested, current).toStatus());
      }
      if (res.destroyed) return;
    }
    this.start(res, w);
  }

  private start(res: ServerResponse, w: WatchRequest): void {
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
        this.sendError(res, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: 'Expired', code: 410 });
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
    let live = false;
    let overSince: NodeJS.Timeout | undefined;
    let unsubscribe = (): void => {};
    let bookmarks: NodeJS.Timeout | undefined;
    let timeout: NodeJS.Timeout | undefined;
    const stop = (): void => {
      unsubscribe();
      clearInterval(bookmarks);
      clearTimeout(timeout);
      clearTimeout(overSince);
      this.active.delete(stop);
      if (!res.writableEnded) res.end();
    };
    // What is queued cannot be flushed to a client that does not read: drop the connection.
    const abort = (): void => {
      stop();
      res.destroy();
    };
    const send = (...parts: string[]): void => {
      if (res.destroyed) return;
      res.cork();
      for (const p of parts) res.write(p);
      res.uncork();
      if (live && res.writableLength > this.sendBufferBytes && !overSince) overSince = setTimeout(checkDrained, SEND_BUFFER_GRACE_MS);
    };
    // kube-apiserver closes a watcher whose buffer stays full ("Forcing watcher close due to
    // unresponsiveness"): the client re-watches or re-lists, and the server holds no more.
    const checkDrained = (): void => {
      overSince = undefined;
      if (res.writableLength <= this.sendBufferBytes) return;
      this.closedUnresponsive++;
      this.opts.logger?.warn({ resource: gr, queuedBytes: res.writableLength, limit: this.sendBufferBytes }, 'closing unresponsive watch: its client stopped reading');
      abort();
    };
    const write = (type: string, o: KObject): void => {
      const stored = !w.render && o.apiVersion === apiVersion ? this.store.serialized(o) : undefined;
      // The store's text of the object is sent as is: no copy per event or per watcher.
      if (stored !== undefined) return send(`{"type":"${type}","object":`, stored, '}\n');
      send(`${JSON.stringify({ type, object: render(o) })}\n`);
    };
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
      if (annotations) metadata.annotations = annotations;
      send(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: w.def.kind, apiVersion, metadata } })}\n`);
    };
    const dispatch = (e: StoreEvent): void => {
      if (e.groupResource !== gr || e.revision <= lastRevision) return;
      lastRevision = e.revision;
      if (w.namespace && e.object.metadata.namespace !== w.namespace) return;
      const now = e.type !== 'DELETED' && w.matches(e.object);
      const before = e.type === 'DELETED' ? w.matches(e.object) : e.previous !== undefined && w.matches(e.previous);
      if (e.type === 'DELETED') {
        if (before) write('DELETED', e.object);
      } else if (now && before) write('MODIFIED', e.object);
      else if (now) write('ADDED', e.object);
      else if (before) write('DELETED', e.object);
    };
    // One event that cannot be sent ends this watch, never the process or other watches.
    const deliver = (e: StoreEvent): void => {
      try {
        dispatch(e);
      } catch (err) {
        this.closedOnError++;
        this.opts.logger?.warn({ err, resource: gr, revision: e.revision }, 'closing watch: an event could not be sent');
        abort();
      }
    };

    for (const o of initial) {
      try {
        write('ADDED', o);
      } catch (err) {
        this.closedOnError++;
        this.opts.logger?.warn({ err, resource: gr }, 'closing watch: an object could not be sent');
        return abort();
      }
    }
    if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    for (const e of backlog) deliver(e);
    if (res.destroyed) return;
    live = true;

    unsubscribe = this.store.subscribe(deliver);
    if (w.allowBookmarks) bookmarks = setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS);
    timeout = setTimeout(() => stop(), (w.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000);
    this.active.add(stop);
    res.on('close', stop);
  }

  /** Errors after the watch is accepted are ERROR events, as kube-apiserver sends them (410 Expired, 504 Too large resource version). */
  private sendError(res: ServerResponse, status: Status): void {
    if (res.destroyed) return;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  }

  count(): number {
    return this.active.size;
  }

  closeAll(): void {
    for (const stop of [...this.active]) stop();
  }
}
