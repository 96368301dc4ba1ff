// The hotpod controller process: the runtime's Manager (one connection, shared informers, one
// event recorder, metrics, optional leader election) with the workload controllers added, and
// the probe and metrics endpoints. `hotpod controller` and `hotpod up` both start it through
// startController.

import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { ControllerMetrics, Manager, serveHttp, parseBindAddress, type HttpEndpoint, type LeaderElectionConfig } from './runtime/index.js';
import { KubeClient, type ApiRequest } from '../kube/index.js';
import { createWorkloadContext, type WriteCounts } from './workload/index.js';
import { gameServerSetControllers } from './gameserverset/index.js';
import { gameDeploymentController } from './gamedeployment/index.js';
import { HookEgress, hookRunController, LOOPBACK_NETWORKS } from './hookrun/index.js';
import { GSS_API_VERSION, GSS_KIND } from './gameserverset/labels.js';
import { GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND } from './gamedeployment/names.js';
import type { NetworkWaitConfig, PortRange } from './network/index.js';

export interface StartControllerOptions {
  /** A kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** An already loaded kubeconfig (takes precedence over `kubeconfig`). */
  kubeConfig?: KubeConfig;
  logger: Logger;
  /** Parallel reconciles per controller. Default 4. */
  workers?: number;
  /** See GameServerReconcilerOptions.transientStateDelayMs (default 1000). */
  transientStateDelayMs?: number;
  /** How long to wait for the first lists (the CRDs must be installed). Default 120 s. */
  cacheSyncTimeoutMs?: number;
  /** Told of every API request the controller sends (see ClientOptions.onRequest). */
  onRequest?: (req: ApiRequest) => void;
  /** Client-side limit on API requests per second, and the burst above it (absent/0: none). */
  qps?: number;
  burst?: number;
  /** Reconcile only while holding this Lease (standbys keep their caches warm). */
  leaderElection?: LeaderElectionConfig;
  /** The Lease was lost: stop acting now (default: log and exit 1). */
  onLeadershipLost?: () => void;
  /** `/metrics` on this address (`:8080`, `127.0.0.1:0`); absent or `0`: not served. */
  metricsBindAddress?: string;
  /** `/healthz` and `/readyz` on this address; absent or `0`: not served. */
  healthProbeBindAddress?: string;
  /** Networks (CIDR) hook measurements may connect to; default loopback only. */
  hookNetworks?: readonly string[];
  /** Kubernetes-HostPort's host ports (default 8000-9000, OpenKruiseGame's). */
  hostPortRange?: PortRange;
  /** How long (default 60 s) and how often (5 s) a server's network is looked at again while not in its desired state. */
  networkWait?: NetworkWaitConfig;
}

export interface RunningController {
  /** The API server the controller talks to. */
  server: string;
  /** Where /metrics is served, if it is (`http://127.0.0.1:8080`). */
  metricsUrl?: string;
  /** Where /healthz and /readyz are served, if they are. */
  healthUrl?: string;
  /** The Lease holder's identity this process campaigns as (with leader election). */
  identity?: string;
  metrics: ControllerMetrics;
  /** True while the controllers run: always without leader election, else while leading. */
  isLeader(): boolean;
  /** Resolves once this process leads (at once without leader election). */
  waitForLeadership(): Promise<void>;
  /** Writes sent so far by the workload controllers, by kind and verb (Events not included). */
  writes(): WriteCounts;
  /** Releases the Lease, lets running reconciles finish, flushes events, closes watches and endpoints. */
  stop(): Promise<void>;
}

/**
 * Starts the endpoints and the informers; resolves once the caches are filled. Without leader
 * election the controllers run by then; with it they start when the Lease is ours.
 */
export async function startController(opts: StartControllerOptions): Promise<RunningController> {
  const metrics = new ControllerMetrics();
  const client = new KubeClient({
    kubeconfig: opts.kubeconfig,
    kubeConfig: opts.kubeConfig,
    qps: opts.qps,
    burst: opts.burst,
    onRequest: opts.onRequest,
    onResponse: (r) => metrics.apiRequest(r.verb, r.resource, r.code),
  });
  const manager = new Manager({
    client,
    metrics,
    onRequest: opts.onRequest,
    logger: opts.logger,
    cacheSyncTimeoutMs: opts.cacheSyncTimeoutMs,
    leaderElection: opts.leaderElection,
    onLeadershipLost: opts.onLeadershipLost,
  });
  const ctx = createWorkloadContext({ manager, workers: opts.workers });
  for (const c of gameServerSetControllers(ctx, { transientStateDelayMs: opts.transientStateDelayMs, hostPortRange: opts.hostPortRange, networkWait: opts.networkWait })) manager.add(c);
  manager.add(gameDeploymentController(ctx));
  manager.add(hookRunController(ctx, new HookEgress(opts.hookNetworks ?? LOOPBACK_NETWORKS)));
  for (const [apiVersion, kind] of [
    [GSS_API_VERSION, GSS_KIND],
    [GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND],
  ] as const) {
    const informer = ctx.factory.informerFor({ apiVersion, kind });
    metrics.addWorkloads({ kind, list: () => informer.cache.list() });
  }

  const endpoints: HttpEndpoint[] = [];
  const closeEndpoints = () => Promise.all(endpoints.splice(0).map((e) => e.close()));
  let metricsUrl: string | undefined;
  let healthUrl: string | undefined;
  try {
    metricsUrl = await listen('metrics', opts.metricsBindAddress, endpoints, {
      '/metrics': async () => {
        const { contentType, body } = await metrics.render();
        return { status: 200, body, contentType };
      },
    });
    healthUrl = await listen('health probe', opts.healthProbeBindAddress, endpoints, {
      '/healthz': () => ({ status: 200, body: 'ok\n' }),
      '/readyz': () => (manager.isReady() ? { status: 200, body: 'ok\n' } : { status: 503, body: 'informer caches not synced yet\n' }),
    });
    if (metricsUrl) opts.logger.info({ url: `${metricsUrl}/metrics` }, 'serving metrics');
    if (healthUrl) opts.logger.info({ url: `${healthUrl}/healthz` }, 'serving health probes');
    await manager.start();
  } catch (err) {
    await manager.stop();
    await closeEndpoints();
    throw err;
  }
  return {
    server: client.server,
    metricsUrl,
    healthUrl,
    identity: manager.elector?.identity,
    metrics,
    isLeader: () => manager.isLeader(),
    waitForLeadership: () => manager.waitForLeadership(),
    writes: () => ctx.writer.snapshot(),
    async stop() {
      await manager.stop();
      await closeEndpoints();
      opts.logger.info({ writes: ctx.writer.snapshot() }, 'controller stopped');
    },
  };
}

async function listen(what: string, address: string | undefined, endpoints: HttpEndpoint[], routes: Parameters<typeof serveHttp>[1]): Promise<string | undefined> {
  const bind = address === undefined ? null : parseBindAddress(address);
  if (!bind) return undefined;
  try {
    const endpoint = await serveHttp(bind, routes);
    endpoints.push(endpoint);
    return endpoint.url;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`${what} bind address ${address} is already in use (another one, or 0 to turn it off)`);
    if (code === 'EACCES') throw new Error(`not allowed to listen on ${address} for ${what}`);
    throw err;
  }
}
