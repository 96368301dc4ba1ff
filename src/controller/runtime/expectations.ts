// Expectations: what a reconcile wrote that the cache has not shown yet. A set's reconcile that
// created pod arena-3 must not run again on a cache without arena-3 and create it a second time
// (or, scaling down, delete a second pod). So the reconciler records each write here before
// sending it, and skips acting on the set while satisfied(set) is false. As in Kruise and
// controller-runtime, an expectation that the cache never confirms expires after a timeout so a
// lost event cannot wedge a set forever.
//
// Expectations are checked against the cache itself (not counted from events), which makes the
// order of "write answered" and "watch event arrived" irrelevant: a write whose event came first
// is satisfied the moment it is recorded.

import { realClock, type Clock } from '../../util/clock.js';
import { keyString, type KubeObject, type ObjectKey } from '../../kube/objects.js';

export type ExpectationKind = 'create' | 'delete' | 'update';

interface Expectation {
  kind: ExpectationKind;
  /** create: the uid that was there before (a terminating predecessor), which does not count */
  previousUid?: string;
  /** delete/update: the object written */
  uid?: string;
  /** update: the resourceVersion the write returned */
  resourceVersion?: string;
  at: number;
}

export interface PendingExpectation {
  key: string;
  kind: ExpectationKind;
  ageMs: number;
}

export interface ExpectationsOptions {
  /** the cache of the child kind, e.g. the pod informer's cache */
  cache: { get(key: string): KubeObject | undefined };
  /** default 5 minutes (Kubernetes' ExpectationsTimeout) */
  timeoutMs?: number;
  clock?: Clock;
  /** told about an expectation given up on (for a log line: the cache missed a write) */
  onTimeout?: (owner: string, pending: PendingExpectation) => void;
}

export class Expectations {
  /** owner key → child key → what is expected of it */
  private readonly byOwner = new Map<string, Map<string, Expectation[]>>();
  private readonly cache: ExpectationsOptions['cache'];
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly onTimeout?: ExpectationsOptions['onTimeout'];

  constructor(opts: ExpectationsOptions) {
    this.cache = opts.cache;
    this.timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    this.clock = opts.clock ?? realClock;
    this.onTimeout = opts.onTimeout;
  }

  /** Before creating `child` for `owner`. */
  expectCreate(owner: ObjectKey | string, child: ObjectKey | string): void {
    const key = k(child);
    this.add(owner, key, { kind: 'create', previousUid: this.cache.get(key)?.metadata?.uid, at: this.clock.now() });
  }

  /** Before deleting `child` (the object as the reconcile saw it). */
  expectDelete(owner: ObjectKey | string, child: KubeObject): void {
    this.add(owner, objKey(child), { kind: 'delete', uid: child.metadata?.uid, at: this.clock.now() });
  }

  /** After an update or patch of `written` (the object the API server returned). */
  expectUpdate(owner: ObjectKey | string, written: KubeObject): void {
    this.add(owner, objKey(written), { kind: 'update', uid: written.metadata?.uid, resourceVersion: written.metadata?.resourceVersion, at: this.clock.now() });
  }

  /** The write failed: nothing will show up, stop waiting for it. */
  cancel(owner: ObjectKey | string, child: ObjectKey | string, kind?: ExpectationKind): void {
    const children = this.byOwner.get(k(owner));
    const list = children?.get(k(child));
    if (!children || !list) return;
    const rest = kind ? list.filter((e) => e.kind !== kind) : [];
    if (rest.length) children.set(k(child), rest);
    else children.delete(k(child));
    if (children.size === 0) this.byOwner.delete(k(owner));
  }

  /** True when the cache reflects every write recorded for the owner (or they timed out). */
  satisfied(owner: ObjectKey | string): boolean {
    return this.pending(owner).length === 0;
  }

  /** What is still awaited, after dropping what the cache now shows and what timed out. */
  pending(owner: ObjectKey | string): PendingExpectation[] {
    const ownerKey = k(owner);
    const children = this.byOwner.get(ownerKey);
    if (!children) return [];
    const now = this.clock.now();
    const out: PendingExpectation[] = [];
    for (const [childKey, list] of children) {
      const rest = list.filter((e) => {
        if (this.observed(childKey, e)) return false;
        if (now - e.at >= this.timeoutMs) {
          this.onTimeout?.(ownerKey, { key: childKey, kind: e.kind, ageMs: now - e.at });
          return false;
        }
        return true;
      });
      if (rest.length === 0) children.delete(childKey);
      else {
        children.set(childKey, rest);
        for (const e of rest) out.push({ key: childKey, kind: e.kind, ageMs: now - e.at });
      }
    }
    if (children.size === 0) this.byOwner.delete(ownerKey);
    return out;
  }

  /** The owner is gone: forget everything about it. */
  forget(owner: ObjectKey | string): void {
    this.byOwner.delete(k(owner));
  }

  private add(owner: ObjectKey | string, childKey: string, e: Expectation): void {
    const ownerKey = k(owner);
    let children = this.byOwner.get(ownerKey);
    if (!children) this.byOwner.set(ownerKey, (children = new Map()));
    const list = children.get(childKey);
    if (list) list.push(e);
    else children.set(childKey, [e]);
  }

  private observed(childKey: string, e: Expectation): boolean {
    const cached = this.cache.get(childKey);
    switch (e.kind) {
      case 'create':
        return cached !== undefined && cached.metadata?.uid !== e.previousUid;
      case 'delete':
        // A pod with a deletionTimestamp is on its way out: the API server took the delete.
        return cached === undefined || cached.metadata?.uid !== e.uid || Boolean(cached.metadata?.deletionTimestamp);
      case 'update':
        return cached === undefined || cached.metadata?.uid !== e.uid || resourceVersionAtLeast(cached.metadata?.resourceVersion, e.resourceVersion);
    }
  }
}

/**
 * resourceVersions are opaque to clients, but every API server in practice (etcd, and ours) uses
 * increasing integers; Kruise compares them the same way. Anything else only matches exactly.
 */
export function resourceVersionAtLeast(seen: string | undefined, wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  if (seen === undefined) return false;
  if (seen === wanted) return true;
  if (/^\d+$/.test(seen) && /^\d+$/.test(wanted)) return BigInt(seen) >= BigInt(wanted);
  return false;
}

function k(key: ObjectKey | string): string {
  return typeof key === 'string' ? key : keyString(key);
}

function objKey(o: KubeObject): string {
  return keyString({ namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
}
