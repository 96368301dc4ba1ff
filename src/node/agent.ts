// One node agent (kubelet's role for one embedded node): registers the Node and keeps its
// Lease, hears of the pods bound to it (and only those, from the nodes' shared pod feed, or
// from a watch of its own), and hands each changed pod to the pod sync through a keyed work
// queue.

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type BackoffPolicy, KUBELET_BACKOFF } from './backoff.js';
import { EventRecorder, Informer, processQueue, WorkQueue, type IndexedCache, type KubeClient } from '../kube/index.js';
import { DEFAULT_HEARTBEAT, type HeartbeatOptions, NodeHeartbeat } from './node-heartbeat.js';
import { hostIPFor, type NodeResources, podCIDRFor } from './node-object.js';
import { PodIpAllocator } from './pod-ips.js';
import { PodSync, podKey } from './pod-sync.js';
import { SYNC_TIMEOUT_MS, type PodFeed } from './pod-feed.js';
import { type KubeletServer, startKubeletServer } from './kubelet-server.js';
import { webhookAuth } from './kubelet-auth.js';
import type { ContainerRuntime } from './runtime/types.js';

/** Pods of one node synced at the same time. */
const POD_WORKERS = 16;

/** KubeletConfiguration's eventRecordQPS and eventBurst. */
const KUBELET_EVENT_RATE = { qps: 50, burst: 100 };

type Json = Record<string, any>;

interface NodeAgentOptions {
  client: KubeClient;
  /** For Events, which must not hold up status writes (defaults to `client`). */
  eventClient?: KubeClient;
  name: string;
  /** Position among the embedded nodes: picks the pod CIDR. */
  index: number;
  /** The loopback site of this plane's nodes (loopback-site.ts); 0 when absent. */
  site?: number;
  /** `<data-dir>/nodes/<name>`. */
  nodeDir: string;
  hotPatch: boolean;
  runtimes: ContainerRuntime[];
  resources: NodeResources;
  logger: Logger;
  crashBackoff?: BackoffPolicy;
  pullBackoff?: BackoffPolicy;
  heartbeat?: HeartbeatOptions;
  /** The pods of every node, shared with the scheduler; without it the agent watches its own. */
  podFeed?: PodFeed;
}

export class NodeAgent {
  readonly pods: PodSync;
  private readonly queue: WorkQueue;
  private readonly logger: Logger;
  private readonly events: EventRecorder;
  private readonly podCIDR: string;
  private heartbeat?: NodeHeartbeat;
  private kubelet?: KubeletServer;
  private informer?: Informer<Json>;
  private podCache?: IndexedCache<Json>;
  private unsubscribe?: () => void;

  constructor(private readonly o: NodeAgentOptions) {
    const cidr = podCIDRFor(o.index, o.resources.pods, o.site);
    const logger = (this.logger = o.logger.child({ node: o.name }));
    this.podCIDR = cidr.cidr;
    this.queue = new WorkQueue();
    void processQueue(this.queue, POD_WORKERS, (key) =>
      this.pods.sync(key).catch((err) => {
        logger.error({ pod: key, err: err instanceof Error ? err.message : String(err) }, 'pod sync failed; retrying');
        this.queue.addAfter(key, 1000);
      }),
    );
    const podsDir = join(o.nodeDir, 'pods');
    mkdirSync(podsDir, { recursive: true });
    this.pods = new PodSync({
      client: o.client,
      nodeName: o.name,
      hostIP: hostIPFor(o.index, o.site),
      hotPatch: o.hotPatch,
      podsDir,
      runtimes: o.runtimes,
      ips: new PodIpAllocator(cidr.first, cidr.size),
      events: (this.events = new EventRecorder(o.eventClient ?? o.client, { component: 'kubelet', host: o.name, instance: o.name, rate: KUBELET_EVENT_RATE, logger })),
      crashBackoff: o.crashBackoff ?? KUBELET_BACKOFF,
      pullBackoff: o.pullBackoff ?? KUBELET_BACKOFF,
      allocatable: { cpu: o.resources.cpu, memory: `${o.resources.memoryMi - 100}Mi` },
      logger,
      getPod: (key) => {
        const pod = this.podCache?.get(key);
        return pod?.spec?.nodeName === o.name ? pod : undefined;
      },
      enqueue: (key) => this.queue.add(key),
      enqueueAt: (key, at) => this.queue.addAfter(key, at - Date.now()),
    });
  }

  get name(): string {
    return this.o.name;
  }

  async start(): Promise<void> {
    // The kubelet endpoint first: the Node advertises its port.
    this.kubelet = await startKubeletServer((namespace, pod, container, previous) => this.pods.logPath(namespace, pod, container, previous), {
      containers: () => this.o.runtimes.flatMap((r) => r.list().map((c) => ({ ...c, runtime: r.name }))),
      auth: webhookAuth(this.o.client, this.o.name),
      address: hostIPFor(this.o.index, this.o.site),
      exec: (namespace, pod, container, command, stdin) => this.pods.exec(namespace, pod, container, command, stdin),
      attach: (namespace, pod, container, stdin) => this.pods.attach(namespace, pod, container, stdin),
      portForward: (namespace, pod) => this.pods.portForwardTarget(namespace, pod),
    });
    this.heartbeat = new NodeHeartbeat(
      this.o.client,
      { name: this.o.name, index: this.o.index, hotPatch: this.o.hotPatch, podCIDR: this.podCIDR, hostIP: hostIPFor(this.o.index, this.o.site), resources: this.o.resources, kubeletPort: this.kubelet.port, bootID: randomUUID() },
      this.o.heartbeat ?? DEFAULT_HEARTBEAT,
      this.logger,
    );
    await this.heartbeat.start();
    const feed = this.o.podFeed;
    if (feed) {
      this.podCache = feed.cache;
      this.unsubscribe = feed.subscribeNode(this.o.name, (pod) => this.queue.add(podKey(pod)));
      // Pods bound before we subscribed are in the cache already.
      for (const pod of feed.cache.list()) if (pod.spec?.nodeName === this.o.name) this.queue.add(podKey(pod));
      await feed.synced();
      return;
    }
    this.informer = new Informer<Json>(this.o.client, { apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${this.o.name}`, namespaceIndexOnly: true, logger: this.logger });
    this.informer.onChange((pod) => this.queue.add(podKey(pod)));
    this.podCache = this.informer.cache;
    this.informer.start();
    await this.informer.waitForSync(SYNC_TIMEOUT_MS);
  }

  /** Stops watching and heartbeating, and stops the containers (hotpod is exiting). */
  async stop(graceSeconds = 1): Promise<void> {
    this.heartbeat?.stop();
    this.unsubscribe?.();
    await this.informer?.stop();
    this.queue.shutDown();
    await this.pods.shutdown(graceSeconds);
    this.events.close();
    await this.kubelet?.close();
  }
}
