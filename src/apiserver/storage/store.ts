// The object store: the etcd of the embedded control plane. Every object lives in memory for
// fast reads and lists; writes are persisted to SQLite before they are acknowledged, in
// batches (group commit), so durability does not cost one fsync per request. The revision is
// one monotonic counter shared by all resources, as etcd's is, and becomes each object's
// metadata.resourceVersion.

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { KObject } from '../types.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  revision: number;
  /** `group/resource`, e.g. `/pods`, `game.kruise.io/gameserversets`. */
  groupResource: string;
  object: KObject;
  /** The object before this change (for MODIFIED and DELETED). */
  previous?: KObject;
}

type StoreListener = (event: StoreEvent) => void;

interface StoreOptions {
  /** SQLite file; absent means memory only. */
  file?: string;
  /** How many past events watches may resume from. */
  historySize?: number;
  /** How many bytes of objects (their JSON) the event history may hold; the oldest go first. */
  historyBytes?: number;
  /** How long an event stays resumable (kube-apiserver compacts etcd every 5 minutes). */
  historyMaxAgeMs?: number;
}

const DEFAULT_HISTORY_SIZE = 20_000;
const DEFAULT_HISTORY_BYTES = 64 * 1024 * 1024;
const DEFAULT_HISTORY_MAX_AGE_MS = 5 * 60_000;
/** How often an idle store drops events past their age, so that memory falls back after a burst. */
const HISTORY_SWEEP_MS = 30_000;

interface PendingWrite {
  groupResource: string;
  key: string;
  revision: number;
  json: string | null; // null deletes
}

export class ExpiredError extends Error {}

/** Stands in for an evicted event until the history array is compacted. */
const EVICTED: StoreEvent = { type: 'DELETED', revision: 0, groupResource: '', object: { apiVersion: '', kind: '', metadata: {} } as KObject };

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Store {
  private revisionCounter = 0;
  private readonly objects = new Map<string, Map<string, KObject>>();
  /** Sorted keys per resource, dropped whenever a key is added or removed. */
  private readonly keyOrder = new Map<string, string[]>();
  /** Each stored object's JSON text, made once when it is written and reused by every reader. */
  private readonly json = new WeakMap<KObject, string>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0; // index of the oldest kept event in `history`
  /** When each event of `history` was published (same indices). */
  private readonly historyTimes: number[] = [];
  private readonly historyMaxAgeMs: number;
  private readonly historySweep: NodeJS.Timeout;
  /** JSON bytes of the objects of the kept events. */
  private historyUsed = 0;
  private readonly historyBytes: number;
  /** Watches may resume from any revision >= this one. */
  private oldestResumableRevision = 0;
  /** The revision of the last event handed to listeners. */
  private published = 0;
  private readonly historySize: number;
  private readonly listeners = new Set<StoreListener>();
  private readonly db?: Database.Database;
  private pending: PendingWrite[] = [];
  private pendingEvents: StoreEvent[] = [];
  private flushWaiters: (() => void)[] = [];
  private flushScheduled = false;
  private closed = false;

  private readonly upsertStmt?: Database.Statement;
  private readonly deleteStmt?: Database.Statement;
  private readonly revisionStmt?: Database.Statement;

  constructor(options: StoreOptions = {}) {
    this.historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
    this.historyBytes = options.historyBytes ?? DEFAULT_HISTORY_BYTES;
    this.historyMaxAgeMs = options.historyMaxAgeMs ?? DEFAULT_HISTORY_MAX_AGE_MS;
    this.historySweep = setInterval(() => this.trimHistory(), HISTORY_SWEEP_MS);
    this.historySweep.unref();
    if (options.file) {
      ownerOnly(options.file);
      this.db = new Database(options.file);
      // WAL with synchronous=NORMAL survives a killed process without losing a committed
      // transaction; only an OS crash could drop the last few. Group commit keeps it cheap.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS objects (
          group_resource TEXT NOT NULL,
          key TEXT NOT NULL,
          revision INTEGER NOT NULL,
          json TEXT NOT NULL,
          PRIMARY KEY (group_resource, key)
        );
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      `);
      this.upsertStmt = this.db.prepare(
        'INSERT INTO objects (group_resource, key, revision, json) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (group_resource, key) DO UPDATE SET revision = excluded.revision, json = excluded.json',
      );
      this.deleteStmt = this.db.prepare('DELETE FROM objects WHERE group_resource = ? AND key = ?');
      this.revisionStmt = this.db.prepare(
        "INSERT INTO meta (name, value) VALUES ('revision', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      );
      this.load();
    }
    this.oldestResumableRevision = this.revisionCounter;
    this.published = this.revisionCounter;
  }

  private load(): void {
    const db = this.db!;
    const row = db.prepare("SELECT value FROM meta WHERE name = 'revision'").get() as { value: number } | undefined;
    this.revisionCounter = row?.value ?? 0;
    const rows = db.prepare('SELECT group_resource, key, json FROM objects').iterate() as Iterable<{
      group_resource: string;
      key: string;
      json: string;
    }>;
    for (const r of rows) {
      const obj = JSON.parse(r.json) as KObject;
      this.json.set(obj, r.json);
      this.bucket(r.group_resource).set(r.key, obj);
    }
  }

  serialized(obj: KObject): string | undefined {
    return this.json.get(obj);
  }

  get revision(): number {
    return this.revisionCounter;
  }

  private bucket(groupResource: string): Map<string, KObject> {
    let b = this.objects.get(groupResource);
    if (!b) {
      b = new Map();
      this.objects.set(groupResource, b);
    }
    return b;
  }

  get(groupResource: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.get(groupResource)?.get(objectKey(namespace, name));
  }

  /**
   * Objects of one resource, optionally one namespace, sorted by key (namespace/name), from
   * the first key after `after` when given (list pagination).
   */
  list(groupResource: string, namespace?: string, after?: string): KObject[] {
    const b = this.objects.get(groupResource);
    if (!b) return [];
    const keys = this.sortedKeys(groupResource, b);
    const prefix = namespace ? `${namespace}/` : '';
    // Keys sharing a prefix are contiguous once sorted; no key equals the bare prefix `ns/`.
    let i = Math.max(firstIndexAfter(keys, prefix), after === undefined ? 0 : firstIndexAfter(keys, after));
    const out: KObject[] = [];
    for (; i < keys.length; i++) {
      if (prefix && !keys[i].startsWith(prefix)) break;
      out.push(b.get(keys[i])!);
    }
    return out;
  }

  /** Sorted once per change of the key set, not on every list. */
  private sortedKeys(groupResource: string, bucket: Map<string, KObject>): string[] {
    let keys = this.keyOrder.get(groupResource);
    if (!keys) {
      keys = [...bucket.keys()].sort();
      this.keyOrder.set(groupResource, keys);
    }
    return keys;
  }

  count(groupResource: string): number {
    return this.objects.get(groupResource)?.size ?? 0;
  }

  groupResources(): string[] {
    return [...this.objects.keys()];
  }

  /**
   * Stores a new version of an object (create or update). The caller has checked
   * preconditions; the store assigns the revision. Resolves once the write is durable.
   */
  put(groupResource: string, object: KObject): Promise<KObject> {
    const key = objectKey(object.metadata.namespace, object.metadata.name!);
    const bucket = this.bucket(groupResource);
    const previous = bucket.get(key);
    const revision = this.revisionCounter + 1;
    const stored: KObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
    // Serialised before anything changes: an object that cannot be written leaves memory and
    // disk as they were, instead of a name that is taken yet unreadable.
    const json = serialize(stored);
    this.revisionCounter = revision;
    if (!previous) this.keyOrder.delete(groupResource);
    bucket.set(key, stored);
    this.json.set(stored, json);
    this.enqueue(
      { groupResource, key, revision, json },
      { type: previous ? 'MODIFIED' : 'ADDED', revision, groupResource, object: stored, previous },
    );
    return this.durable().then(() => stored);
  }

  /** Removes an object; the DELETED event carries it with a new resourceVersion, as etcd does. */
  remove(groupResource: string, object: KObject): Promise<KObject> {
    const key = objectKey(object.metadata.namespace, object.metadata.name!);
    const bucket = this.bucket(groupResource);
    const previous = bucket.get(key);
    if (!previous) return Promise.resolve(object);
    const revision = this.revisionCounter + 1;
    const gone: KObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(revision) } };
    // Watches send the DELETED object as this text; made here so they never serialise it.
    const json = serialize(gone);
    this.revisionCounter = revision;
    bucket.delete(key);
    this.keyOrder.delete(groupResource);
    this.json.set(gone, json);
    this.enqueue({ groupResource, key, revision, json: null }, { type: 'DELETED', revision, groupResource, object: gone, previous });
    return this.durable().then(() => gone);
  }

  private enqueue(write: PendingWrite, event: StoreEvent): void {
    if (this.closed) throw new Error('store is closed');
    this.pending.push(write);
    this.pendingEvents.push(event);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private durable(): Promise<void> {
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  /** Commits every write queued since the last flush in one transaction, then publishes events. */
  flush(): void {
    this.flushScheduled = false;
    const writes = this.pending;
    const events = this.pendingEvents;
    const waiters = this.flushWaiters;
    this.pending = [];
    this.pendingEvents = [];
    this.flushWaiters = [];
    if (writes.length && this.db) {
      const last = writes[writes.length - 1].revision;
      this.db.transaction(() => {
        for (const w of writes) {
          if (w.json === null) this.deleteStmt!.run(w.groupResource, w.key);
          else this.upsertStmt!.run(w.groupResource, w.key, w.revision, w.json);
        }
        this.revisionStmt!.run(last);
      })();
    }
    for (const e of events) this.publish(e);
    for (const w of waiters) w();
  }

  private publish(event: StoreEvent): void {
    this.history.push(event);
    this.historyTimes.push(Date.now());
    this.historyUsed += this.eventBytes(event);
    this.trimHistory();
    this.published = event.revision;
    for (const l of this.listeners) {
      // One failing listener must neither stop the others nor the flush that called it.
      try {
        l(event);
      } catch {
        // listeners own their errors (a watch closes itself); nothing to undo here
      }
    }
  }

  /**
   * Oldest first, by count, by bytes and by age (as etcd compaction makes old revisions
   * unreachable, so a steady write rate holds a steady history); the newest event always stays.
   */
  private trimHistory(): void {
    const tooOld = Date.now() - this.historyMaxAgeMs;
    while (
      this.history.length - this.historyStart > 1 &&
      (this.history.length - this.historyStart > this.historySize || this.historyUsed > this.historyBytes || this.historyTimes[this.historyStart]! < tooOld)
    ) {
      const oldest = this.history[this.historyStart];
      this.historyUsed -= this.eventBytes(oldest);
      this.oldestResumableRevision = oldest.revision;
      // The slot is released now: until the array is compacted it would keep the object alive.
      this.history[this.historyStart] = EVICTED;
      this.historyStart++;
    }
    // Compact the array now and then rather than shifting on every event.
    if (this.historyStart > 1024 && this.historyStart * 2 > this.history.length) {
      this.history.splice(0, this.historyStart);
      this.historyTimes.splice(0, this.historyStart);
      this.historyStart = 0;
    }
  }

  private eventBytes(event: StoreEvent): number {
    return this.json.get(event.object)?.length ?? 0;
  }

  /** Events and JSON bytes the history holds now (for tests and metrics). */
  historyUsage(): { events: number; bytes: number; oldestResumableRevision: number } {
    return { events: this.history.length - this.historyStart, bytes: this.historyUsed, oldestResumableRevision: this.oldestResumableRevision };
  }

  /**
   * Resolves true once events up to `revision` are published (watchers can start there), or
   * false after `timeoutMs`: kube-apiserver's watch cache waits the same way for a future
   * resourceVersion before it answers "Too large resource version".
   */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.published >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve(ok);
      };
      const unsubscribe = this.subscribe((e) => {
        if (e.revision >= revision) done(true);
      });
      const timer = setTimeout(() => done(false), timeoutMs);
    });
  }

  /**
   * Events of one resource after `revision`, for a watch resuming there. Throws
   * ExpiredError when history no longer reaches back that far (the client must re-list).
   */
  eventsSince(groupResource: string, revision: number): StoreEvent[] {
    if (revision < this.oldestResumableRevision) {
      throw new ExpiredError(`too old resource version: ${revision} (${this.oldestResumableRevision})`);
    }
    const out: StoreEvent[] = [];
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const e = this.history[i];
      if (e.revision <= revision) break;
      if (e.groupResource === groupResource) out.push(e);
    }
    return out.reverse();
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    if (this.pending.length) this.flush();
    this.closed = true;
    clearInterval(this.historySweep);
    this.db?.close();
  }
}

/** Thrown when an object cannot be written as JSON (e.g. nested beyond the engine's stack). */
export class SerializeError extends Error {}

function serialize(obj: KObject): string {
  try {
    return JSON.stringify(obj);
  } catch (err) {
    throw new SerializeError(`object cannot be stored: ${(err as Error).message}`);
  }
}

/** Index of the first key greater than `key` in a sorted array (binary search). */
function firstIndexAfter(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The store holds every Secret and ServiceAccount token: only its owner may read it. SQLite gives
 * the -wal and -shm files it creates the main file's mode, so the main file is made 0600 before
 * it is opened; files left by an earlier run with wider modes are narrowed too.
 */
function ownerOnly(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}
