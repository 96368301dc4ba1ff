// Where the controller's connection to Kubernetes comes from: `--kubeconfig PATH`, else
// client-node's defaults (KUBECONFIG, ~/.kube/config, in-cluster service account), so the same
// binary runs against the embedded control plane and a real cluster.

import { resolve } from 'node:path';
import { KubeConfig, ServerConfiguration, Watch, createConfiguration, type Configuration, type Middleware } from '@kubernetes/client-node';
import { ObjectClient } from './object-client.js';
import { TokenBucket } from './rate-limit.js';
import type { ApiRequest } from './request-attributes.js';

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
  /**
   * Told of every request before it is sent: lists, gets, writes, discovery and watches, from
   * every client made here. The RBAC test derives the verbs the controller needs from it.
   */
  onRequest?: (req: ApiRequest) => void;
}

export interface Clients {
  kubeConfig: KubeConfig;
  /** any kind as plain JSON (what the informers and the event recorder use) */
  objects: ObjectClient;
  /** client-node's Watch for the same cluster */
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
  const limiter = opts.qps && opts.qps > 0 ? new TokenBucket(opts.qps, Math.max(1, opts.burst ?? Math.ceil(opts.qps * 1.5))) : undefined;
  const onRequest = opts.onRequest;
  const serverPath = new URL(cluster.server).pathname.replace(/\/$/, '');
  const middleware: Middleware[] = [];
  if (onRequest) {
    middleware.push({
      pre: async (ctx) => {
        const url = new URL(ctx.getUrl());
        onRequest({ method: ctx.getHttpMethod(), path: url.pathname.slice(serverPath.length), query: Object.fromEntries(url.searchParams) });
        return ctx;
      },
      post: async (res) => res,
    });
  }
  if (limiter) {
    middleware.push({
      pre: async (ctx) => {
        await limiter.take();
        return ctx;
      },
      post: async (res) => res,
    });
  }
  const configuration = (): Configuration =>
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: middleware,
    });
  return {
    kubeConfig: kc,
    objects: new ObjectClient(configuration(), opts.requestTimeoutMs),
    watch: onRequest ? new ObservedWatch(kc, onRequest) : new Watch(kc),
    makeApiClient: (apiClass) => new apiClass(configuration()),
    server: cluster.server,
  };
}

// Watches do not pass through the configuration's middleware: client-node's Watch fetches on its own.
class ObservedWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly onRequest: (req: ApiRequest) => void,
  ) {
    super(kc);
  }

  override watch(...args: Parameters<Watch['watch']>): ReturnType<Watch['watch']> {
    const [path, queryParams] = args;
    const query: Record<string, string> = { watch: 'true' };
    for (const [k, v] of Object.entries(queryParams ?? {})) if (v !== undefined) query[k] = String(v);
    this.onRequest({ method: 'GET', path, query });
    return super.watch(...args);
  }
}
