// The embedded scheduler (kube-scheduler's role): watches nodes and pods, places each pod that
// has no node with placePod, and binds it through pods/binding. A pod that fits nowhere gets
// PodScheduled=False, reason Unschedulable, with kube-scheduler's message, and is retried
// whenever a node or pod changes.

import type { Logger } from 'pino';
import { EventRecorder } from './events.js';
import { runInformer, type RunningInformer } from './informer.js';
import { isStatus, type KubeClient } from './kube-client.js';
import { type NodeUsage, placePod, podRequests } from './placement.js';

type Json = Record<string, any>;

export const SCHEDULER_NAME = 'default-scheduler';
const MAX_BINDS_IN_FLIGHT = 32;
const RETRY_MS = 1000;

const rfc3339 = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function finished(pod: Json): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Pods this scheduler should place: unbound, alive, ours, not gated. */
export function wantsScheduling(pod: Json): boolean {
  const spec = pod.spec ?? {};
  if (spec.nodeName || pod.metadata?.deletionTimestamp || finished(pod)) return false;
  if ((spec.schedulerName ?? SCHEDULER_NAME) !== SCHEDULER_NAME) return false;
  return (spec.schedulingGates ?? []).length === 0;
}

/** Higher priority first, then older first: kube-scheduler's queue order. */
function queueOrder(a: Json, b: Json): number {
  const pa = Number(a.spec?.priority ?? 0);
  const pb = Number(b.spec?.priority ?? 0);
  if (pa !== pb) return pb - pa;
  const ta = String(a.metadata?.creationTimestamp ?? '');
  const tb = String(b.metadata?.creationTimestamp ?? '');
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

export class Scheduler {
  private pods?: RunningInformer<Json>;
  private nodes?: RunningInformer<Json>;
  private readonly events: EventRecorder;
  /** Pods bound by us that the informer does not show bound yet: uid → node. */
  private readonly assumed = new Map<string, string>();
  /** The last Unschedulable message written per pod uid, to write and record it once. */
  private readonly reported = new Map<string, string>();
  private bindsInFlight = 0;
  private passQueued = false;
  private passRunning = false;
  private passAgain = false;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
  ) {
    this.events = new EventRecorder(client, { component: SCHEDULER_NAME });
  }

  async start(): Promise<void> {
    const changed = () => this.queuePass();
    this.nodes = await runInformer<Json>(this.client, '/api/v1/nodes', {}, changed, this.logger.child({ informer: 'nodes' }));
    this.pods = await runInformer<Json>(this.client, '/api/v1/pods', {}, changed, this.logger.child({ informer: 'pods' }));
    this.queuePass();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.pods?.stop();
    await this.nodes?.stop();
  }

  private queuePass(): void {
    if (this.stopped) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    if (this.passQueued) return;
    this.passQueued = true;
    // Coalesce a burst of events (a thousand pods created at once) into one pass.
    setImmediate(() => {
      this.passQueued = false;
      this.passRunning = true;
      this.pass()
        .catch((err) => this.logger.error({ err: String(err) }, 'scheduling pass failed'))
        .finally(() => {
          this.passRunning = false;
          if (this.passAgain) {
            this.passAgain = false;
            this.queuePass();
          }
        });
    });
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.queuePass();
    }, RETRY_MS);
  }

  private usage(allPods: readonly Json[]): Map<string, NodeUsage> {
    const usage = new Map<string, NodeUsage>();
    for (const node of this.nodes!.cache.list()) usage.set(node.metadata.name, { node, pods: 0, cpuMilli: 0, memoryBytes: 0 });
    const add = (nodeName: string, pod: Json) => {
      const u = usage.get(nodeName);
      if (!u) return;
      const req = podRequests(pod);
      u.pods++;
      u.cpuMilli += req.cpuMilli;
      u.memoryBytes += req.memoryBytes;
    };
    for (const pod of allPods) {
      const uid = pod.metadata.uid;
      if (pod.spec?.nodeName) {
        this.assumed.delete(uid);
        if (!finished(pod)) add(pod.spec.nodeName, pod);
      } else {
        const assumedNode = this.assumed.get(uid);
        if (assumedNode) add(assumedNode, pod);
      }
    }
    return usage;
  }

  private async pass(): Promise<void> {
    // Node events can arrive before the pod informer has its first list.
    if (!this.pods || !this.nodes) return;
    const allPods = [...this.pods!.cache.list()];
    const alive = new Set(allPods.map((p) => p.metadata.uid));
    for (const uid of this.assumed.keys()) if (!alive.has(uid)) this.assumed.delete(uid);
    for (const uid of this.reported.keys()) if (!alive.has(uid)) this.reported.delete(uid);
    const usage = this.usage(allPods);
    const pending = allPods.filter((p) => wantsScheduling(p) && !this.assumed.has(p.metadata.uid)).sort(queueOrder);
    const writes: Promise<void>[] = [];
    for (const pod of pending) {
      if (this.bindsInFlight >= MAX_BINDS_IN_FLIGHT) {
        this.passAgain = true;
        break;
      }
      const placement = placePod(pod, [...usage.values()]);
      if ('node' in placement) {
        const u = usage.get(placement.node)!;
        const req = podRequests(pod);
        u.pods++;
        u.cpuMilli += req.cpuMilli;
        u.memoryBytes += req.memoryBytes;
        this.assumed.set(pod.metadata.uid, placement.node);
        void this.bind(pod, placement.node);
      } else {
        writes.push(this.reportUnschedulable(pod, placement.unschedulable));
      }
    }
    await Promise.all(writes);
  }

  private async bind(pod: Json, node: string): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    this.bindsInFlight++;
    try {
      await this.client.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace, uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.reported.delete(uid);
      this.events.pod(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (err) {
      this.assumed.delete(uid);
      // 409: bound by someone else or being deleted; 404: gone. Both settle on the next pass.
      if (!isStatus(err, 409) && !isStatus(err, 404)) {
        this.logger.warn({ pod: `${namespace}/${name}`, node, err: String(err) }, 'binding failed; retrying');
        this.retryLater();
      }
    } finally {
      this.bindsInFlight--;
      this.queuePass();
    }
  }

  private async reportUnschedulable(pod: Json, message: string): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const conditions: Json[] = pod.status?.conditions ?? [];
    const old = conditions.find((c) => c?.type === 'PodScheduled');
    if (old?.status === 'False' && old.reason === 'Unschedulable' && old.message === message) return;
    if (this.reported.get(uid) === message) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: old?.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(),
      reason: 'Unschedulable',
      message,
    };
    const status = { ...(pod.status ?? {}), conditions: [...conditions.filter((c) => c?.type !== 'PodScheduled'), condition] };
    try {
      await this.client.request('PUT', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { ...pod, status });
      this.reported.set(uid, message);
      this.events.pod(pod, 'Warning', 'FailedScheduling', message);
    } catch (err) {
      // A newer pod (409) or none (404): the next pass sees it.
      if (!isStatus(err, 409) && !isStatus(err, 404)) {
        this.logger.warn({ pod: `${namespace}/${name}`, err: String(err) }, 'could not report unschedulable pod');
        this.retryLater();
      }
    }
  }
}
