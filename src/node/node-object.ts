// The Node object an agent registers and the status it reports, shaped like kubelet's so that
// `kubectl get/describe nodes` and anything reading nodes see what a real cluster shows.

import { createHash } from 'node:crypto';
import { release } from 'node:os';
import { HOT_PATCH_LABEL, SERVICE_QUALITY_NODE_LABEL } from '../util/vocabulary.js';

type Json = Record<string, any>;

const KUBELET_VERSION = 'v1.35.0-hotpod';
const CONTAINER_RUNTIME_VERSION = 'hotpod://0.1.0';

export interface NodeResources {
  /** Cores, as a quantity: "4". */
  cpu: string;
  /** Memory capacity in MiB. */
  memoryMi: number;
  pods: number;
}

export const DEFAULT_NODE_RESOURCES: NodeResources = { cpu: '4', memoryMi: 8192, pods: 110 };

/** Kubelet's default hard eviction threshold is kept out of allocatable memory. */
const EVICTION_RESERVE_MI = 100;

export interface NodeDescription {
  name: string;
  /** Distinguishes this node's machine and system IDs. */
  index: number;
  hotPatch: boolean;
  podCIDR: string;
  /** The node's address (hostIPFor). */
  hostIP: string;
  resources: NodeResources;
  kubeletPort: number;
  /** Random per agent start, as a boot ID is per boot. */
  bootID: string;
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The node's own metadata and spec, as kubelet registers them. */
export function nodeObject(d: NodeDescription): Json {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/hostname': d.name,
    'kubernetes.io/os': 'linux',
  };
  if (d.hotPatch) labels[HOT_PATCH_LABEL] = 'true';
  labels[SERVICE_QUALITY_NODE_LABEL] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: d.name,
      labels,
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: d.podCIDR, podCIDRs: [d.podCIDR] },
  };
}

const CONDITIONS: [type: string, status: string, reason: string, message: string][] = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
];

/** The status kubelet reports; transition times are kept from `previous` while a condition holds. */
export function nodeStatus(d: NodeDescription, now: string, previous?: Json): Json {
  const before: Json[] = Array.isArray(previous?.conditions) ? previous!.conditions : [];
  const memKi = d.resources.memoryMi * 1024;
  const storageKi = 100 * 1024 * 1024;
  const conditions = CONDITIONS.map(([type, status, reason, message]) => {
    const old = before.find((c) => c?.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
      reason,
      message,
    };
  });
  return {
    capacity: {
      cpu: d.resources.cpu,
      'ephemeral-storage': `${storageKi}Ki`,
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${memKi}Ki`,
      pods: String(d.resources.pods),
    },
    allocatable: {
      cpu: d.resources.cpu,
      'ephemeral-storage': `${Math.floor(storageKi * 0.9)}Ki`,
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${memKi - EVICTION_RESERVE_MI * 1024}Ki`,
      pods: String(d.resources.pods),
    },
    conditions,
    addresses: [
      { type: 'InternalIP', address: d.hostIP },
      { type: 'Hostname', address: d.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: d.kubeletPort } },
    nodeInfo: {
      machineID: hex(`hotpod-machine/${d.name}`, 32),
      systemUUID: formatUuid(hex(`hotpod-system/${d.name}`, 32)),
      bootID: d.bootID,
      kernelVersion: release(),
      osImage: 'hotpod embedded node',
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(),
    },
  };
}

function formatUuid(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * `127.100.<i>.0/24` for the default 110 pods (site 0; loopback-site.ts); larger blocks when a node may hold more. Inside
 * loopback, so that a server a pod binds to its IP is reachable there from this machine (hooks,
 * players, tests), and nothing ever routes to an address outside it.
 */
export function podCIDRFor(index: number, maxPods: number, site = 0): { cidr: string; first: number; size: number } {
  let size = 256;
  while (size < maxPods + 2) size *= 2;
  const base = ((127 << 24) >>> 0) + ((100 + 4 * site) << 16);
  const first = base + index * size;
  return { cidr: `${ipText(first)}/${32 - Math.log2(size)}`, first, size };
}

/** node-<i>'s address (InternalIP, its pods' hostIP, where its kubelet listens): `127.<site>.<i>.1`. */
export function hostIPFor(index: number, site = 0): string {
  return `127.${site}.${index % 256}.1`;
}

export function ipText(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}
