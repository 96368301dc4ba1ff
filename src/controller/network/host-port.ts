// Kubernetes-HostPort (OKG's hostPort.go): each new pod gets host ports from a range (default
// 8000-9000, OKG's config.toml), least used first, and its ContainerPorts carry them; players
// reach <node address>:<host port>. A host port is a per-node resource: the same number may go
// to pods on different nodes (the scheduler keeps two pods with one host port off one node),
// so the allocator spreads use evenly rather than handing each number out once.
//
// Level-triggered: how often each port is in use is read from the pod cache (an index of the
// host ports of the live HostPort pods), so a restarted controller starts from the pods that
// exist, and a pod that goes (terminating, or gone) frees its ports. Ports handed to pods being
// created are held here until the cache shows those pods.

import type { Informer, KubeObject } from '../../kube/index.js';
import { keyString } from '../../kube/index.js';
import { CONF, HOST_PORT_NETWORK, NETWORK_TYPE_ANNOTATION, PORT_SAME_AS_HOST, PROTOCOL_TCP_UDP } from './names.js';
import { nodeAddress, parseGoInt, PluginError, type NetworkConfParam, type NetworkPass, type NetworkPlugin, type NetworkView } from './plugin.js';
import type { NetworkPort } from './status.js';

type Json = Record<string, any>;

export interface PortRange {
  min: number;
  max: number;
}

/** OKG's defaults (config/manager/config.toml: [kubernetes.hostPort] min_port, max_port). */
export const DEFAULT_HOST_PORT_RANGE: PortRange = { min: 8000, max: 9000 };

/** `8000-9000` → the range; throws with what is wrong (OKG: max above min, min above 0). */
export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error('must be a range of ports such as 8000-9000');
  const range = { min: Number(m[1]), max: Number(m[2]) };
  if (range.min <= 0 || range.max <= range.min || range.max > 65535) throw new Error('must be min-max with 0 < min < max <= 65535');
  return range;
}

const HOST_PORT_INDEX = 'network-host-port';
/** A hold on ports for a pod the cache does not show after this long is dropped (its create was lost). */
const RESERVATION_TTL_MS = 5 * 60_000;

export class HostPortAllocator {
  private readonly reserved = new Map<string, { ports: number[]; at: number }>();

  constructor(
    private readonly pods: Informer,
    readonly range: PortRange,
    private readonly now: () => number = Date.now,
  ) {
    if (!pods.cache.hasIndex(HOST_PORT_INDEX)) pods.cache.addIndexer(HOST_PORT_INDEX, (pod) => hostPortsInUse(pod, range).map(String));
    // Once the cache holds the new pod its index counts the ports: the hold is done.
    const seen = (pod: KubeObject) => {
      if (!pod.metadata?.deletionTimestamp) this.reserved.delete(keyString({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' }));
    };
    pods.addEventHandler({ onAdd: seen, onUpdate: (_old, pod) => seen(pod) });
  }

  /** `count` ports, least used first (lowest number among equals), held for the pod `key` until the cache shows it. */
  allocate(key: string, count: number): number[] {
    const size = this.range.max - this.range.min + 1;
    if (count > size) throw new PluginError('internalError', `insufficient port range: need ${count} ports but range only has ${size}`);
    this.prune();
    const usage = new Map<number, number>();
    for (const { ports } of this.reserved.values()) for (const p of ports) usage.set(p, (usage.get(p) ?? 0) + 1);
    const picked: number[] = [];
    while (picked.length < count) {
      let best = -1;
      let bestUse = Infinity;
      for (let p = this.range.min; p <= this.range.max; p++) {
        if (picked.includes(p)) continue;
        const use = (usage.get(p) ?? 0) + this.pods.cache.byIndex(HOST_PORT_INDEX, String(p)).length;
        if (use < bestUse) {
          best = p;
          bestUse = use;
          if (use === 0) break;
        }
      }
      picked.push(best);
    }
    if (picked.length) this.reserved.set(key, { ports: picked, at: this.now() });
    return picked;
  }

  /** The pod was not created: its ports go back. */
  release(key: string): void {
    this.reserved.delete(key);
  }

  /** How many live pods (and pods being created) hold each port, for tests and logs. */
  usage(port: number): number {
    this.prune();
    let n = this.pods.cache.byIndex(HOST_PORT_INDEX, String(port)).length;
    for (const { ports } of this.reserved.values()) if (ports.includes(port)) n++;
    return n;
  }

  /** Holds the cache speaks for (it shows the pod) and holds too old to matter (the create was lost). */
  private prune(): void {
    const now = this.now();
    for (const [key, r] of this.reserved) {
      const pod = this.pods.cache.get(key);
      if ((pod && !pod.metadata?.deletionTimestamp) || now - r.at > RESERVATION_TTL_MS) this.reserved.delete(key);
    }
  }
}

/** The host ports in the range a live HostPort pod holds (each once). */
function hostPortsInUse(pod: KubeObject, range: PortRange): number[] {
  if (pod.metadata?.deletionTimestamp || pod.metadata?.annotations?.[NETWORK_TYPE_ANNOTATION] !== HOST_PORT_NETWORK) return [];
  const ports = new Set<number>();
  for (const c of (pod.spec?.containers ?? []) as Json[]) {
    for (const p of (c.ports ?? []) as Json[]) if (inRange(p.hostPort, range)) ports.add(p.hostPort as number);
  }
  return [...ports];
}

function inRange(port: unknown, range: PortRange): boolean {
  return typeof port === 'number' && port >= range.min && port <= range.max;
}

interface ContainerPortsConf {
  /** container → its ports (-1: SameAsHost) and protocols, in the order written. */
  ports: Map<string, { port: number; protocol: string }[]>;
  /** How many host ports to allocate: every port parsed (OKG counts repeated containers too). */
  count: number;
}

/**
 * ContainerPorts entries `container:port[/protocol],...` for containers the pod has (protocol
 * TCP by default; a port that is not a number is skipped), as OKG's parseConfig.
 */
export function parseContainerPorts(conf: NetworkConfParam[], containerNames: string[]): ContainerPortsConf {
  const ports = new Map<string, { port: number; protocol: string }[]>();
  let count = 0;
  for (const c of conf) {
    if (c.name !== CONF.containerPorts) continue;
    const parts = (c.value ?? '').split(':');
    if (parts.length !== 2 || !containerNames.includes(parts[0]!)) continue;
    const list: { port: number; protocol: string }[] = [];
    for (const entry of parts[1]!.split(',')) {
      const pp = entry.split('/');
      const port = pp[0] === PORT_SAME_AS_HOST ? -1 : parseGoInt(pp[0]);
      if (port === undefined) continue;
      count++;
      list.push({ port, protocol: pp.length === 2 ? pp[1]! : 'TCP' });
    }
    ports.set(parts[0]!, list);
  }
  return { ports, count };
}

export class HostPortPlugin implements NetworkPlugin {
  readonly name = HOST_PORT_NETWORK;

  constructor(private readonly allocator: HostPortAllocator) {}

  /**
   * Allocates the pod's host ports and adds them to its containers (OKG hands them out from the
   * last allocated backwards, container by container); TCPUDP gives a TCP and a UDP port entry.
   */
  onPodAdded(pod: Json, conf: NetworkConfParam[]): void {
    const containers = (pod.spec?.containers ?? []) as Json[];
    const parsed = parseContainerPorts(conf, containers.map((c) => c.name as string));
    const key = keyString({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' });
    const hostPorts = this.allocator.allocate(key, parsed.count);
    let next = parsed.count;
    for (const c of containers) {
      const wanted = parsed.ports.get(c.name);
      if (!wanted) continue;
      const list = (c.ports ??= []) as Json[];
      for (const { port, protocol } of wanted) {
        const hostPort = hostPorts[next - 1]!;
        const containerPort = port === -1 ? hostPort : port;
        if (protocol === PROTOCOL_TCP_UDP) list.push({ containerPort, hostPort, protocol: 'TCP' }, { containerPort, hostPort, protocol: 'UDP' });
        else list.push({ containerPort, hostPort, protocol });
        next--;
      }
    }
  }

  /** The pod's IP and container ports inside, the node's address and host ports outside; NotReady until both are there. */
  onPodUpdated(view: NetworkView): NetworkPass {
    // OKG leaves the finding as it was while the pod's node cannot be read.
    if (!view.node) return {};
    const internal: NetworkPort[] = [];
    const external: NetworkPort[] = [];
    for (const c of (view.pod.spec?.containers ?? []) as Json[]) {
      for (const p of (c.ports ?? []) as Json[]) {
        if (!inRange(p.hostPort, this.allocator.range)) continue;
        const name = `${c.name}-${p.containerPort}`;
        internal.push({ name, port: p.containerPort, protocol: p.protocol ?? 'TCP' });
        external.push({ name, port: p.hostPort, protocol: p.protocol ?? 'TCP' });
      }
    }
    const podIP = view.pod.status?.podIP as string | undefined;
    if (!internal.length || !podIP) return { status: { currentNetworkState: 'NotReady' } };
    return {
      status: {
        internalAddresses: [{ ip: podIP, ports: internal }],
        externalAddresses: [{ ip: nodeAddress(view.node), ports: external }],
        currentNetworkState: 'Ready',
      },
    };
  }
}
