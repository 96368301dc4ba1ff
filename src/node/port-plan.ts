// Which ports the embedded nodes listen on and where each forwards: the hostPorts of the pods
// they run (kubelet's CNI portmap) and every NodePort Service's nodePorts on every node
// (kube-proxy). Pure: computed again from the pod and Service caches on every change.

type Json = Record<string, any>;

export type Protocol = 'TCP' | 'UDP';

/** A pod a forwarded connection ends at. */
export interface Backend {
  podUid: string;
  ip: string;
  port: number;
}

/** One listening socket: `ip:port/protocol`, and where new connections go. */
export interface Listener {
  key: string;
  ip: string;
  port: number;
  protocol: Protocol;
  /** Empty: new connections are refused (a nodePort whose Service selects no ready pod). */
  backends: Backend[];
  /** hostPort: the pod that asked for it (its Events name the port when it cannot be had). */
  owner?: { pod: Json; hostPort: number };
}

export function listenerKey(ip: string, port: number, protocol: string): string {
  return `${ip}:${port}/${protocol}`;
}

/** A pod whose containers may run: bound, given an IP, not finished. */
function running(pod: Json): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName && pod.status?.podIP) && phase !== 'Succeeded' && phase !== 'Failed';
}

function ready(pod: Json): boolean {
  return ((pod.status?.conditions ?? []) as Json[]).some((c) => c?.type === 'Ready' && c.status === 'True');
}

function containers(pod: Json): Json[] {
  return [...((pod.spec?.containers ?? []) as Json[]), ...((pod.spec?.initContainers ?? []) as Json[])];
}

/** The pods whose connections may stay open: running ones (terminating included, until they stop). */
export function livePodUids(pods: Iterable<Json>): Set<string> {
  const out = new Set<string>();
  for (const p of pods) if (running(p)) out.add(p.metadata.uid);
  return out;
}

/**
 * Every listener the nodes want. `nodes`: node name → its address. hostPorts listen on the
 * pod's node (a hostIP other than that node's address or 0.0.0.0 is not one of its addresses:
 * skipped, as a bind there would fail); nodePorts listen on every node.
 */
export function planListeners(pods: readonly Json[], services: readonly Json[], nodes: ReadonlyMap<string, string>): Map<string, Listener> {
  const out = new Map<string, Listener>();
  for (const pod of pods) {
    if (!running(pod)) continue;
    const nodeIP = nodes.get(pod.spec.nodeName);
    if (!nodeIP) continue;
    for (const c of containers(pod)) {
      for (const p of (c?.ports ?? []) as Json[]) {
        if (!p?.hostPort) continue;
        if (p.hostIP && p.hostIP !== '0.0.0.0' && p.hostIP !== nodeIP) continue;
        const protocol = (p.protocol ?? 'TCP') as Protocol;
        if (protocol !== 'TCP' && protocol !== 'UDP') continue;
        const key = listenerKey(nodeIP, p.hostPort, protocol);
        // Two pods on one port: the scheduler keeps that from happening; the first one keeps it.
        if (out.has(key)) continue;
        out.set(key, { key, ip: nodeIP, port: p.hostPort, protocol, backends: [{ podUid: pod.metadata.uid, ip: pod.status.podIP, port: p.containerPort }], owner: { pod, hostPort: p.hostPort } });
      }
    }
  }
  // A Service per GameServer means a thousand Services over a thousand pods: candidates come
  // from an index on one label pair, not from a scan of every pod per Service.
  const byLabel = new Map<string, Json[]>();
  for (const pod of pods) {
    for (const [k, v] of Object.entries((pod.metadata?.labels ?? {}) as Record<string, string>)) {
      const key = `${pod.metadata?.namespace}/${k}=${v}`;
      const list = byLabel.get(key);
      if (list) list.push(pod);
      else byLabel.set(key, [pod]);
    }
  }
  for (const svc of services) {
    const type = svc.spec?.type;
    if (type !== 'NodePort' && type !== 'LoadBalancer') continue;
    const [first] = Object.entries((svc.spec?.selector ?? {}) as Record<string, string>);
    const endpoints = first ? serviceEndpoints(svc, byLabel.get(`${svc.metadata?.namespace}/${first[0]}=${first[1]}`) ?? []) : [];
    for (const sp of (svc.spec?.ports ?? []) as Json[]) {
      if (!sp?.nodePort) continue;
      const protocol = (sp.protocol ?? 'TCP') as Protocol;
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      const backends = endpoints.flatMap((pod) => {
        const port = targetPort(pod, sp, protocol);
        return port ? [{ podUid: pod.metadata.uid as string, ip: pod.status.podIP as string, port }] : [];
      });
      for (const ip of nodes.values()) {
        const key = listenerKey(ip, sp.nodePort, protocol);
        if (!out.has(key)) out.set(key, { key, ip, port: sp.nodePort, protocol, backends });
      }
    }
  }
  return out;
}

/** The pods a Service sends new connections to: selected, running, Ready (or publishNotReadyAddresses), not terminating. */
export function serviceEndpoints(svc: Json, pods: readonly Json[]): Json[] {
  const selector = svc.spec?.selector as Record<string, string> | undefined;
  // A Service without a selector has hand-made endpoints, which nothing here reads.
  if (!selector || Object.keys(selector).length === 0) return [];
  const ns = svc.metadata?.namespace;
  const notReadyToo = svc.spec?.publishNotReadyAddresses === true;
  return pods.filter((pod) => {
    if (pod.metadata?.namespace !== ns || !running(pod) || pod.metadata?.deletionTimestamp) return false;
    const labels = pod.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
    return notReadyToo || ready(pod);
  });
}

/** A Service port's targetPort on one pod: a number, or the name of one of its container ports. */
function targetPort(pod: Json, sp: Json, protocol: string): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(String(t))) return Number(t);
  for (const c of containers(pod)) {
    for (const p of (c?.ports ?? []) as Json[]) if (p?.name === t && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}
