// The embedded scheduler (kube-scheduler's role): watches nodes and pods, places each pod that
// has no node with placePod, and binds it through pods/binding. A pod that fits nowhere gets
// PodScheduled=False, reason Unschedulable, with kube-scheduler's message, and is retried
// whenever a node or pod changes.

import type { Logger } from 'pino';
import { SYNC_TIMEOUT_MS, type PodFeed } from './pod-feed.js';
import { errorCode, EventRecorder, eventNanos, Informer, type IndexedCache, type KubeClient } from '../kube/index.js';
import { hostPortKeys, type NodeUsage, type PodRequests, placePod, podRequests } from './placement.js';
import { rfc3339 } from '../util/time.js';
import { DEFAULT_SCHEDULER } from '../util/vocabulary.js';

type Json = Record<string, any>;

const MAX_BINDS_IN_FLIGHT = 32;
const RETRY_MS = 1000;


function finished(pod: Json): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Pods this scheduler should place: unbound, alive, ours, not gated. */
function wantsScheduling(pod: Json): boolean {
  const spec = pod.spec ?? {};
  if (spec.nodeName || pod.metadata?.deletionTimestamp || finished(pod)) return false;
  if ((spec.schedulerName ?? DEFAULT_SCHEDULER) !== DEFAULT_SCHEDULER) return false;
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
  private pods?: { cache: IndexedCache<Json>; synced(): Promise<void> };
  private stopPods?: () => Promise<void> | void;
  private nodes?: Informer<Json>;
  private readonly events: EventRecorder;
  /** Pods bound by us that the informer does not show bound yet: uid → node. */
  private readonly assumed = new Map<string, string>();
  /** The last Unschedulable message written per pod uid, to write and record it once. */
  private readonly reported = new Map<string, string>();
  /** `namespace/name` of the pods without a node (some may be assumed, bound by us already). */
  private readonly pending = new Set<string>();
  private bindsInFlight = 0;
  private readonly bindSlots: (() => void)[] = [];
  /** Requests per pod object (the informer replaces the object when the pod changes). */
  private readonly requests = new WeakMap<Json, PodRequests>();
  private passQueued = false;
  private passRunning = false;
  private passAgain = false;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    /** Events go through their own connections so they never hold up bindings. */
    eventClient: KubeClient = client,
    /** The nodes' shared pod informer; without it the scheduler watches pods itself. */
    private readonly podFeed?: PodFeed,
  ) {
    this.events = new EventRecorder(eventClient, { component: DEFAULT_SCHEDULER, logger });
  }

  async start(): Promise<void> {
    const nodeChanged = () => {
      // A node that changed may now take a pod that fitted nowhere.
      if (this.pending.size > 0) this.queuePass();
    };
    const nodes = (this.nodes = new Informer<Json>(this.client, { apiVersion: 'v1', kind: 'Node', namespaceIndexOnly: true, logger: this.logger }));
    nodes.onChange(nodeChanged);
    nodes.start();
    if (this.podFeed) {
      this.pods = this.podFeed;
      this.stopPods = this.podFeed.subscribe((pod) => this.podChanged(pod));
      for (const pod of this.podFeed.cache.list()) this.podChanged(pod);
    } else {
      const own = new Informer<Json>(this.client, { apiVersion: 'v1', kind: 'Pod', namespaceIndexOnly: true, logger: this.logger });
      own.onChange((pod) => this.podChanged(pod));
      own.start();
      this.pods = { cache: own.cache, synced: () => own.waitForSync(SYNC_TIMEOUT_MS) };
      this.stopPods = () => own.stop();
    }
    await Promise.all([nodes.waitForSync(SYNC_TIMEOUT_MS), this.pods.synced()]);
    this.synced = true;
    this.queuePass();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.stopPods?.();
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
      take(u, pod, this.requestsOf(pod));
    };
    for (const pod of allPods) {
      const uid = pod.metadata.uid;
      if (pod.spec?.nodeName) {
        if (!finished(pod)) add(pod.spec.nodeName, pod);
      } else {
        const assumedNode = this.assumed.get(uid);
        if (assumedNode) add(assumedNode, pod);
      }
    }
    return usage;
  }

  private requestsOf(pod: Json): PodRequests {
    let req = this.requests.get(pod);
    if (!req) this.requests.set(pod, (req = podRequests(pod)));
    return req;
  }

  /** Keeps the set of pods waiting for a node, so a pass looks at those only. */
  private podChanged(pod: Json): void {
    const { namespace, name, uid } = pod.metadata;
    const key = `${namespace}/${name}`;
    const current = this.pods?.cache.get({ namespace, name });
    if (!current || current.metadata.uid !== uid) {
      // Deleted (the cache drops an object before its handlers run).
      this.assumed.delete(uid);
      this.reported.delete(uid);
      if (!current) this.pending.delete(key);
      return;
    }
    if (pod.spec?.nodeName) this.assumed.delete(uid);
    if (wantsScheduling(pod)) {
      this.pending.add(key);
      this.queuePass();
    } else {
      this.pending.delete(key);
      this.reported.delete(uid);
    }
  }

  private async pass(): Promise<void> {
    // Placing from half a list could overfill a node.
    if (!this.synced || !this.pods || !this.nodes) return;
    const cache = this.pods.cache;
    const pending = [...this.pending]
      .map((key) => cache.get(key))
      .filter((p): p is Json => p !== undefined && wantsScheduling(p) && !this.assumed.has(p.metadata.uid))
      .sort(queueOrder);
    if (pending.length === 0) return;
    const usage = this.usage(cache.list());
    const writes: Promise<void>[] = [];
    for (const pod of pending) {
      const placement = placePod(pod, [...usage.values()], this.requestsOf(pod));
      if ('node' in placement) {
        take(usage.get(placement.node)!, pod, this.requestsOf(pod));
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
    // Placed now (the pod is assumed on its node), bound as a slot frees up.
    if (this.bindsInFlight >= MAX_BINDS_IN_FLIGHT) await new Promise<void>((resolve) => this.bindSlots.push(resolve));
    this.bindsInFlight++;
    // The node may start the pod before the binding's answer is read here: the Scheduled event
    // is named by the time of the binding, so `kubectl get events` still lists it first.
    const boundAt = eventNanos();
    try {
      await this.client.request(
        'POST',
        `/api/v1/namespaces/${namespace}/pods/${name}/binding`,
        { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } }, ignoreAnswer: true },
      );
      this.reported.delete(uid);
      this.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`, { at: boundAt });
    } catch (err) {
      this.assumed.delete(uid);
      // 409: bound by someone else or being deleted; 404: gone. Both settle on the next pass.
      if (errorCode(err) !== 409 && errorCode(err) !== 404) {
        this.logger.warn({ pod: `${namespace}/${name}`, node, err: String(err) }, 'binding failed; retrying');
        this.retryLater();
      }
    } finally {
      this.bindsInFlight--;
      this.bindSlots.shift()?.();
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
      await this.client.request('PUT', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { body: { ...pod, status } });
      this.reported.set(uid, message);
      this.events.event(pod, 'Warning', 'FailedScheduling', message);
    } catch (err) {
      // A newer pod (409) or none (404): the next pass sees it.
      if (errorCode(err) !== 409 && errorCode(err) !== 404) {
        this.logger.warn({ pod: `${namespace}/${name}`, err: String(err) }, 'could not report unschedulable pod');
        this.retryLater();
      }
    }
  }
}

/** What a pod placed on a node holds of it. */
function take(u: NodeUsage, pod: Json, req: PodRequests): void {
  u.pods++;
  u.cpuMilli += req.cpuMilli;
  u.memoryBytes += req.memoryBytes;
  for (const k of hostPortKeys(pod)) (u.hostPorts ??= new Set()).add(k);
}
