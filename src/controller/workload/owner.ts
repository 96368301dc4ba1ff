// The workload object (a GameServerSet, a GameDeployment) as the shared layer sees it: enough to
// own children, name events and key expectations, nothing of its spec.

import { keyString, type KubeObject, type OwnerReference } from '../../kube/index.js';

export interface WorkloadOwner extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObject['metadata'] & { name: string; namespace: string; uid: string };
}

/** Narrows a cached object to an owner, or says what it lacks. */
export function asOwner(obj: KubeObject): WorkloadOwner {
  const m = obj.metadata;
  if (!obj.apiVersion || !obj.kind || !m?.name || !m.namespace || !m.uid) {
    throw new Error(`object ${obj.kind ?? '?'} ${m?.namespace ?? ''}/${m?.name ?? '?'} lacks apiVersion, kind, name, namespace or uid`);
  }
  return obj as WorkloadOwner;
}

/** The ownerReference children carry: this owner is their controller, and deleting it waits for them in foreground deletion. */
export function controllerRefTo(owner: WorkloadOwner): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The owner's key in queues and expectations (`namespace/name`). */
export function ownerKey(owner: WorkloadOwner): string {
  return keyString({ namespace: owner.metadata.namespace, name: owner.metadata.name });
}

/** "GameServerSet default/minecraft", for errors and logs. */
export function describeOwner(owner: WorkloadOwner): string {
  return `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name}`;
}
