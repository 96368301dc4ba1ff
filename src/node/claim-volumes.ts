// persistentVolumeClaim volumes, as kubelet's volume manager sets them up: the claim and its
// PersistentVolume are read over the API, the pod waits (its containers ContainerCreating) until
// the claim is Bound, then `<podDir>/volumes/<name>` becomes a symlink to the volume's directory
// (hostPath or local path: what hotpod's local provisioner makes), so the runtimes mount it as
// they mount an emptyDir. The volume's files outlive the pod.

import { mkdir, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorCode, type KubeClient } from '../kube/index.js';

type Json = Record<string, any>;

export interface ClaimVolume {
  /** The pod's volume name. */
  volume: string;
  claimName: string;
}

export function claimVolumesOf(pod: Json): ClaimVolume[] {
  return ((pod.spec?.volumes ?? []) as Json[])
    .filter((v) => typeof v?.persistentVolumeClaim?.claimName === 'string')
    .map((v) => ({ volume: String(v.name), claimName: v.persistentVolumeClaim.claimName }));
}

/** The directory of the claim's volume, or why the pod must wait (kubelet's words). */
export async function claimDirectory(client: KubeClient, namespace: string, claimName: string): Promise<{ path: string } | { waiting: string }> {
  let pvc: Json;
  try {
    pvc = await client.request('GET', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}`);
  } catch (err) {
    if (errorCode(err) === 404) return { waiting: `error processing PVC ${namespace}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found` };
    throw err;
  }
  if (pvc.metadata?.deletionTimestamp) return { waiting: `error processing PVC ${namespace}/${claimName}: PVC is being deleted` };
  const volumeName: string | undefined = pvc.spec?.volumeName;
  if (pvc.status?.phase !== 'Bound' || !volumeName) return { waiting: `error processing PVC ${namespace}/${claimName}: PVC is not bound` };
  let pv: Json;
  try {
    pv = await client.request('GET', `/api/v1/persistentvolumes/${volumeName}`);
  } catch (err) {
    if (errorCode(err) === 404) return { waiting: `error processing PVC ${namespace}/${claimName}: failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found` };
    throw err;
  }
  if (pv.spec?.claimRef?.uid && pv.spec.claimRef.uid !== pvc.metadata?.uid) {
    return { waiting: `error processing PVC ${namespace}/${claimName}: PV ${volumeName} is bound to another claim` };
  }
  const path: unknown = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (typeof path !== 'string' || path === '') return { waiting: `volume ${volumeName}: hotpod's nodes mount only hostPath and local volumes` };
  return { path };
}

/** `<podDir>/volumes/<volume>` → the volume's directory (made if missing, as hostPath DirectoryOrCreate). */
export async function linkClaimDirectory(podDir: string, volume: string, path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  const at = join(podDir, 'volumes', volume);
  await mkdir(join(podDir, 'volumes'), { recursive: true });
  await rm(at, { recursive: true, force: true });
  await symlink(resolve(path), at);
}

/** Kubelet's FailedMount message for volumes it could not set up. */
export function failedMountMessage(volumes: string[], reason: string): string {
  const list = `[${volumes.join(' ')}]`;
  return `Unable to attach or mount volumes: unmounted volumes=${list}, unattached volumes=[], failed to process volumes=${list}: ${reason}`;
}
