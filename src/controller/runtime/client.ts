// Where the controller's connection to Kubernetes comes from: `--kubeconfig PATH`, else
// client-node's defaults (KUBECONFIG, ~/.kube/config, in-cluster service account), so the same
// binary runs against the embedded control plane and a real cluster.

import { resolve } from 'node:path';
import { KubeConfig, ServerConfiguration, createConfiguration, type Configuration, type Watch } from '@kubernetes/client-node';
import { PooledKubeConfigAuth } from './connection-pool.js';
import { ObjectClient } from './object-client.js';
import { KubeConfigWatch } from './watch.js';
import { TokenBucket } from './rate-limit.js';

export interface ClientOptions {
  /** a kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then in-cluster config */
  kubeconfig?: string;
  /** a context of the kubeconfig other than its current one */
  context?: string;
  /**
   * Client-side limit on requests per second (list, get and writes; watches are long-lived and
   * not counted), as client-go's QPS/burst. Absent or 0: unlimited, since the embedded control
   * plane is local and rollouts of thousands of pods must not queue behind a default of 5 qps.
   */
  qps?: number;
  burst?: number;
  /** a request (not a watch) without an answer by then fails; default 60 s */
  requestTimeoutMs?: number;
}

export interface Clients {
  kubeConfig: KubeConfig;
  /** any kind as plain JSON (what the informers and the event recorder use) */
  objects: ObjectClient;
  /** client-node's Watch contract for the same cluster (KubeConfigWatch, watch.ts) */
  watch: Watch;
  /** client-node's typed API classes (CoreV1Api, …) sharing the same rate limit */
  makeApiClient<T>(apiClass: new (config: Configuration) => T): T;
  /** the API server's URL, for log lines */
  server: string;
}

export function loadKubeConfig(opts: Pick<ClientOptions, 'kubeconfig' | 'context'> = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(resolve(opts.kubeconfig));
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster()) {
    throw new Error(`no cluster in the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''} (current context: ${kc.getCurrentContext() || 'none'})`);
  }
  return kc;
}

export function createClients(opts: ClientOptions & { kubeConfig?: KubeConfig } = {}): Clients {
  const kc = opts.kubeConfig ?? loadKubeConfig(opts);
  const cluster = kc.getCurrentCluster()!;
  // Kept-alive connections for every client below (client-node would open one per request).
  const auth = new PooledKubeConfigAuth(kc);
  const limiter = opts.qps && opts.qps > 0 ? new TokenBucket(opts.qps, Math.max(1, opts.burst ?? Math.ceil(opts.qps * 1.5))) : undefined;
  const configuration = (): Configuration =>
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: auth },
      promiseMiddleware: limiter
        ? [
            {
              pre: async (ctx) => {
                await limiter.take();
                return ctx;
              },
              post: async (res) => res,
            },
          ]
        : [],
    });
  return {
    kubeConfig: kc,
    objects: new ObjectClient(configuration(), opts.requestTimeoutMs),
    watch: new KubeConfigWatch(kc) as unknown as Watch,
    makeApiClient: (apiClass) => new apiClass(configuration()),
    server: cluster.server,
  };
}
