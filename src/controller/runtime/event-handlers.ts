// Informer events become queue keys here, and only keys: the reconciler re-reads everything it
// needs from the caches, so which event (or how many) caused a reconcile never matters.

import type { ResourceEventHandler } from '../../kube/informer.js';
import { deepEqual } from '../../util/equal.js';
import { controllerRef, groupOf, keyString, type KubeObject, type ObjectKey } from '../../kube/objects.js';

export interface KeySink {
  add(key: string): void;
  /** add, except while the key waits out a failed reconcile's backoff (WorkQueue has it) */
  addUnlessRetrying?(key: string): void;
}

/**
 * Queues the object's own key (the set itself changed). A change of its status alone (same
 * generation, labels, annotations, finalizers, deletion) does not cut a failure's backoff short:
 * a failing reconcile that writes a new status message each time would otherwise retry itself
 * at once, forever.
 */
export function enqueueObject<T extends KubeObject>(queue: KeySink): ResourceEventHandler<T> {
  const keyOf = (o: T) => keyString({ namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
  const add = (o: T) => queue.add(keyOf(o));
  return {
    onAdd: add,
    onUpdate: (old, now) => (queue.addUnlessRetrying && statusOnlyChange(old, now) ? queue.addUnlessRetrying(keyOf(now)) : add(now)),
    onDelete: add,
  };
}

/** Only the status moved; objects without a generation never count as that. */
function statusOnlyChange(old: KubeObject, now: KubeObject): boolean {
  const a = old.metadata ?? {};
  const b = now.metadata ?? {};
  if (a.generation === undefined || a.generation !== b.generation) return false;
  return (['labels', 'annotations', 'finalizers', 'deletionTimestamp', 'ownerReferences'] as const).every((k) => deepEqual(a[k], b[k]));
}

export interface OwnerKind {
  /** the owner's apiVersion; only its group is compared, so every version of the kind matches */
  apiVersion: string;
  kind: string;
}

/** The key of the owner an object's controller ownerReference names, if it is of this kind. */
export function controllerKey(obj: KubeObject, owner: OwnerKind): string | undefined {
  const ref = controllerRef(obj);
  if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== groupOf(owner.apiVersion)) return undefined;
  // Owners live in their child's namespace (cross-namespace ownership is not allowed).
  return keyString({ namespace: obj.metadata?.namespace ?? '', name: ref.name });
}

/**
 * Queues the controlling owner of the object (a pod's GameServerSet). When an update moves the
 * object to another owner, or releases it, both the old and the new owner are queued.
 */
export function enqueueController<T extends KubeObject>(queue: KeySink, owner: OwnerKind): ResourceEventHandler<T> {
  const add = (o: T) => {
    const key = controllerKey(o, owner);
    if (key) queue.add(key);
  };
  return {
    onAdd: add,
    onUpdate: (old, now) => {
      const a = controllerKey(old, owner);
      const b = controllerKey(now, owner);
      if (a && a !== b) queue.add(a);
      if (b) queue.add(b);
    },
    onDelete: add,
  };
}

/** Queues whatever keys `map` returns for the object (and for its previous state on updates). */
export function enqueueMapped<T extends KubeObject>(queue: KeySink, map: (obj: T) => ObjectKey[]): ResourceEventHandler<T> {
  const add = (o: T) => {
    for (const k of map(o)) queue.add(keyString(k));
  };
  return {
    onAdd: add,
    onUpdate: (old, now) => {
      const keys = new Set([...map(old), ...map(now)].map(keyString));
      for (const k of keys) queue.add(k);
    },
    onDelete: add,
  };
}
