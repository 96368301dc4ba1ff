// Who owns a GameServer, by the set's spec.gameServerTemplate.reclaimPolicy (OpenKruiseGame's):
// - Cascade (the default): its pod. The garbage collector deletes it with the pod, so a
//   recreated pod (a ReCreate update, a deleted or evicted pod) gets a new GameServer, its spec
//   (opsState, priorities, image overrides) back to the defaults.
// - Delete: the set. It outlives its pod and goes only when the set's replicas go down.
// Ownership is decided when the GameServer is made: switching the policy changes no existing one.
// Pure.

import { controllerRef, type KubeObject, type OwnerReference } from '../../kube/index.js';
import { controllerRefTo, type WorkloadOwner } from '../workload/index.js';

export type ReclaimPolicy = 'Cascade' | 'Delete';

/** The controller ownerReference a new GameServer gets; Cascade needs the pod (made first). */
export function gameServerOwner(policy: ReclaimPolicy, set: WorkloadOwner, pod: KubeObject | undefined): OwnerReference {
  if (policy === 'Delete' || !pod?.metadata?.uid) return controllerRefTo(set);
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** Whether the GameServer is owned by a pod (reclaimPolicy Cascade when it was made). */
export function ownedByPod(gs: KubeObject): boolean {
  const ref = controllerRef(gs);
  return ref?.kind === 'Pod' && ref.apiVersion === 'v1';
}

/**
 * A pod-owned GameServer whose pod is gone (or is another pod of the same name): the garbage
 * collector is about to delete it, and it must not be mirrored onto, nor reused by, a new pod.
 */
export function orphanedByPod(gs: KubeObject, pod: KubeObject | undefined): boolean {
  return ownedByPod(gs) && controllerRef(gs)?.uid !== pod?.metadata?.uid;
}

/** Whether a GameServer belongs to the set: controlled by it, or by one of its pods (named by the owner-gss label). */
export function belongsToSet(gs: KubeObject, set: WorkloadOwner, ownerLabel: string): boolean {
  if (gs.metadata?.namespace !== set.metadata.namespace) return false;
  const ref = controllerRef(gs);
  if (ref?.uid === set.metadata.uid) return true;
  return ownedByPod(gs) && gs.metadata?.labels?.[ownerLabel] === set.metadata.name;
}
