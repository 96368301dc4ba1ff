// The PersistentVolumeClaims of a GameServerSet's servers, as Kruise's Advanced StatefulSet (and
// kube's StatefulSet) makes them: one claim per volumeClaimTemplate and ordinal, named
// `<template>-<set>-<ordinal>`, labelled with the template's labels and the set's selector
// label, made before the pod and reused when it exists; the pod mounts it as volume `<template>`
// (replacing a template volume of that name). persistentVolumeClaimRetentionPolicy (default
// Retain/Retain) is carried by ownerReferences, which the garbage collector acts on:
// whenDeleted Delete → a reference to the set; whenScaled Delete → a reference to the pod of an
// ordinal a scale-down removes (and none while the ordinal stays). Pure: the reconciler acts.

import type { GameServerSet } from '../../api/index.js';
import type { KubeObject, OwnerReference } from '../../kube/index.js';
import type { WorkloadOwner } from '../workload/index.js';
import { OWNER_GSS_LABEL } from './labels.js';

type Json = Record<string, any>;

export interface RetentionPolicy {
  whenDeleted: 'Retain' | 'Delete';
  whenScaled: 'Retain' | 'Delete';
}

export function retentionPolicy(gss: GameServerSet): RetentionPolicy {
  const p = gss.spec.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted === 'Delete' ? 'Delete' : 'Retain', whenScaled: p.whenScaled === 'Delete' ? 'Delete' : 'Retain' };
}

export function claimTemplates(gss: GameServerSet): Json[] {
  return ((gss.spec.gameServerTemplate?.volumeClaimTemplates ?? []) as Json[]).filter((t) => typeof t?.metadata?.name === 'string' && t.metadata.name !== '');
}

export function claimName(template: Json, setName: string, ordinal: number): string {
  return `${template.metadata.name}-${setName}-${ordinal}`;
}

/** The claims an ordinal has, by name. */
export function claimNamesOf(gss: GameServerSet, ordinal: number): string[] {
  return claimTemplates(gss).map((t) => claimName(t, gss.metadata!.name!, ordinal));
}

/** A new claim of one template for one ordinal, owned as the policy says for a server that stays. */
export function newClaim(owner: WorkloadOwner, gss: GameServerSet, template: Json, ordinal: number): KubeObject {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(template, owner.metadata.name, ordinal),
      namespace: owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [OWNER_GSS_LABEL]: owner.metadata.name },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(retentionPolicy(gss).whenDeleted === 'Delete' ? { ownerReferences: [setRef(owner)] } : {}),
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** The pod spec with one persistentVolumeClaim volume per template (StatefulSet's updateStorage). */
export function withClaimVolumes(spec: Json, gss: GameServerSet, ordinal: number): Json {
  const templates = claimTemplates(gss);
  if (!templates.length) return spec;
  const names = new Set(templates.map((t) => t.metadata.name as string));
  const claimVolumes = templates.map((t) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: claimName(t, gss.metadata!.name!, ordinal) } }));
  const others = ((spec.volumes ?? []) as Json[]).filter((v) => !names.has(v?.name));
  return { ...spec, volumes: [...claimVolumes, ...others] };
}

function setRef(owner: WorkloadOwner): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid };
}

function podRef(pod: KubeObject): OwnerReference {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! };
}

/**
 * The claim's ownerReferences as the policy wants them for a server whose pod is `pod`
 * (`condemned`: a scale-down removes its ordinal); undefined when they are already so.
 */
export function claimOwnerRefs(claim: KubeObject, policy: RetentionPolicy, owner: WorkloadOwner, pod: KubeObject | undefined, condemned: boolean): OwnerReference[] | undefined {
  const refs = [...(claim.metadata?.ownerReferences ?? [])];
  let changed = false;
  const has = (uid: string) => refs.some((r) => r.uid === uid);
  const add = (ref: OwnerReference) => {
    if (has(ref.uid)) return;
    refs.push(ref);
    changed = true;
  };
  const remove = (uid: string) => {
    const i = refs.findIndex((r) => r.uid === uid);
    if (i < 0) return;
    refs.splice(i, 1);
    changed = true;
  };
  const podUid = pod?.metadata?.uid;
  const scaledAway = policy.whenScaled === 'Delete' && condemned;
  // A condemned server's claims go with its pod, not with the set (StatefulSet's rule).
  if (policy.whenDeleted === 'Delete' && !scaledAway) add(setRef(owner));
  else remove(owner.metadata.uid);
  if (pod && podUid) {
    if (scaledAway) add(podRef(pod));
    else remove(podUid);
  }
  return changed ? refs : undefined;
}

/**
 * Under whenScaled Delete, a claim still owned by an earlier pod of the ordinal (same name,
 * another uid) is on its way out: the new pod waits for it to go rather than mount it.
 */
export function claimIsStale(claim: KubeObject, policy: RetentionPolicy, podName: string, podUid: string | undefined): boolean {
  if (policy.whenScaled !== 'Delete') return false;
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.name === podName && r.uid !== podUid);
}
