// Garbage collection by ownerReferences and namespace cleanup: the parts of
// kube-controller-manager that API semantics depend on (cascading delete, Foreground and
// Orphan propagation, deleting a namespace's content). They run inside the control plane and
// write through ObjectService, so their writes follow the same rules as any client's.

import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { ObjectService } from '../objects.js';
import { storageKey } from '../registry/registry.js';
import type { StoreEvent } from '../storage/store.js';
import type { KObject, ResourceDef } from '../types.js';

interface Location {
  groupResource: string;
  namespace?: string;
  name: string;
}

type Json = Record<string, any>;

export class GarbageCollector {
  private readonly byUid = new Map<string, Location>();
  private readonly dependents = new Map<string, Set<string>>(); // owner uid -> dependent uids
  private readonly queue = new Set<string>(); // uids to look at
  private draining = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly objects: ObjectService,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const gr of this.objects.store.groupResources()) {
      for (const obj of this.objects.store.list(gr)) this.index(gr, obj);
    }
    this.unsubscribe = this.objects.store.subscribe((e) => this.observe(e));
    // Objects left mid-deletion by a previous run are finished now.
    for (const uid of this.byUid.keys()) this.enqueue(uid);
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private observe(e: StoreEvent): void {
    const uid = e.object.metadata.uid;
    if (!uid) return;
    if (e.type === 'DELETED') {
      this.unindex(e.object);
      for (const dep of this.dependents.get(uid) ?? []) this.enqueue(dep);
      for (const ref of e.object.metadata.ownerReferences ?? []) this.enqueue(ref.uid);
      if (e.object.metadata.namespace) this.enqueueNamespace(e.object.metadata.namespace);
      return;
    }
    if (e.previous) this.unindex(e.previous);
    this.index(e.groupResource, e.object);
    if (e.type === 'ADDED' && e.object.metadata.ownerReferences?.length) this.enqueue(uid);
    if (e.object.metadata.deletionTimestamp) this.enqueue(uid);
  }

  private index(groupResource: string, obj: KObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.byUid.set(uid, { groupResource, namespace: obj.metadata.namespace, name: obj.metadata.name! });
    for (const ref of obj.metadata.ownerReferences ?? []) {
      if (!this.dependents.has(ref.uid)) this.dependents.set(ref.uid, new Set());
      this.dependents.get(ref.uid)!.add(uid);
    }
  }

  private unindex(obj: KObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(uid);
      if (set && set.size === 0) this.dependents.delete(ref.uid);
    }
  }

  private enqueueNamespace(namespace: string): void {
    const ns = this.objects.store.get('/namespaces', undefined, namespace);
    if (ns?.metadata.deletionTimestamp && ns.metadata.uid) this.enqueue(ns.metadata.uid);
  }

  private enqueue(uid: string): void {
    this.queue.add(uid);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.size) {
        const [uid] = this.queue;
        this.queue.delete(uid);
        try {
          await this.process(uid);
        } catch (err) {
          if (err instanceof ApiError && (err.code === 404 || err.code === 409)) {
            this.enqueue(uid);
            await new Promise((r) => setTimeout(r, 50));
          } else {
            this.logger.warn({ err, uid }, 'garbage collection step failed');
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private lookup(uid: string): { def: ResourceDef; obj: KObject } | undefined {
    const loc = this.byUid.get(uid);
    if (!loc) return undefined;
    const obj = this.objects.store.get(loc.groupResource, loc.namespace, loc.name);
    const def = this.defFor(loc.groupResource);
    if (!obj || !def || obj.metadata.uid !== uid) return undefined;
    return { def, obj };
  }

  private defFor(groupResource: string): ResourceDef | undefined {
    const candidates = this.objects.registry.all().filter((d) => storageKey(d) === groupResource);
    return candidates.find((d) => !d.builtin) ?? candidates[0];
  }

  private async process(uid: string): Promise<void> {
    const found = this.lookup(uid);
    if (!found) return;
    const { def, obj } = found;
    if (obj.metadata.deletionTimestamp) {
      if (def.group === '' && def.resource === 'namespaces') return this.cleanNamespace(obj);
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes('orphan')) return this.orphanDependents(def, obj);
      if (finalizers.includes('foregroundDeletion')) return this.deleteDependentsFirst(def, obj);
      return;
    }
    await this.collectIfOrphaned(def, obj);
  }

  /** A dependent whose owners are all gone is deleted (Background propagation). */
  private async collectIfOrphaned(def: ResourceDef, obj: KObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    if (!refs.length) return;
    if (refs.some((ref) => this.lookup(ref.uid))) return;
    this.logger.debug({ object: `${obj.metadata.namespace ?? ''}/${obj.metadata.name}` }, 'garbage collecting dependent');
    await this.objects.delete(def, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy: 'Background' });
  }

  private liveDependents(uid: string): { def: ResourceDef; obj: KObject }[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.lookup(d)).filter((x): x is { def: ResourceDef; obj: KObject } => !!x);
  }

  private async orphanDependents(def: ResourceDef, owner: KObject): Promise<void> {
    const uid = owner.metadata.uid!;
    for (const dep of this.liveDependents(uid)) {
      const next = structuredClone(dep.obj);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
      await this.objects.update(dep.def, next.metadata.namespace, next.metadata.name!, next, undefined);
    }
    await this.removeFinalizer(def, owner, 'orphan');
  }

  private async deleteDependentsFirst(def: ResourceDef, owner: KObject): Promise<void> {
    const deps = this.liveDependents(owner.metadata.uid!);
    for (const dep of deps) {
      if (dep.obj.metadata.deletionTimestamp) continue;
      await this.objects.delete(dep.def, dep.obj.metadata.namespace, dep.obj.metadata.name!, { propagationPolicy: 'Foreground' });
    }
    // The owner goes once its last dependent is gone; that dependent's DELETED event brings us back.
    if (!deps.length) await this.removeFinalizer(def, owner, 'foregroundDeletion');
  }

  private async removeFinalizer(def: ResourceDef, obj: KObject, finalizer: string): Promise<void> {
    const current = this.objects.store.get(storageKey(def), obj.metadata.namespace, obj.metadata.name!);
    if (!current) return;
    const next = structuredClone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.objects.update(def, next.metadata.namespace, next.metadata.name!, next, undefined);
  }

  /** Deletes everything in a terminating namespace, then the namespace itself. */
  private async cleanNamespace(ns: KObject): Promise<void> {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const def of this.namespacedDefs()) {
      for (const obj of this.objects.store.list(storageKey(def), name)) {
        remaining++;
        if (!obj.metadata.deletionTimestamp) {
          await this.objects.delete(def, name, obj.metadata.name!, { propagationPolicy: 'Background' }).catch(ignoreNotFound);
        }
      }
    }
    if (remaining > 0) return;
    const nsDef = this.defFor('/namespaces')!;
    const current = this.objects.store.get('/namespaces', undefined, name);
    if (!current) return;
    const next = structuredClone(current) as Json;
    next.spec = { ...(next.spec ?? {}), finalizers: [] };
    await this.objects.update(nsDef, undefined, name, next, undefined);
  }

  private namespacedDefs(): ResourceDef[] {
    const seen = new Set<string>();
    const out: ResourceDef[] = [];
    for (const def of this.objects.registry.all()) {
      const key = storageKey(def);
      if (!def.namespaced || seen.has(key)) continue;
      seen.add(key);
      out.push(def);
    }
    return out;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof ApiError && err.code === 404)) throw err;
}
