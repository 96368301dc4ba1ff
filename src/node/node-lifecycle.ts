// The part of kube-controller-manager's node lifecycle controller that the embedded cluster
// needs: a node whose Lease has not been renewed within its duration is marked Ready=Unknown
// ("Kubelet stopped posting node status.") and tainted unreachable, so the scheduler stops
// placing pods there. That happens to the nodes of an earlier `hotpod up --nodes 5` started
// again with `--nodes 3` on the same data dir. A node whose agent comes back is untainted.
// Pods are not evicted.

import type { Logger } from 'pino';
import { errorCode, type KubeClient } from '../kube/index.js';
import { rfc3339 } from '../util/time.js';
import { NODE_LEASE_NAMESPACE, UNREACHABLE_TAINT } from '../util/vocabulary.js';

type Json = Record<string, any>;

const CHECK_EVERY_MS = 5000;


function lastRenewal(lease: Json | undefined, node: Json): number {
  const renew = Date.parse(lease?.spec?.renewTime ?? '');
  if (!Number.isNaN(renew)) return renew;
  // No lease yet: the node's own heartbeat, or its registration.
  const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c?.type === 'Ready');
  const beat = Date.parse(ready?.lastHeartbeatTime ?? node.metadata?.creationTimestamp ?? '');
  return Number.isNaN(beat) ? 0 : beat;
}

/** The node as the controller would write it now, or undefined when nothing changes. Pure. */
export function nodeLifecycleUpdate(node: Json, lease: Json | undefined, now: number): Json | undefined {
  const duration = Number(lease?.spec?.leaseDurationSeconds ?? 40) * 1000;
  const stale = now - lastRenewal(lease, node) > duration;
  const conditions: Json[] = node.status?.conditions ?? [];
  const taints: Json[] = node.spec?.taints ?? [];
  const tainted = taints.some((t) => t?.key === UNREACHABLE_TAINT);
  if (stale) {
    const allUnknown = conditions.length > 0 && conditions.every((c) => c?.status === 'Unknown');
    if (allUnknown && tainted) return undefined;
    const at = rfc3339(now);
    return {
      ...node,
      spec: {
        ...node.spec,
        taints: tainted
          ? taints
          : [...taints, { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: at }, { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: at }],
      },
      status: {
        ...node.status,
        conditions: conditions.map((c) =>
          c.status === 'Unknown' ? c : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: at },
        ),
      },
    };
  }
  const ready = conditions.find((c) => c?.type === 'Ready')?.status === 'True';
  if (ready && tainted) {
    const rest = taints.filter((t) => t?.key !== UNREACHABLE_TAINT);
    return { ...node, spec: { ...node.spec, taints: rest.length ? rest : undefined } };
  }
  return undefined;
}

export class NodeLifecycle {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const [nodes, leases] = await Promise.all([
        this.client.request('GET', '/api/v1/nodes'),
        this.client.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`),
      ]);
      const byName = new Map<string, Json>(((leases.items ?? []) as Json[]).map((l) => [l.metadata.name, l]));
      for (const node of (nodes.items ?? []) as Json[]) {
        const next = nodeLifecycleUpdate(node, byName.get(node.metadata.name), Date.now());
        if (!next) continue;
        const path = `/api/v1/nodes/${node.metadata.name}`;
        try {
          // Taints live in the spec and conditions in the status: two writes, as the controller does.
          const written = JSON.stringify(next.spec) === JSON.stringify(node.spec) ? node : await this.client.request('PUT', path, { body: { ...node, spec: next.spec } });
          if (JSON.stringify(next.status) !== JSON.stringify(node.status)) await this.client.request('PUT', `${path}/status`, { body: { ...written, status: next.status } });
          this.logger.info({ node: node.metadata.name, ready: next.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status }, 'node lifecycle updated');
        } catch (err) {
          if (errorCode(err) !== 409 && errorCode(err) !== 404) throw err;
        }
      }
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'node lifecycle check failed');
    } finally {
      this.running = false;
    }
  }
}
