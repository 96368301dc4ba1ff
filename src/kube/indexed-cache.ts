// The informer's local copy of one resource, with indexes so that reconcilers find an object's
// children (by controller uid), a namespace's objects or a label's objects without scanning the
// whole cache or asking the API server.
//
// Objects handed out are the cached objects themselves, shared by every reader (as client-go's
// cache): never mutate them; structuredClone() one before changing it for a write.

import { controllerRef, keyString, type KubeObject, type ObjectKey } from './objects.js';
import { matchesLabelSelector, type LabelSelector } from '../util/label-selector.js';

/** The index values an object is filed under (none: not indexed). */
export type IndexFunc = (obj: KubeObject) => string[];

export const NAMESPACE_INDEX = 'namespace';
export const CONTROLLER_INDEX = 'controller-uid';
export const OWNER_INDEX = 'owner-uid';
export const LABEL_INDEX = 'label';

export const builtinIndexers: Record<string, IndexFunc> = {
  [NAMESPACE_INDEX]: (o) => [o.metadata?.namespace ?? ''],
  [CONTROLLER_INDEX]: (o) => {
    const ref = controllerRef(o);
    return ref?.uid ? [ref.uid] : [];
  },
  [OWNER_INDEX]: (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid).filter(Boolean),
  [LABEL_INDEX]: (o) => Object.entries(o.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
};

export interface ReplaceResult<T> {
  added: T[];
  updated: [old: T, now: T][];
  deleted: T[];
}

export class IndexedCache<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  /**
   * `namespaceOnly`: only the namespace index of the built-in ones, for readers that look objects
   * up by key (the node agents): filing every pod update under its owners and labels is a
   * visible share of their CPU.
   */
  constructor(extraIndexers: Record<string, IndexFunc> = {}, opts: { namespaceOnly?: boolean } = {}) {
    const builtins = opts.namespaceOnly ? { [NAMESPACE_INDEX]: builtinIndexers[NAMESPACE_INDEX]! } : builtinIndexers;
    for (const [name, fn] of Object.entries({ ...builtins, ...extraIndexers })) this.addIndexer(name, fn);
  }

  /** Adds an index (existing objects are filed under it at once). */
  addIndexer(name: string, fn: IndexFunc): void {
    if (this.indexers.has(name)) throw new Error(`cache index ${name} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) for (const v of fn(obj)) fileUnder(index, v, key);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: ObjectKey | string): T | undefined {
    return this.items.get(typeof key === 'string' ? key : keyString(key));
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Every object, or those of one namespace. */
  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.items.values()];
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no cache index named ${indexName} (have: ${[...this.indices.keys()].join(', ')})`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }

  /** Objects whose controller ownerReference points at this uid (a set's pods). */
  byController(ownerUid: string): T[] {
    return this.byIndex(CONTROLLER_INDEX, ownerUid);
  }

  /** Objects with any ownerReference to this uid. */
  byOwner(ownerUid: string): T[] {
    return this.byIndex(OWNER_INDEX, ownerUid);
  }

  byLabel(key: string, value: string): T[] {
    return this.byIndex(LABEL_INDEX, `${key}=${value}`);
  }

  /** Objects of a namespace matching a label selector (narrowed through the label index when it can). */
  select(namespace: string, selector: LabelSelector): T[] {
    const first = Object.entries(selector.matchLabels ?? {})[0];
    const candidates = first ? this.byLabel(first[0], first[1]) : this.list(namespace);
    return candidates.filter((o) => (o.metadata?.namespace ?? '') === namespace && matchesLabelSelector(selector, o.metadata?.labels));
  }

  /** Stores the object; returns the one it replaced. */
  upsert(obj: T): T | undefined {
    const key = keyString({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes the object with this key; returns it. */
  remove(key: ObjectKey | string): T | undefined {
    const k = typeof key === 'string' ? key : keyString(key);
    const old = this.items.get(k);
    if (!old) return undefined;
    this.unindex(k, old);
    this.items.delete(k);
    return old;
  }

  /**
   * Makes the cache hold exactly these objects (a re-list) and says what changed, so the
   * informer can emit just the differences.
   */
  replace(objs: T[]): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = keyString({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
      seen.add(key);
      const old = this.upsert(obj);
      if (!old) result.added.push(obj);
      else if (old.metadata?.uid !== obj.metadata?.uid) {
        // Deleted and created again while the informer was away: two objects, not one update.
        result.deleted.push(old);
        result.added.push(obj);
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) result.updated.push([old, obj]);
    }
    for (const key of [...this.items.keys()]) {
      if (!seen.has(key)) result.deleted.push(this.remove(key)!);
    }
    return result;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) fileUnder(index, v, key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}

function fileUnder(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}
