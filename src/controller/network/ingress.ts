// Kubernetes-Ingress (OKG's ingress.go): per server a ClusterIP Service (named as its pod,
// selecting it) and an Ingress routing to it: Path (each, `<id>` replaced by the server's id),
// PathType and Port (paired with the paths in order; paths beyond them take the first), Host
// (`<id>` too), IngressClassName, Annotation (`key: value`, each), TlsHosts and TlsSecretName,
// Fixed. Each object carries the hash of what it was made from and is rewritten when that
// changes. The finding: the paths and ports, inside at the pod IP, outside at the host. Pure.

import type { KubeObject } from '../../kube/index.js';
import { CONF, INGRESS_HASH_ANNOTATION, INGRESS_NETWORK, SERVICE_HASH_ANNOTATION } from './names.js';
import { paramsHash, parseGoBool, parseGoInt, pluginOwnerRefs, PluginError, serverService, serverIndex, type NetworkConfParam, type NetworkPass, type NetworkPlugin, type NetworkView, type ObjectWrite } from './plugin.js';
import type { NetworkPort, NetworkStatus } from './status.js';

type Json = Record<string, any>;

/** OKG's message for parameters it cannot read. */
const PARAMS_ERROR = 'Network Config Params Error';

export interface IngressConfig {
  paths: string[];
  pathTypes: string[];
  ports: number[];
  host: string;
  ingressClassName?: string;
  tlsHosts?: string[];
  tlsSecretName: string;
  annotations: Record<string, string>;
  fixed: boolean;
}

/** `a<id>b` with the server's id; more than one `<id>` is a parameter error. */
function withId(value: string, id: number): string {
  const parts = value.split('<id>');
  if (parts.length > 2) throw new PluginError('parameterError', PARAMS_ERROR);
  return parts.join(String(id));
}

/** OKG's parseIngConfig: at least one Path, PathType and Port. */
export function parseIngressConfig(conf: NetworkConfParam[], podName: string): IngressConfig {
  const ic: IngressConfig = { paths: [], pathTypes: [], ports: [], host: '', tlsSecretName: '', annotations: {}, fixed: false };
  const id = serverIndex(podName);
  for (const c of conf) {
    const value = c.value ?? '';
    switch (c.name) {
      case CONF.pathType:
        ic.pathTypes.push(value);
        break;
      case CONF.port:
        ic.ports.push(parseGoInt(value) ?? 0);
        break;
      case CONF.host:
        ic.host = withId(value, id);
        break;
      case CONF.ingressClassName:
        ic.ingressClassName = value;
        break;
      case CONF.tlsSecretName:
        ic.tlsSecretName = value;
        break;
      case CONF.tlsHosts:
        ic.tlsHosts = value.split(',');
        break;
      case CONF.path:
        ic.paths.push(withId(value, id));
        break;
      case CONF.annotation: {
        const kv = value.split(': ');
        if (kv.length !== 2) throw new PluginError('parameterError', PARAMS_ERROR);
        ic.annotations[kv[0]!] = kv[1]!;
        break;
      }
      case CONF.fixed:
        ic.fixed = parseGoBool(value) ?? false;
        break;
    }
  }
  if (!ic.paths.length || !ic.pathTypes.length || !ic.ports.length) throw new PluginError('parameterError', PARAMS_ERROR);
  return ic;
}

/** OKG's consSvc: a ClusterIP Service with one port per Port. */
export function ingressService(ic: IngressConfig, pod: KubeObject, set: KubeObject | undefined): KubeObject {
  return serverService(pod, set, ic.fixed, paramsHash(ic.ports), { type: 'ClusterIP', ports: ic.ports.map((port) => ({ port, name: String(port) })) });
}

/** OKG's consIngress: one rule (the host) with a path per Path, to the server's Service. */
export function serverIngress(ic: IngressConfig, pod: KubeObject, set: KubeObject | undefined): KubeObject {
  const name = pod.metadata!.name!;
  const spec: Json = {};
  if (ic.ingressClassName !== undefined) spec.ingressClassName = ic.ingressClassName;
  const paths = ic.paths.map((path, i) => ({
    path,
    pathType: ic.pathTypes[i] ?? ic.pathTypes[0],
    backend: { service: { name, port: { number: ic.ports[i] ?? ic.ports[0] } } },
  }));
  spec.rules = [{ ...(ic.host ? { host: ic.host } : {}), http: { paths } }];
  if (ic.tlsHosts !== undefined || ic.tlsSecretName !== '') spec.tls = [{ ...(ic.tlsSecretName ? { secretName: ic.tlsSecretName } : {}), ...(ic.tlsHosts ? { hosts: ic.tlsHosts } : {}) }];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: pod.metadata!.namespace!,
      annotations: { ...ic.annotations, [INGRESS_HASH_ANNOTATION]: paramsHash(ic) },
      ownerReferences: pluginOwnerRefs(pod, set, ic.fixed),
    },
    spec,
  };
}

function keyOf(o: KubeObject) {
  return { namespace: o.metadata!.namespace!, name: o.metadata!.name! };
}

/** OKG patches the Service with the new annotations and spec (a merge: other annotations stay). */
function patchService(have: KubeObject, want: KubeObject): ObjectWrite {
  return { verb: 'patch', apiVersion: 'v1', kind: 'Service', key: keyOf(have), patch: { metadata: { annotations: want.metadata!.annotations }, spec: want.spec } };
}

/**
 * OKG replaces the Ingress (Update): annotations, owner and spec become the new ones. As a merge
 * patch: keys the new one lacks are removed.
 */
function replaceIngress(have: KubeObject, want: KubeObject): ObjectWrite {
  const annotations: Json = { ...want.metadata!.annotations };
  for (const k of Object.keys(have.metadata?.annotations ?? {})) if (!(k in annotations)) annotations[k] = null;
  const spec: Json = { ...want.spec };
  for (const k of Object.keys(have.spec ?? {})) if (!(k in spec)) spec[k] = null;
  return {
    verb: 'patch',
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    key: keyOf(have),
    patch: { metadata: { annotations, ownerReferences: want.metadata!.ownerReferences }, spec },
  };
}

export class IngressPlugin implements NetworkPlugin {
  readonly name = INGRESS_NETWORK;

  onPodUpdated(view: NetworkView): NetworkPass {
    const pod = view.pod;
    const status: NetworkStatus = view.status ?? { currentNetworkState: 'NotReady' };
    let ic: IngressConfig;
    try {
      ic = parseIngressConfig(view.conf, pod.metadata!.name!);
    } catch (err) {
      return { status, error: err as PluginError };
    }
    const notReady = { ...status, currentNetworkState: 'NotReady' };
    const svc = view.service(pod.metadata!.name!);
    if (!svc) return { status, writes: [{ verb: 'create', object: ingressService(ic, pod, view.set) }] };
    if (svc.metadata?.annotations?.[SERVICE_HASH_ANNOTATION] !== paramsHash(ic.ports)) return { status: notReady, writes: [patchService(svc, ingressService(ic, pod, view.set))] };
    const ing = view.ingress(pod.metadata!.name!);
    if (!ing) return { status, writes: [{ verb: 'create', object: serverIngress(ic, pod, view.set) }] };
    if (ing.metadata?.annotations?.[INGRESS_HASH_ANNOTATION] !== paramsHash(ic)) return { status: notReady, writes: [replaceIngress(ing, serverIngress(ic, pod, view.set))] };
    const rule = ((ing.spec?.rules ?? []) as Json[])[0] ?? {};
    const ports: NetworkPort[] = ((rule.http?.paths ?? []) as Json[]).map((p) => ({ name: p.path ?? '', port: p.backend?.service?.port?.number ?? 0 }));
    return {
      status: {
        ...status,
        internalAddresses: [{ ip: (pod.status?.podIP as string | undefined) ?? '', ports }],
        externalAddresses: [{ ip: '', endPoint: rule.host ?? '', ports }],
        currentNetworkState: 'Ready',
      },
    };
  }
}
