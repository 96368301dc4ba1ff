// A server's network as OpenKruiseGame records it: the plugin's finding in the pod annotation
// game.kruise.io/network-status (OKG's JSON, field for field), and the GameServer's
// status.networkStatus built from it as OKG's GameServer controller builds it. Pure.

export type NetworkState = 'Ready' | 'NotReady' | 'Waiting';

export interface NetworkPort {
  name: string;
  protocol?: string;
  port?: number | string;
}

export interface NetworkAddress {
  ip: string;
  ports?: NetworkPort[];
  portRange?: { protocol?: string; portRange?: string };
  endPoint?: string;
}

export interface NetworkStatus {
  networkType?: string;
  internalAddresses?: NetworkAddress[];
  externalAddresses?: NetworkAddress[];
  desiredNetworkState?: string;
  currentNetworkState?: string;
  createTime?: string | null;
  lastTransitionTime?: string | null;
}

/**
 * The annotation's JSON as OKG's Go encoder writes it (field order, empty fields left out, the
 * two times `null` when unset), so a reader of OKG's pods reads hotpod's alike.
 */
export function encodeNetworkStatus(s: NetworkStatus): string {
  const out: Record<string, unknown> = {};
  if (s.networkType) out.networkType = s.networkType;
  if (s.internalAddresses?.length) out.internalAddresses = s.internalAddresses.map(encodeAddress);
  if (s.externalAddresses?.length) out.externalAddresses = s.externalAddresses.map(encodeAddress);
  if (s.desiredNetworkState) out.desiredNetworkState = s.desiredNetworkState;
  if (s.currentNetworkState) out.currentNetworkState = s.currentNetworkState;
  out.createTime = s.createTime ?? null;
  out.lastTransitionTime = s.lastTransitionTime ?? null;
  return JSON.stringify(out);
}

function encodeAddress(a: NetworkAddress): Record<string, unknown> {
  const out: Record<string, unknown> = { ip: a.ip ?? '' };
  if (a.ports?.length) out.ports = a.ports.map((p) => ({ name: p.name, ...(p.protocol ? { protocol: p.protocol } : {}), ...(p.port !== undefined ? { port: p.port } : {}) }));
  if (a.portRange) out.portRange = a.portRange;
  if (a.endPoint) out.endPoint = a.endPoint;
  return out;
}

/** The annotation read back; undefined when absent or not JSON (OKG treats both as no status). */
export function decodeNetworkStatus(text: string | undefined): NetworkStatus | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as NetworkStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** What the GameServer's network should be in: NotReady while the server is taken out of it. */
export function desiredNetworkState(disabled: boolean): NetworkState {
  return disabled ? 'NotReady' : 'Ready';
}

/**
 * The GameServer's status.networkStatus (OKG's syncNetworkStatus): made when the pod first has a
 * network type (createTime); addresses and current state copied from the pod's annotation (none:
 * NotReady); desired state from networkDisabled. lastTransitionTime moves when the desired state
 * does, or when a server without a finding becomes NotReady (OKG moves it on every pass then;
 * hotpod only when it changes, so a steady server costs no write). Undefined: no network.
 */
export function gameServerNetworkStatus(
  previous: NetworkStatus | undefined,
  pod: { type: string | undefined; status: NetworkStatus | undefined; disabled: boolean },
  nowIso: string,
): NetworkStatus | undefined {
  if (!pod.type) return undefined;
  const desired = desiredNetworkState(pod.disabled);
  const fresh = !previous || Object.keys(previous).length === 0;
  const next: NetworkStatus = fresh ? { networkType: pod.type, desiredNetworkState: desired, createTime: nowIso, lastTransitionTime: nowIso } : { ...previous };
  // OKG keeps the first type; a set's type cannot change, but a network removed and added again may.
  next.networkType = pod.type;
  if (!pod.status) {
    delete next.internalAddresses;
    delete next.externalAddresses;
    if (next.currentNetworkState !== 'NotReady') next.lastTransitionTime = nowIso;
    next.currentNetworkState = 'NotReady';
  } else {
    setOrDrop(next, 'internalAddresses', pod.status.internalAddresses);
    setOrDrop(next, 'externalAddresses', pod.status.externalAddresses);
    setOrDrop(next, 'currentNetworkState', pod.status.currentNetworkState);
  }
  if (next.desiredNetworkState !== desired) {
    next.desiredNetworkState = desired;
    next.lastTransitionTime = nowIso;
  }
  return next;
}

function setOrDrop<K extends 'internalAddresses' | 'externalAddresses' | 'currentNetworkState'>(s: NetworkStatus, key: K, value: NetworkStatus[K]): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0) || value === '') delete s[key];
  else s[key] = value;
}

export interface NetworkWaitConfig {
  /** How long after lastTransitionTime a server is looked at again while its network differs (OKG: NETWORK_TOTAL_WAIT_TIME, 60 s). */
  totalWaitMs: number;
  /** How often (OKG: NETWORK_PROBE_INTERVAL_TIME, 5 s). */
  intervalMs: number;
}

export const DEFAULT_NETWORK_WAIT: NetworkWaitConfig = { totalWaitMs: 60_000, intervalMs: 5_000 };

/** OKG's environment variables, in whole seconds; throws on a value that is not one (OKG exits). */
export function networkWaitFromEnv(env: Record<string, string | undefined>): NetworkWaitConfig {
  const seconds = (name: string, fallbackMs: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallbackMs;
    if (!/^[+-]?\d+$/.test(v)) throw new Error(`failed to convert ${name}=${v} in env: not a whole number of seconds`);
    return Number(v) * 1000;
  };
  return { totalWaitMs: seconds('NETWORK_TOTAL_WAIT_TIME', DEFAULT_NETWORK_WAIT.totalWaitMs), intervalMs: seconds('NETWORK_PROBE_INTERVAL_TIME', DEFAULT_NETWORK_WAIT.intervalMs) };
}

/**
 * OKG's WaitOrNot: while the current state is not the desired one, look again every interval
 * until the total wait since lastTransitionTime has passed; past it, the wait has timed out
 * (OKG's Warning Event `GsNetworkState`).
 */
export function networkWait(s: NetworkStatus | undefined, nowMs: number, config: NetworkWaitConfig): { recheckInMs?: number; timedOutAfterMs?: number } {
  if (!s || s.desiredNetworkState === s.currentNetworkState) return {};
  const since = Date.parse(s.lastTransitionTime ?? '');
  const waited = Number.isFinite(since) ? nowMs - since : Infinity;
  if (waited < config.totalWaitMs) return { recheckInMs: config.intervalMs };
  return { timedOutAfterMs: waited };
}
