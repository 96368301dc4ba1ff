// Persistent volumes, as kube-controller-manager's PV controller and pvc-protection controller
// run them, plus the provisioner of hotpod's local class:
// - a pending claim binds to an Available volume that fits (class, access modes, capacity), or
//   one already naming it; failing that, a claim of a class whose provisioner is
//   `hotpod.dev/local` gets a new volume: a directory under `<data-dir>/volumes/`, capacity the
//   request, reclaim policy the class's. Volume and claim are then both Bound.
// - a volume whose claim is gone is deleted with its directory (reclaimPolicy Delete) or marked
//   Released (Retain), as kube does; a released volume is not bound again.
// - a deleted claim keeps its `kubernetes.io/pvc-protection` finalizer while a pod that has not
//   finished uses it, so a running container never loses its files under it.
// Writes go through ObjectService, so they follow the rules any client's do; a write that fails
// (a conflict with a client) is retried from the store's current state.

import { mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { StoreEvent } from '../storage/store.js';
import type { KObject, ResourceDef } from '../types.js';
import { PVC_PROTECTION_FINALIZER, STORAGE_GROUP } from '../registry/storage-strategy.js';
import { parseQuantity } from '../../util/quantity.js';
import { rfc3339 } from '../../util/time.js';

type Json = Record<string, any>;

/** The provisioner of hotpod's default class: a directory per volume on this machine. */
export const LOCAL_PROVISIONER = 'hotpod.dev/local';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const PVCS = '/persistentvolumeclaims';
const PVS = '/persistentvolumes';
const RETRY_MS = 1000;

export class VolumeController {
  private readonly claims = new Set<string>();
  private readonly volumes = new Set<string>();
  private draining = false;
  private stopped = false;
  private unsubscribe?: () => void;
  private readonly pvcDef: ResourceDef;
  private readonly pvDef: ResourceDef;
  private readonly eventDef: ResourceDef;
  readonly volumesDir: string;

  constructor(
    private readonly objects: ObjectService,
    dataDir: string,
    private readonly logger: Logger,
  ) {
    this.pvcDef = objects.registry.lookup('', 'v1', 'persistentvolumeclaims')!;
    this.pvDef = objects.registry.lookup('', 'v1', 'persistentvolumes')!;
    this.eventDef = objects.registry.lookup('', 'v1', 'events')!;
    this.volumesDir = join(resolve(dataDir), 'volumes');
  }

  start(): void {
    this.unsubscribe = this.objects.store.subscribe((e) => this.observe(e));
    for (const pvc of this.objects.store.list(PVCS)) this.claims.add(claimKey(pvc.metadata.namespace!, pvc.metadata.name!));
    for (const pv of this.objects.store.list(PVS)) this.volumes.add(pv.metadata.name!);
    this.drain();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  private observe(e: StoreEvent): void {
    const o = e.object as Json;
    switch (e.groupResource) {
      case PVCS:
        this.claims.add(claimKey(o.metadata.namespace, o.metadata.name));
        // A claim gone releases its volume.
        if (e.type === 'DELETED' && o.spec?.volumeName) this.volumes.add(o.spec.volumeName);
        break;
      case PVS:
        this.volumes.add(o.metadata.name);
        if (o.spec?.claimRef?.name) this.claims.add(claimKey(o.spec.claimRef.namespace, o.spec.claimRef.name));
        // A volume that becomes Available may fit a claim that waits.
        if (e.type !== 'DELETED') for (const pvc of this.pendingClaims()) this.claims.add(claimKey(pvc.metadata.namespace!, pvc.metadata.name!));
        break;
      case '/pods':
        // A pod that stops using its claims may let a deleted claim go.
        if (e.type === 'DELETED' || isFinished(o)) for (const name of claimNamesOf(o)) this.claims.add(claimKey(o.metadata.namespace, name));
        break;
      case `${STORAGE_GROUP}/storageclasses`:
        for (const pvc of this.pendingClaims()) this.claims.add(claimKey(pvc.metadata.namespace!, pvc.metadata.name!));
        break;
      default:
        return;
    }
    this.drain();
  }

  private pendingClaims(): KObject[] {
    return this.objects.store.list(PVCS).filter((c) => !(c as Json).spec?.volumeName && !c.metadata.deletionTimestamp);
  }

  /** One object at a time, so two events never provision or bind the same claim twice. */
  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    void (async () => {
      try {
        while (!this.stopped && (this.claims.size || this.volumes.size)) {
          const [kind, key] = this.volumes.size ? (['volume', first(this.volumes)] as const) : (['claim', first(this.claims)] as const);
          (kind === 'volume' ? this.volumes : this.claims).delete(key);
          try {
            if (kind === 'volume') await this.syncVolume(key);
            else await this.syncClaim(key);
          } catch (err) {
            const retry = err instanceof ApiError && (err.code === 409 || err.code === 404);
            if (!retry) this.logger.warn({ err, [kind]: key }, 'volume controller: sync failed; retrying');
            setTimeout(() => {
              (kind === 'volume' ? this.volumes : this.claims).add(key);
              this.drain();
            }, retry ? 50 : RETRY_MS).unref();
          }
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  // ---- claims -------------------------------------------------------------------------------

  private async syncClaim(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pvc = this.objects.store.get(PVCS, namespace, name) as Json | undefined;
    if (!pvc) return;
    if (pvc.metadata.deletionTimestamp) return this.releaseProtection(pvc);
    const volumeName: string | undefined = pvc.spec?.volumeName || undefined;
    if (volumeName) {
      const pv = this.objects.store.get(PVS, undefined, volumeName) as Json | undefined;
      if (!pv) return this.setClaimPhase(pvc, 'Lost');
      const ref = pv.spec?.claimRef;
      if (!ref || refersTo(ref, pvc)) return this.bind(pv, pvc);
      return this.setClaimPhase(pvc, 'Lost');
    }
    const match = this.findVolume(pvc);
    if (match) return this.bind(match, pvc);
    const sc = pvc.spec?.storageClassName ? (this.objects.store.get(`${STORAGE_GROUP}/storageclasses`, undefined, pvc.spec.storageClassName) as Json | undefined) : undefined;
    // WaitForFirstConsumer would wait for the scheduler to pick a node; hotpod's class binds at once.
    if (sc?.provisioner === LOCAL_PROVISIONER && (sc.volumeBindingMode ?? 'Immediate') === 'Immediate') await this.provision(pvc, sc);
  }

  /** An Available volume bound to nothing (or already naming this claim) that fits it. */
  private findVolume(pvc: Json): Json | undefined {
    const wantClass = pvc.spec?.storageClassName ?? '';
    const wantModes: string[] = pvc.spec?.accessModes ?? [];
    const want = parseQuantity(pvc.spec?.resources?.requests?.storage);
    const fits = (pv: Json) =>
      !pv.metadata.deletionTimestamp &&
      (pv.spec?.storageClassName ?? '') === wantClass &&
      (pv.spec?.volumeMode ?? 'Filesystem') === (pvc.spec?.volumeMode ?? 'Filesystem') &&
      wantModes.every((m) => (pv.spec?.accessModes ?? []).includes(m)) &&
      parseQuantity(pv.spec?.capacity?.storage) >= want;
    const volumes = this.objects.store.list(PVS) as Json[];
    const named = volumes.find((pv) => pv.spec?.claimRef && refersTo(pv.spec.claimRef, pvc) && fits(pv));
    if (named) return named;
    // The smallest that fits, as kube's binder picks.
    return volumes
      .filter((pv) => !pv.spec?.claimRef && pv.status?.phase === 'Available' && fits(pv))
      .sort((a, b) => parseQuantity(a.spec.capacity.storage) - parseQuantity(b.spec.capacity.storage))[0];
  }

  private async provision(pvc: Json, sc: Json): Promise<void> {
    const name = `pvc-${pvc.metadata.uid}`;
    const path = join(this.volumesDir, name);
    mkdirSync(path, { recursive: true });
    const pv: Json = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [PROVISIONED_BY]: LOCAL_PROVISIONER } },
      spec: {
        capacity: { storage: pvc.spec.resources.requests.storage },
        accessModes: pvc.spec.accessModes,
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        claimRef: claimRefOf(pvc),
      },
    };
    let created: Json;
    try {
      created = (await this.objects.create(this.pvDef, undefined, pv)).object as Json;
      this.logger.info({ claim: `${pvc.metadata.namespace}/${pvc.metadata.name}`, volume: name, path }, 'provisioned volume');
      await this.claimEvent(pvc, 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      created = this.objects.store.get(PVS, undefined, name) as Json;
    }
    await this.bind(created, pvc);
  }

  /** Both halves of a binding: the volume's claimRef and phase, then the claim's volumeName and phase. */
  private async bind(pv: Json, pvc: Json): Promise<void> {
    if (!pv.spec?.claimRef?.uid || pv.spec.claimRef.uid !== pvc.metadata.uid) {
      const next = structuredClone(pv);
      const byController = !pv.spec?.claimRef;
      next.spec.claimRef = claimRefOf(pvc);
      if (byController) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [BOUND_BY_CONTROLLER]: 'yes' };
      pv = (await this.objects.update(this.pvDef, undefined, pv.metadata.name, next, undefined)).object as Json;
    }
    if (pv.status?.phase !== 'Bound') {
      pv = (await this.objects.update(this.pvDef, undefined, pv.metadata.name, { ...structuredClone(pv), status: { phase: 'Bound' } }, 'status')).object as Json;
    }
    const annotations = pvc.metadata.annotations ?? {};
    if (pvc.spec.volumeName !== pv.metadata.name || annotations[BIND_COMPLETED] !== 'yes') {
      const next = structuredClone(pvc);
      const byController = !pvc.spec.volumeName;
      next.spec.volumeName = pv.metadata.name;
      next.metadata.annotations = { ...annotations, [BIND_COMPLETED]: 'yes', ...(byController ? { [BOUND_BY_CONTROLLER]: 'yes' } : {}) };
      pvc = (await this.objects.update(this.pvcDef, pvc.metadata.namespace, pvc.metadata.name, next, undefined)).object as Json;
    }
    const status = { phase: 'Bound', accessModes: pv.spec.accessModes, capacity: pv.spec.capacity };
    if (pvc.status?.phase !== 'Bound' || JSON.stringify(pvc.status?.capacity) !== JSON.stringify(status.capacity)) {
      await this.objects.update(this.pvcDef, pvc.metadata.namespace, pvc.metadata.name, { ...structuredClone(pvc), status: { ...(pvc.status ?? {}), ...status } }, 'status');
    }
  }

  /** A Normal Event on the claim, as the provisioner records one (`kubectl describe pvc` shows it); best effort. */
  private async claimEvent(pvc: Json, reason: string, message: string): Promise<void> {
    const now = rfc3339();
    try {
      await this.objects.create(this.eventDef, pvc.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${pvc.metadata.name}.` },
        involvedObject: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
        reason,
        message,
        type: 'Normal',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: `${LOCAL_PROVISIONER}` },
        reportingComponent: LOCAL_PROVISIONER,
      });
    } catch (err) {
      this.logger.debug({ err, reason }, 'could not record a claim event');
    }
  }

  private async setClaimPhase(pvc: Json, phase: string): Promise<void> {
    if (pvc.status?.phase === phase) return;
    await this.objects.update(this.pvcDef, pvc.metadata.namespace, pvc.metadata.name, { ...structuredClone(pvc), status: { ...(pvc.status ?? {}), phase } }, 'status');
  }

  /** pvc-protection: the finalizer goes once no unfinished pod of the namespace uses the claim. */
  private async releaseProtection(pvc: Json): Promise<void> {
    const finalizers: string[] = pvc.metadata.finalizers ?? [];
    if (!finalizers.includes(PVC_PROTECTION_FINALIZER)) return;
    const inUse = this.objects.store.list('/pods', pvc.metadata.namespace).some((pod) => !isFinished(pod as Json) && claimNamesOf(pod as Json).includes(pvc.metadata.name));
    if (inUse) return;
    const next = structuredClone(pvc);
    next.metadata.finalizers = finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
    await this.objects.update(this.pvcDef, pvc.metadata.namespace, pvc.metadata.name, next, undefined);
  }

  // ---- volumes ------------------------------------------------------------------------------

  private async syncVolume(name: string): Promise<void> {
    const pv = this.objects.store.get(PVS, undefined, name) as Json | undefined;
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) return this.setVolumePhase(pv, 'Available');
    const claim = this.objects.store.get(PVCS, ref.namespace, ref.name) as Json | undefined;
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      // Pre-bound to a claim (kube's static binding): the claim's sync binds both.
      if (!ref.uid && pv.status?.phase !== 'Available') return this.setVolumePhase(pv, 'Available');
      return;
    }
    if (!ref.uid) return this.setVolumePhase(pv, 'Available');
    // Its claim is gone: reclaim.
    if (pv.spec.persistentVolumeReclaimPolicy !== 'Delete') return this.setVolumePhase(pv, 'Released');
    if (pv.metadata.annotations?.[PROVISIONED_BY] !== LOCAL_PROVISIONER) {
      return this.setVolumePhase(pv, 'Failed', `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`);
    }
    this.removeDirectory(pv.spec.hostPath?.path);
    try {
      await this.objects.delete(this.pvDef, undefined, name);
      this.logger.info({ volume: name }, 'deleted released volume');
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  /** Only directories this controller made (under `<data-dir>/volumes/`) are ever removed. */
  private removeDirectory(path: unknown): void {
    if (typeof path !== 'string') return;
    const rel = relative(this.volumesDir, resolve(path));
    if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel.includes('/')) return;
    rmSync(join(this.volumesDir, rel), { recursive: true, force: true });
  }

  private async setVolumePhase(pv: Json, phase: string, message?: string): Promise<void> {
    if (pv.status?.phase === phase && (pv.status?.message ?? undefined) === message) return;
    const status: Json = { phase };
    if (message) status.message = message;
    await this.objects.update(this.pvDef, undefined, pv.metadata.name, { ...structuredClone(pv), status }, 'status');
  }
}

function claimKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function first(set: Set<string>): string {
  return set.values().next().value as string;
}

function claimRefOf(pvc: Json): Json {
  return { kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, apiVersion: 'v1', resourceVersion: pvc.metadata.resourceVersion };
}

function refersTo(ref: Json, pvc: Json): boolean {
  return ref.namespace === pvc.metadata.namespace && ref.name === pvc.metadata.name && (!ref.uid || ref.uid === pvc.metadata.uid);
}

function isFinished(pod: Json): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function claimNamesOf(pod: Json): string[] {
  return ((pod.spec?.volumes ?? []) as Json[]).map((v) => v?.persistentVolumeClaim?.claimName).filter((n): n is string => typeof n === 'string');
}
