// A container's environment as kubelet builds it before starting the container: envFrom
// (ConfigMaps and Secrets, with prefixes), then env, whose valueFrom reads the pod's own fields
// (downward API), its resources, or keys of ConfigMaps and Secrets through the API. Runtimes
// get plain name/value pairs. What cannot be resolved is kubelet's CreateContainerConfigError.

import { errorCode, type KubeClient } from '../kube/index.js';
import { cpuMilli, memoryBytes, parseQuantity } from '../util/quantity.js';
import { ContainerStartError, type EnvVar } from './runtime/types.js';

type Json = Record<string, any>;

const configError = (message: string) => new ContainerStartError(message, 'CreateContainerConfigError');

/** Linux's limit (HOST_NAME_MAX 64 with its NUL), which kubelet keeps. */
const HOSTNAME_MAX = 63;

/**
 * The hostname kubelet gives a pod's containers: spec.hostname, else the pod's name (up to 253
 * characters), cut to 63 with any trailing '-' or '.' trimmed, as truncatePodHostnameIfNeeded does.
 */
export function podHostname(pod: Json): string {
  const hostname = typeof pod.spec?.hostname === 'string' && pod.spec.hostname ? pod.spec.hostname : String(pod.metadata?.name ?? '');
  if (hostname.length <= HOSTNAME_MAX) return hostname;
  return hostname.slice(0, HOSTNAME_MAX).replace(/[-.]+$/, '');
}

/** `metadata.labels['app']` and the other fieldRef paths kubelet supports. */
export function podField(pod: Json, path: string, node: { name: string; hostIP: string; podIP: string }): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata?.[m[1]!]?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name;
    case 'metadata.namespace':
      return pod.metadata?.namespace;
    case 'metadata.uid':
      return pod.metadata?.uid;
    case 'spec.nodeName':
      return node.name;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return node.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return node.hostIP;
    default:
      return undefined;
  }
}

export function resourceField(container: Json, ref: Json, allocatable: Json): string {
  const [kind, name] = String(ref.resource ?? '').split('.') as [string, string];
  const declared = container.resources?.[kind]?.[name];
  // An unset limit is the node's allocatable, as kubelet reports it.
  const value = declared ?? (kind === 'limits' ? allocatable[name] : 0);
  if (name === 'cpu') {
    const divisorMilli = cpuMilli(ref.divisor ?? '1') || 1000;
    return String(Math.ceil(cpuMilli(value) / divisorMilli));
  }
  const divisor = parseQuantity(ref.divisor ?? '1') || 1;
  return String(Math.ceil(memoryBytes(value) / divisor));
}

export class EnvResolver {
  constructor(private readonly client: KubeClient) {}

  async resolve(container: Json, pod: Json, node: { name: string; hostIP: string; podIP: string; allocatable: Json }): Promise<EnvVar[]> {
    const namespace: string = pod.metadata.namespace;
    const cache = new Map<string, Json | null>();
    const source = async (kind: 'configmaps' | 'secrets', name: string, optional: boolean): Promise<Record<string, string> | undefined> => {
      const key = `${kind}/${name}`;
      if (!cache.has(key)) {
        try {
          cache.set(key, await this.client.request('GET', `/api/v1/namespaces/${namespace}/${kind}/${name}`));
        } catch (err) {
          if (errorCode(err) !== 404) throw err;
          cache.set(key, null);
        }
      }
      const obj = cache.get(key);
      if (!obj) {
        if (optional) return undefined;
        throw configError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`);
      }
      if (kind === 'configmaps') return { ...(obj.data ?? {}) };
      return Object.fromEntries(Object.entries((obj.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    };

    const env = new Map<string, string>();
    for (const from of (container.envFrom ?? []) as Json[]) {
      const ref = from.configMapRef ?? from.secretRef;
      if (!ref?.name) continue;
      const data = await source(from.configMapRef ? 'configmaps' : 'secrets', ref.name, ref.optional === true);
      for (const [k, v] of Object.entries(data ?? {})) env.set(`${from.prefix ?? ''}${k}`, v);
    }
    for (const e of (container.env ?? []) as Json[]) {
      if (!e?.name) continue;
      const vf = e.valueFrom;
      if (!vf) {
        env.set(e.name, e.value ?? '');
        continue;
      }
      if (vf.fieldRef) {
        const v = podField(pod, String(vf.fieldRef.fieldPath ?? ''), node);
        if (v === undefined) throw configError(`unsupported fieldRef ${vf.fieldRef.fieldPath} for env ${e.name}`);
        env.set(e.name, v);
      } else if (vf.resourceFieldRef) {
        env.set(e.name, resourceField(container, vf.resourceFieldRef, node.allocatable));
      } else if (vf.configMapKeyRef || vf.secretKeyRef) {
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
        const data = await source(kind, ref.name, ref.optional === true);
        if (data === undefined) continue;
        if (!(ref.key in data)) {
          if (ref.optional === true) continue;
          throw configError(`couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`);
        }
        env.set(e.name, data[ref.key]!);
      }
    }
    return [...env].map(([name, value]) => ({ name, value }));
  }
}
