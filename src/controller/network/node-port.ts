// Kubernetes-NodePort (OKG's nodeport.go): a NodePort Service per server, named as its pod,
// selecting it by statefulset.kubernetes.io/pod-name; players reach <node address>:<node port>.
// networkDisabled moves the selector to a key no pod carries (the server leaves its Service) and
// back. PortProtocols `port/protocol,...` (TCP by default), Fixed (the Service outlives the pod,
// owned by the set). The Service carries the hash of its parameters and is rewritten when they
// change. Pure, on what the caches show; one step per pass, in OKG's order.

import type { KubeObject } from '../../kube/index.js';
import { POD_NAME_LABEL } from '../gameserverset/labels.js';
import { CONF, NODE_PORT_NETWORK, SERVICE_HASH_ANNOTATION, SERVICE_SELECTOR_DISABLED_KEY } from './names.js';
import { nodeAddress, paramsHash, parseGoBool, parseGoInt, PluginError, serverService, type NetworkConfParam, type NetworkPass, type NetworkPlugin, type NetworkView, type ObjectWrite } from './plugin.js';
import type { NetworkAddress, NetworkStatus } from './status.js';
import { allowNotReadyStep, INPLACE_UPDATE_NOT_READY_BLOCKER } from './allow-not-ready.js';

type Json = Record<string, any>;

interface NodePortConfig {
  ports: number[];
  protocols: string[];
  isFixed: boolean;
}

/** PortProtocols and Fixed (a Fixed that is no boolean is a parameter error, as OKG's). */
export function parseNodePortConfig(conf: NetworkConfParam[]): NodePortConfig {
  const out: NodePortConfig = { ports: [], protocols: [], isFixed: false };
  for (const c of conf) {
    if (c.name === CONF.portProtocols) {
      out.ports = [];
      out.protocols = [];
      for (const pp of (c.value ?? '').split(',')) {
        const parts = pp.split('/');
        const port = parseGoInt(parts[0]);
        if (port === undefined) continue;
        out.ports.push(port);
        out.protocols.push(parts.length === 2 ? parts[1]! : 'TCP');
      }
    } else if (c.name === CONF.fixed) {
      const fixed = parseGoBool(c.value);
      if (fixed === undefined) throw new PluginError('parameterError', `strconv.ParseBool: parsing ${JSON.stringify(c.value ?? '')}: invalid syntax`);
      out.isFixed = fixed;
    }
  }
  return out;
}

/** The Service OKG makes for a server (consNodePortSvc). */
export function nodePortService(npc: NodePortConfig, pod: KubeObject, set: KubeObject | undefined): KubeObject {
  return serverService(pod, set, npc.isFixed, paramsHash(npc), {
    type: 'NodePort',
    ports: npc.ports.map((port, i) => ({ name: String(port), port, protocol: npc.protocols[i], targetPort: port })),
  });
}

/**
 * A merge patch that makes the Service what `want` says, as OKG's Update of the whole Service
 * does, but keeping what the API server allocated (the node port of a port that stays, the
 * cluster IP) and annotations others put there.
 */
function rewriteService(have: KubeObject, want: KubeObject): ObjectWrite {
  const allocated = new Map<string, number>();
  for (const p of (have.spec?.ports ?? []) as Json[]) if (p.nodePort) allocated.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort);
  const ports = (want.spec!.ports as Json[]).map((p) => {
    const nodePort = allocated.get(`${p.port}/${p.protocol ?? 'TCP'}`);
    return nodePort ? { ...p, nodePort } : p;
  });
  const selector: Json = { ...want.spec!.selector };
  for (const k of Object.keys(have.spec?.selector ?? {})) if (!(k in selector)) selector[k] = null;
  const spec: Json = { type: want.spec!.type, selector, ports };
  if (have.spec?.publishNotReadyAddresses) spec.publishNotReadyAddresses = null;
  return {
    verb: 'patch',
    apiVersion: 'v1',
    kind: 'Service',
    key: { namespace: have.metadata!.namespace!, name: have.metadata!.name! },
    patch: { metadata: { annotations: want.metadata!.annotations, ownerReferences: want.metadata!.ownerReferences }, spec },
  };
}

/** The selector moved from one key to the other (the server leaves or rejoins its Service). */
function swapSelector(svc: KubeObject, from: string, to: string, name: string): ObjectWrite {
  return {
    verb: 'patch',
    apiVersion: 'v1',
    kind: 'Service',
    key: { namespace: svc.metadata!.namespace!, name: svc.metadata!.name! },
    patch: { metadata: { resourceVersion: svc.metadata?.resourceVersion }, spec: { selector: { [from]: null, [to]: name } } },
  };
}

export class NodePortPlugin implements NetworkPlugin {
  readonly name = NODE_PORT_NETWORK;

  onPodUpdated(view: NetworkView): NetworkPass {
    let npc: NodePortConfig;
    try {
      npc = parseNodePortConfig(view.conf);
    } catch (err) {
      return { error: err as PluginError };
    }
    const pod = view.pod;
    const name = pod.metadata!.name!;
    // Not scheduled yet: OKG says Waiting (only once it has a finding).
    if (!pod.spec?.nodeName) return view.status ? { status: { ...view.status, currentNetworkState: 'Waiting' } } : {};
    const status: NetworkStatus = view.status ?? { currentNetworkState: 'NotReady' };
    const svc = view.service(name);
    if (!svc) return { status, writes: [{ verb: 'create', object: nodePortService(npc, pod, view.set) }] };
    if (svc.metadata?.annotations?.[SERVICE_HASH_ANNOTATION] !== paramsHash(npc)) {
      return { status: { ...status, currentNetworkState: 'NotReady' }, writes: [rewriteService(svc, nodePortService(npc, pod, view.set))] };
    }
    const selector = (svc.spec?.selector ?? {}) as Record<string, string>;
    if (view.disabled && selector[POD_NAME_LABEL] === name) return { status, writes: [swapSelector(svc, POD_NAME_LABEL, SERVICE_SELECTOR_DISABLED_KEY, name)] };
    if (!view.disabled && selector[SERVICE_SELECTOR_DISABLED_KEY] === name) return { status, writes: [swapSelector(svc, SERVICE_SELECTOR_DISABLED_KEY, POD_NAME_LABEL, name)] };
    // AllowNotReadyContainers: the Service's publishNotReadyAddresses and the hook label, then on.
    const allow = allowNotReadyStep(view.conf, pod, svc);
    const more: Pick<NetworkPass, 'writes' | 'podLabels'> = {};
    if (allow.blocker) more.podLabels = { [INPLACE_UPDATE_NOT_READY_BLOCKER]: allow.blocker };
    if (allow.publishNotReadyAddresses !== undefined) {
      more.writes = [{ verb: 'patch', apiVersion: 'v1', kind: 'Service', key: { namespace: svc.metadata!.namespace!, name }, patch: { spec: { publishNotReadyAddresses: allow.publishNotReadyAddresses } } }];
    }
    if (!view.node) return { status, ...more };
    const podIP = pod.status?.podIP as string | undefined;
    if (!podIP) return { status: { ...status, currentNetworkState: 'NotReady' }, ...more };
    const internal: NetworkAddress[] = [];
    const external: NetworkAddress[] = [];
    const nodeIP = nodeAddress(view.node);
    for (const p of (svc.spec?.ports ?? []) as Json[]) {
      if (!p.nodePort) return { status: { ...status, currentNetworkState: 'NotReady' }, ...more };
      const target = p.targetPort ?? p.port;
      internal.push({ ip: podIP, ports: [{ name: String(target), port: target, protocol: p.protocol }] });
      external.push({ ip: nodeIP, ports: [{ name: String(target), port: p.nodePort, protocol: p.protocol }] });
    }
    return { status: { ...status, internalAddresses: internal, externalAddresses: external, currentNetworkState: 'Ready' }, ...more };
  }

  /** The Service goes with the pod's deletion, unless Fixed (it belongs to the set then). */
  onPodDeleted(view: NetworkView): ObjectWrite[] {
    let fixed = false;
    try {
      fixed = parseNodePortConfig(view.conf).isFixed;
    } catch {
      // unreadable parameters: not Fixed
    }
    const svc = view.service(view.pod.metadata!.name!);
    if (fixed || !svc || svc.metadata?.deletionTimestamp) return [];
    return [{ verb: 'delete', apiVersion: 'v1', kind: 'Service', object: svc }];
  }
}
