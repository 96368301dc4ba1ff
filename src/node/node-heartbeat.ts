// A node's presence in the API: registration of its Node object, the node status heartbeat,
// and its Lease in kube-node-lease, which is what the control plane reads to know the node is
// alive (kubelet renews it every 10 s and posts status far less often).

import type { Logger } from 'pino';
import { errorCode, type KubeClient } from '../kube/index.js';
import { type NodeDescription, nodeObject, nodeStatus } from './node-object.js';
import { microTime, rfc3339 } from '../util/time.js';
import { HOT_PATCH_LABEL, NODE_LEASE_NAMESPACE } from '../util/vocabulary.js';

type Json = Record<string, any>;

const LEASE_DURATION_SECONDS = 40;

export interface HeartbeatOptions {
  leaseRenewMs: number;
  statusUpdateMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { leaseRenewMs: 10_000, statusUpdateMs: 20_000 };

export class NodeHeartbeat {
  private nodeUid = '';
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly node: NodeDescription,
    private readonly opts: HeartbeatOptions,
    private readonly logger: Logger,
  ) {}

  /** Registers (or takes over) the Node, reports status, creates the Lease, then keeps both fresh. */
  async start(): Promise<void> {
    await this.register();
    await this.renewLease();
    this.every(this.opts.leaseRenewMs, () => this.renewLease());
    this.every(this.opts.statusUpdateMs, () => this.postStatus());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let running = false;
    const t = setInterval(() => {
      if (running || this.stopped) return;
      running = true;
      fn()
        .catch((err) => this.logger.warn({ err: String(err), node: this.node.name }, 'node heartbeat failed'))
        .finally(() => (running = false));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private async register(): Promise<void> {
    const wanted = nodeObject(this.node);
    const path = `/api/v1/nodes/${this.node.name}`;
    let current: Json;
    try {
      current = await this.client.request('POST', '/api/v1/nodes', { body: wanted });
    } catch (err) {
      if (errorCode(err) !== 409) throw err;
      // Registered before (a restart on the same data): keep what others set, refresh ours.
      const existing = await this.client.request('GET', path);
      const next = {
        ...existing,
        metadata: {
          ...existing.metadata,
          labels: { ...existing.metadata.labels, ...wanted.metadata.labels },
          annotations: { ...existing.metadata.annotations, ...wanted.metadata.annotations },
        },
        spec: { ...existing.spec, ...wanted.spec },
      };
      if (!this.node.hotPatch) delete next.metadata.labels[HOT_PATCH_LABEL];
      current = await this.client.request('PUT', path, { body: next });
    }
    this.nodeUid = current.metadata.uid;
    await this.client.request('PUT', `${path}/status`, { body: { ...current, status: nodeStatus(this.node, rfc3339(), current.status) } });
  }

  private async postStatus(): Promise<void> {
    const path = `/api/v1/nodes/${this.node.name}`;
    let current: Json;
    try {
      current = await this.client.request('GET', path);
    } catch (err) {
      // Deleted by someone: kubelet registers itself again.
      if (errorCode(err) === 404) return this.register();
      throw err;
    }
    await this.client.request('PUT', `${path}/status`, { body: { ...current, status: nodeStatus(this.node, rfc3339(), current.status) } });
  }

  private async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${this.node.name}`;
    const spec = { holderIdentity: this.node.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime() };
    let lease: Json | undefined;
    try {
      lease = await this.client.request('GET', path);
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
    if (lease) {
      await this.client.request('PUT', path, { body: { ...lease, spec: { ...lease.spec, ...spec } } });
      return;
    }
    await this.client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`, { body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.node.name,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.node.name, uid: this.nodeUid }],
      },
      spec,
    } });
  }
}
