// pods/binding: how a scheduler assigns a pod to a node.

import { badRequest, conflict } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { KObject, ResourceDef } from '../types.js';

type Json = Record<string, any>;

export async function bindPod(objects: ObjectService, def: ResourceDef, namespace: string, name: string, body: unknown): Promise<object> {
  const target = (body as Json)?.target;
  if (!target?.name) throw badRequest('binding target.name is required');
  const pod = objects.get(def, namespace, name) as Json;
  if (pod.spec?.nodeName) {
    throw conflict('', 'pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  }
  if (pod.metadata.deletionTimestamp) throw conflict('', 'pods', name, 'pod is being deleted, cannot be assigned to a host');
  const next: KObject = structuredClone(pod) as KObject;
  (next as Json).spec.nodeName = target.name;
  const annotations = (body as Json)?.metadata?.annotations;
  if (annotations) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...annotations };
  // Binding writes spec.nodeName, which a pod update may not; go around the update rules.
  await objects.bind(def, next);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
