// An informer keeps an indexed local copy of one resource: list, then watch from the list's
// resourceVersion, forever, for the controller and the node agents alike. client-node's
// informer stops for good on any error but 410 and caches typed objects whose shape differs
// between list and watch; this loop owns every failure itself:
// - 410 Expired (ERROR event or HTTP status): re-list, and emit only the differences;
// - any other error or a dropped connection: watch again from the last resourceVersion after a
//   growing, jittered delay (a too-old resourceVersion then turns into 410 and a re-list);
// - a watch the server closes normally (timeoutSeconds): watch again at once;
// - a connection that goes silent: the watch is abandoned a little after its own timeout.

import { pino, type Logger } from 'pino';
import { Backoff, type BackoffOptions } from './backoff.js';
import { IndexedCache, type IndexFunc } from './indexed-cache.js';
import { keyString, type KubeObject } from './objects.js';
import type { KubeClient } from './client.js';
import { errorCode } from './errors.js';
import { InterruptibleSleep } from './interruptible-sleep.js';

export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /**
   * finalStateUnknown: the delete was inferred by a re-list (the watch missed it), so `obj` is
   * the last state the cache held rather than the object as it was deleted.
   */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerSpec {
  apiVersion: string;
  kind: string;
  /** one namespace; absent: all namespaces */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerOptions extends InformerSpec {
  /** list page size (client-go: 500) */
  pageSize?: number;
  /** re-deliver every cached object as an update this often (absent: never) */
  resyncPeriodMs?: number;
  /** delays between failed attempts (default 250 ms doubling to 30 s, ±20 %) */
  backoff?: BackoffOptions;
  /** each watch asks the server to end it after [t, 2t) seconds (client-go: 5 to 10 minutes) */
  watchTimeoutSeconds?: number;
  /**
   * A watch still open this long after its own timeout is abandoned: the connection is dead
   * without either end noticing (a half-open TCP connection). Default 30 s.
   */
  watchStallGraceMs?: number;
  indexers?: Record<string, IndexFunc>;
  /** the cache indexes by namespace only, not by owner or label (readers that look up by key) */
  namespaceIndexOnly?: boolean;
  logger?: Logger;
}

export interface InformerStats {
  /** completed lists (initial and re-lists) */
  lists: number;
  /** watch requests made */
  watches: number;
  /** watches answered with 410 Expired */
  expired: number;
  /** failed lists and watches */
  errors: number;
  /** ADDED/MODIFIED/DELETED events received from watches */
  events: number;
  lastError?: string;
}

/** A watch that lived this long or delivered something was healthy: the backoff starts over. */
const HEALTHY_WATCH_MS = 5_000;

interface WatchOutcome {
  expired: boolean;
  error?: unknown;
  received: number;
  durationMs: number;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly cache: IndexedCache<T>;
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0, errors: 0, events: 0 };
  readonly spec: InformerSpec;
  private readonly handlers: ResourceEventHandler<T>[] = [];
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly pageSize: number;
  private readonly watchTimeoutSeconds: number;
  private readonly watchStallGraceMs: number;
  private resourceVersion = '';
  private needList = true;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private running?: Promise<void>;
  private abortWatch?: () => void;
  private listAbort?: AbortController;
  private readonly sleeper = new InterruptibleSleep();
  private resyncTimer?: NodeJS.Timeout;
  private path?: string;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {
    this.spec = { apiVersion: opts.apiVersion, kind: opts.kind, namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    this.cache = new IndexedCache<T>(opts.indexers, { namespaceOnly: opts.namespaceIndexOnly });
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ informer: this.description });
    this.backoff = new Backoff(opts.backoff);
    this.pageSize = opts.pageSize ?? 500;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    this.watchStallGraceMs = opts.watchStallGraceMs ?? 30_000;
  }

  /** `Pod.v1 in default`, for log lines and errors. */
  get description(): string {
    const o = this.opts;
    const sel = [o.labelSelector, o.fieldSelector].filter(Boolean).join(' ');
    return `${o.kind}.${o.apiVersion}${o.namespace ? ` in ${o.namespace}` : ''}${sel ? ` (${sel})` : ''}`;
  }

  /**
   * Handlers run synchronously on the informer's loop: keep them to enqueueing keys. A handler
   * added after the initial list is given every cached object as an add, as client-go does.
   * Returns a function that removes it.
   */
  addEventHandler(handler: ResourceEventHandler<T>): () => void {
    this.handlers.push(handler);
    if (this.synced) for (const obj of this.cache.list()) this.call(handler, 'onAdd', () => handler.onAdd?.(obj));
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** `fn` on every add, update and delete, for handlers that only need to know which object changed. */
  onChange(fn: (obj: T) => void): () => void {
    return this.addEventHandler({ onAdd: fn, onUpdate: (_old, now) => fn(now), onDelete: fn });
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is current to. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** The plural resource (`pods`), once discovery has named it; until then the kind, lower case. */
  get resource(): string {
    return this.path ? this.path.slice(this.path.lastIndexOf('/') + 1) : this.opts.kind.toLowerCase();
  }

  /** Resolves once the initial list is in the cache; rejects after timeoutMs with the last error. */
  waitForSync(timeoutMs = 60_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        rej(new Error(`informer ${this.description}: not synced within ${timeoutMs} ms${this.stats.lastError ? ` (last error: ${this.stats.lastError})` : ''}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        res();
      };
      this.syncWaiters.push(done);
    });
  }

  /** Starts the list/watch loop in the background (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.running = this.run().catch((err) => {
      // Only a bug gets here: every API failure is retried inside run().
      this.log.error({ err }, 'informer loop failed');
    });
    if (this.opts.resyncPeriodMs && this.opts.resyncPeriodMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncPeriodMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.abortWatch?.();
    this.listAbort?.abort();
    this.sleeper.interrupt();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.needList) {
        try {
          await this.listAndReplace();
          this.needList = false;
        } catch (err) {
          if (this.stopped) break;
          this.recordError('list', err);
          await this.pause(this.backoff.next());
          continue;
        }
      }
      if (this.stopped) break;
      const outcome = await this.watchOnce();
      if (this.stopped) break;
      const healthy = outcome.received > 0 || outcome.durationMs >= HEALTHY_WATCH_MS;
      if (healthy) this.backoff.reset();
      if (outcome.expired) {
        this.stats.expired++;
        this.needList = true;
        this.log.info({ resourceVersion: this.resourceVersion }, 'watch expired (410), re-listing');
      } else if (outcome.error !== undefined) {
        this.recordError('watch', outcome.error);
      }
      // An expiry after a healthy watch re-lists at once; anything else that keeps failing
      // (including 410 straight after a list) waits, so a broken server is not hammered.
      if ((outcome.error !== undefined && !outcome.expired) || !healthy) await this.pause(this.backoff.next());
    }
  }

  private async listAndReplace(): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector, fieldSelector } = this.opts;
    const items: T[] = [];
    let listRv: string | undefined;
    let cont: string | undefined;
    const abort = (this.listAbort = new AbortController());
    await this.watchPath();
    do {
      const page = await this.client.listPage(apiVersion, kind, { namespace, labelSelector, fieldSelector, limit: this.pageSize, continue: cont, signal: abort.signal });
      // The first page's resourceVersion is the safe one to watch from: later pages may be newer,
      // and replaying a change twice is harmless where missing one is not.
      listRv ??= page.metadata.resourceVersion;
      for (const item of page.items) items.push(withoutManagedFields(item) as T);
      cont = page.metadata.continue || undefined;
    } while (cont && !this.stopped);
    if (this.stopped) return;
    if (!listRv) throw new Error(`list ${this.description}: the answer has no metadata.resourceVersion`);
    this.stats.lists++;
    const diff = this.cache.replace(items);
    this.resourceVersion = listRv;
    for (const obj of diff.deleted) this.emit('onDelete', (h) => h.onDelete?.(obj, true));
    for (const obj of diff.added) this.emit('onAdd', (h) => h.onAdd?.(obj));
    for (const [old, now] of diff.updated) this.emit('onUpdate', (h) => h.onUpdate?.(old, now));
    this.log.debug({ resourceVersion: listRv, items: items.length, added: diff.added.length, updated: diff.updated.length, deleted: diff.deleted.length }, 'listed');
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchPath(): Promise<string> {
    this.path ??= await this.client.collectionPath(this.opts.apiVersion, this.opts.kind, this.opts.namespace);
    return this.path;
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      const started = Date.now();
      const timeoutSeconds = this.watchTimeoutSeconds + Math.floor(Math.random() * this.watchTimeoutSeconds);
      let received = 0;
      let finished = false;
      let controller: AbortController | undefined;
      // The first outcome wins; later callbacks (such as the AbortError our own abort causes)
      // are ignored.
      const finish = (outcome: { expired?: boolean; error?: unknown }): void => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        this.abortWatch = undefined;
        controller?.abort();
        resolve({ expired: outcome.expired ?? false, error: outcome.error, received, durationMs: Date.now() - started });
      };
      const watchdog = setTimeout(
        () => finish({ error: new Error(`watch ${this.description}: not ended ${this.watchStallGraceMs} ms after its ${timeoutSeconds} s timeout, connection presumed dead`) }),
        timeoutSeconds * 1000 + this.watchStallGraceMs,
      );
      this.abortWatch = () => finish({});
      const onEvent = (phase: string, obj: KubeObject & { code?: number; message?: string; reason?: string }): void => {
        if (finished) return;
        switch (phase) {
          case 'ADDED':
          case 'MODIFIED':
            received++;
            this.stats.events++;
            this.apply(withoutManagedFields(obj) as T);
            break;
          case 'DELETED':
            received++;
            this.stats.events++;
            this.applyDelete(obj as T);
            break;
          case 'BOOKMARK':
            received++;
            if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
            break;
          case 'ERROR':
            finish(
              obj?.code === 410
                ? { expired: true }
                : { error: new Error(`watch ${this.description}: server sent ERROR ${obj?.code ?? ''} ${obj?.reason ?? ''}: ${obj?.message ?? JSON.stringify(obj)}`) },
            );
            break;
          default:
            this.log.warn({ phase }, 'ignoring watch event of unknown type');
        }
      };
      const onDone = (err: unknown): void => {
        if (err === null || err === undefined) finish({});
        else if (errorCode(err) === 410) finish({ expired: true });
        else finish({ error: err });
      };
      void (async () => {
        try {
          const path = await this.watchPath();
          if (finished) return;
          this.stats.watches++;
          const query = {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          };
          controller = await this.client.watch(path, query, onEvent, onDone);
          // stop() or an error may have come while the request was being made.
          if (finished) controller.abort();
        } catch (err) {
          finish({ error: err });
        }
      })();
    });
  }

  private apply(obj: T): void {
    const old = this.cache.upsert(obj);
    this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
    if (!old) this.emit('onAdd', (h) => h.onAdd?.(obj));
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('onUpdate', (h) => h.onUpdate?.(old, obj));
  }

  private applyDelete(obj: T): void {
    const old = this.cache.remove(keyString({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' }));
    this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
    if (old) this.emit('onDelete', (h) => h.onDelete?.(obj, false));
  }

  private resync(): void {
    if (!this.synced || this.stopped) return;
    for (const obj of this.cache.list()) this.emit('onUpdate', (h) => h.onUpdate?.(obj, obj));
  }

  private emit(what: string, fn: (h: ResourceEventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(h, what, () => fn(h));
  }

  // One failing handler must not stop the informer or starve the other handlers.
  private call(_h: ResourceEventHandler<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, `event handler ${what} threw`);
    }
  }

  private recordError(what: string, err: unknown): void {
    this.stats.errors++;
    const message = err instanceof Error ? err.message : String(err);
    this.stats.lastError = `${what}: ${message}`;
    this.log.warn({ err: message, resourceVersion: this.resourceVersion }, `${what} failed, retrying`);
  }

  private pause(ms: number): Promise<void> {
    return this.stopped ? Promise.resolve() : this.sleeper.sleep(ms);
  }
}

/**
 * Nothing here reads server-side apply's field ownership, and on a real cluster it is often the
 * larger part of a pod's JSON: dropped before caching, as client-go's TransformStripManagedFields.
 */
function withoutManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}
