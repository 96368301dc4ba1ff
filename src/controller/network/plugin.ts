// One network plugin, as OpenKruiseGame's cloudprovider.Plugin: called when a server's pod is
// made (it may change the pod), on every pass over the server's GameServer (what the network
// is, and which objects to make or change for it), and when the pod goes (what to release).
// Plugins read only what the caller hands them (the cached pod, node, Service, Ingress and
// set) and return writes for the caller to send, so each pass of one is a pure function of
// what the caches show.

import { isIP } from 'node:net';
import type { KubeObject, ObjectKey, OwnerReference } from '../../kube/index.js';
import { templateHash } from '../workload/revisions.js';
import type { NetworkStatus } from './status.js';
import { POD_NAME_LABEL } from '../gameserverset/labels.js';
import { SERVICE_HASH_ANNOTATION } from './names.js';

type Json = Record<string, any>;

export interface NetworkConfParam {
  name?: string;
  value?: string;
}

/** What a plugin sees of one server on a pass. Cached objects: never mutate them. */
export interface NetworkView {
  pod: KubeObject;
  /** The pod's network-conf annotation. */
  conf: NetworkConfParam[];
  /** The server is taken out of its network (GameServer spec.networkDisabled, the pod's network-disabled label). */
  disabled: boolean;
  /** The plugin's last finding (the pod's network-status annotation). */
  status: NetworkStatus | undefined;
  /** The pod's node, once it has one and the cache holds it. */
  node: KubeObject | undefined;
  /** The pod's GameServerSet (the owner of a Fixed plugin's objects). */
  set: KubeObject | undefined;
  service(name: string): KubeObject | undefined;
  ingress(name: string): KubeObject | undefined;
}

export type ObjectWrite =
  | { verb: 'create'; object: KubeObject }
  | { verb: 'patch'; apiVersion: string; kind: string; key: ObjectKey; patch: Json }
  | { verb: 'delete'; apiVersion: string; kind: string; object: KubeObject };

/** OKG's plugin error types (the reason of the Warning Event on the pod). */
export type PluginErrorType = 'parameterError' | 'internalError' | 'apiCallError';

export class PluginError extends Error {
  constructor(
    readonly type: PluginErrorType,
    message: string,
  ) {
    super(message);
  }
}

export interface NetworkPass {
  /** The new finding; undefined leaves the pod's annotation as it is. */
  status?: NetworkStatus;
  writes?: ObjectWrite[];
  /** Pod labels the plugin sets (AllowNotReadyContainers' hook label). */
  podLabels?: Record<string, string>;
  /** Parameters the plugin cannot read: nothing is written, the pod gets a Warning Event. */
  error?: PluginError;
}

export interface NetworkPlugin {
  readonly name: string;
  /** The new pod, changed in place before it is created (host ports); throws a PluginError to refuse it. */
  onPodAdded?(pod: Json, conf: NetworkConfParam[]): void;
  onPodUpdated(view: NetworkView): NetworkPass;
  /** The pod is going (terminating): what to release. */
  onPodDeleted?(view: NetworkView): ObjectWrite[];
}

/** The parameters in the pod's annotation (OKG's NetworkManager; unreadable JSON: none). */
export function parseNetworkConf(text: string | undefined): NetworkConfParam[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v.filter((p) => p && typeof p === 'object') as NetworkConfParam[]) : [];
  } catch {
    return [];
  }
}

/** Go's strconv.ParseBool: undefined when it is no boolean. */
export function parseGoBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Go's strconv.Atoi for a port list entry: an integer in int32 range, or undefined. */
export function parseGoInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

/** The hash annotation value of a plugin's parameters: its objects are changed when it differs. */
export function paramsHash(params: unknown): string {
  return templateHash(params as never);
}

/** A server's id from its name (`arena-3` → 3; OKG's GetIndexFromGsName: 0 when unreadable). */
export function serverIndex(name: string): number {
  const last = name.split('-').pop() ?? '';
  return parseGoInt(last) ?? 0;
}

/**
 * The ownerReference of a plugin's objects (OKG's consOwnerReference): the pod, so they go with
 * it; with Fixed, the set, so they outlive it (the pod, if the set is not in the cache).
 */
export function pluginOwnerRefs(pod: KubeObject, set: KubeObject | undefined, fixed: boolean): OwnerReference[] {
  const to = fixed && set?.metadata?.uid ? set : pod;
  const apiVersion = to === pod ? 'v1' : (set!.apiVersion ?? 'game.kruise.io/v1alpha1');
  const kind = to === pod ? 'Pod' : (set!.kind ?? 'GameServerSet');
  return [{ apiVersion, kind, name: to.metadata!.name!, uid: to.metadata!.uid!, controller: true, blockOwnerDeletion: true }];
}

/** The Service a plugin makes per server: named as its pod, selecting it alone, owned as `fixed` says. */
export function serverService(pod: KubeObject, set: KubeObject | undefined, fixed: boolean, hash: string, spec: Record<string, unknown>): KubeObject {
  const name = pod.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: pod.metadata!.namespace!, annotations: { [SERVICE_HASH_ANNOTATION]: hash }, ownerReferences: pluginOwnerRefs(pod, set, fixed) },
    spec: { ...spec, selector: { [POD_NAME_LABEL]: name } },
  };
}

/**
 * The node's address players reach (OKG's getAddress): its ExternalIP, an ExternalDNS name over
 * that, and only without either its InternalIP, an InternalDNS name over that. '' when none.
 */
export function nodeAddress(node: KubeObject | undefined): string {
  const addresses = ((node?.status?.addresses ?? []) as { type?: string; address?: string }[]).filter((a) => typeof a.address === 'string');
  const last = (pick: (a: { type?: string; address?: string }) => boolean) => addresses.filter(pick).pop()?.address ?? '';
  let ip = last((a) => a.type === 'ExternalIP' && isIP(a.address!) !== 0);
  ip = last((a) => a.type === 'ExternalDNS') || ip;
  if (ip === '') {
    ip = last((a) => a.type === 'InternalIP' && isIP(a.address!) !== 0);
    ip = last((a) => a.type === 'InternalDNS') || ip;
  }
  return ip;
}
