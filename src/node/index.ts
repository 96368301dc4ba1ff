// Entry point of src/node: the embedded nodes (one agent per node) and the scheduler, all
// talking to the API server over HTTPS with the credentials of a kubeconfig.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { NodeAgent } from './agent.js';
import type { BackoffPolicy } from './backoff.js';
import { KubeClient } from '../kube/index.js';
import type { HeartbeatOptions } from './node-heartbeat.js';
import { DEFAULT_NODE_RESOURCES, hostIPFor, type NodeResources } from './node-object.js';
import { claimLoopbackSite, type LoopbackSite } from './loopback-site.js';
import { PortForwarder } from './port-forwarder.js';
import { EventRecorder } from '../kube/index.js';
import { createRuntimes } from './runtimes.js';
import type { SimBehaviour } from './runtime/simulated.js';
import { NodeLifecycle } from './node-lifecycle.js';
import { PodFeed } from './pod-feed.js';
import { Scheduler } from './scheduler.js';

export interface NodesOptions {
  kubeconfigPath: string;
  /** hotpod's data directory; each node keeps its pods under `<dataDir>/nodes/<node>/`. */
  dataDir: string;
  /** How many nodes (0: none, and no scheduler either). */
  count: number;
  /** Nodes advertise and perform hot-patch (label hotpod.dev/hot-patch: "true"). */
  hotPatch: boolean;
  logger: Logger;
  resources?: Partial<NodeResources>;
  simDefaults?: Partial<SimBehaviour>;
  crashBackoff?: BackoffPolicy;
  pullBackoff?: BackoffPolicy;
  heartbeat?: HeartbeatOptions;
}

export interface EmbeddedNodes {
  agents: NodeAgent[];
  close(): Promise<void>;
}

export function nodeName(index: number): string {
  return `node-${index}`;
}

export async function startNodes(o: NodesOptions): Promise<EmbeddedNodes> {
  const client = new KubeClient({ kubeconfig: o.kubeconfigPath });
  // Events are best effort: a few connections of their own, so a burst of them never queues
  // in front of bindings and status writes.
  const eventClient = new KubeClient({ kubeconfig: o.kubeconfigPath, maxSockets: 4 });
  const resources = { ...DEFAULT_NODE_RESOURCES, ...o.resources };
  const podFeed = o.count > 0 ? new PodFeed(client, o.logger) : undefined;
  const site = o.count > 0 ? await claimSite(o.dataDir) : undefined;
  const agents: NodeAgent[] = [];
  const addresses = new Map<string, string>();
  for (let i = 1; i <= o.count; i++) {
    const name = nodeName(i);
    addresses.set(name, hostIPFor(i, site?.site));
    agents.push(
      new NodeAgent({
        client,
        eventClient,
        name,
        index: i,
        site: site?.site,
        nodeDir: join(o.dataDir, 'nodes', name),
        hotPatch: o.hotPatch,
        runtimes: createRuntimes({ node: name, bootID: randomUUID(), dataDir: o.dataDir, logger: o.logger.child({ node: name }), simDefaults: o.simDefaults }),
        resources,
        logger: o.logger,
        crashBackoff: o.crashBackoff,
        pullBackoff: o.pullBackoff,
        heartbeat: o.heartbeat,
        podFeed,
      }),
    );
  }
  await Promise.all(agents.map((a) => a.start()));
  const scheduler = o.count > 0 ? new Scheduler(client, o.logger.child({ component: 'scheduler' }), eventClient, podFeed) : undefined;
  await scheduler?.start();
  const lifecycle = o.count > 0 ? new NodeLifecycle(client, o.logger.child({ component: 'node-lifecycle' })) : undefined;
  lifecycle?.start();
  const forwarder = podFeed
    ? new PortForwarder({ client, podFeed, nodes: addresses, logger: o.logger.child({ component: 'port-forwarder' }), events: new EventRecorder(eventClient, { component: 'kubelet', logger: o.logger }) })
    : undefined;
  forwarder?.start();
  return {
    agents,
    async close() {
      lifecycle?.stop();
      await forwarder?.stop();
      await scheduler?.stop();
      await Promise.allSettled(agents.map((a) => a.stop()));
      await podFeed?.stop();
      await site?.release();
      client.close();
      eventClient.close();
    },
  };
}

/** The data dir's site again if free (recorded in `<data-dir>/nodes/loopback-site`). */
async function claimSite(dataDir: string): Promise<LoopbackSite> {
  const file = join(dataDir, 'nodes', 'loopback-site');
  let before: number | undefined;
  try {
    before = Number(readFileSync(file, 'utf8').trim());
  } catch {
    // a new data dir
  }
  const site = await claimLoopbackSite(Number.isInteger(before) ? before : undefined);
  mkdirSync(join(dataDir, 'nodes'), { recursive: true });
  writeFileSync(file, `${site.site}\n`);
  return site;
}
