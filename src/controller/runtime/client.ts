// Where the controller's connection to Kubernetes comes from: `--kubeconfig PATH`, else
// client-node's defaults (KUBECONFIG, ~/.kube/config, in-cluster service account), so the same
// binary runs against the embedded control plane and a real cluster.

import { resolve } from 'node:path';
import { IsomorphicFetchHttpLibrary, KubeConfig, ServerConfiguration, createConfiguration, wrapHttpLibrary, type Configuration, type Middleware, type Watch } from '@kubernetes/client-node';
import { PooledKubeConfigAuth } from './connection-pool.js';
import { ObjectClient } from './object-client.js';
import { KubeConfigWatch } from './watch.js';
import { TokenBucket } from './rate-limit.js';
import { describeRequest, type ApiRequest } from './request-attributes.js';

/** Told about every request once it is answered: code is the HTTP status, or `error` (no answer). */
export type RequestObserver = (req: { verb: string; resource: string; code: number | 'error' }) => void;

export interface ClientOptions {
  /** a kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then in-cluster config */
  kubeconfig?: string;
  /** a context of the kubeconfig other than its current one */
  context?: string;
  /**
   * Client-side limit on requests per second (list, get and writes; a watch takes one token when
   * opened, none per event), as client-go's QPS/burst. Absent or 0: unlimited, since the
   * embedded control plane is local and rollouts of thousands of pods must not queue behind a
   * default of 5 qps (`hotpod controller` sets 50, burst 100, from its flags).
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
  /** told of every request once answered (the controller's hotpod_api_requests_total) */
  onResponse?: RequestObserver;
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
  const onRequest = opts.onRequest;
  const onResponse = opts.onResponse;
  const serverPath = new URL(cluster.server).pathname.replace(/\/$/, '');
  const fetchLibrary = new IsomorphicFetchHttpLibrary();
  // Below the middleware, so what is counted is what reached the wire, after the rate limit.
  const httpApi = onResponse
    ? wrapHttpLibrary({
        async send(ctx) {
          const { verb, resource } = describeRequest(ctx.getHttpMethod(), new URL(ctx.getUrl()).pathname);
          try {
            const res = await fetchLibrary.send(ctx).toPromise();
            onResponse({ verb, resource, code: res.httpStatusCode });
            return res;
          } catch (err) {
            onResponse({ verb, resource, code: 'error' });
            throw err;
          }
        },
      })
    : undefined;
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
      authMethods: { default: auth },
      httpApi,
      promiseMiddleware: middleware,
    });
  return {
    kubeConfig: kc,
    objects: new ObjectClient(configuration(), opts.requestTimeoutMs),
    watch: (limiter || onRequest || onResponse ? new ThrottledWatch(new KubeConfigWatch(kc), limiter, onRequest, onResponse) : new KubeConfigWatch(kc)) as unknown as Watch,
    makeApiClient: (apiClass) => new apiClass(configuration()),
    server: cluster.server,
  };
}

/**
 * A watch is one long request: it takes one token of the rate limit when opened (as client-go's
 * does), none per event, and is counted once, when the server accepts or refuses it. Watches do
 * not pass through the configuration's middleware: they have a connection of their own.
 */
class ThrottledWatch implements Pick<Watch, 'watch'> {
  constructor(
    private readonly inner: Pick<Watch, 'watch'>,
    private readonly limiter: TokenBucket | undefined,
    private readonly onRequest: ((req: ApiRequest) => void) | undefined,
    private readonly onResponse: RequestObserver | undefined,
  ) {}

  async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: Parameters<Watch['watch']>[2],
    done: Parameters<Watch['watch']>[3],
  ): Promise<AbortController> {
    await this.limiter?.take();
    if (this.onRequest) {
      const query: Record<string, string> = { watch: 'true' };
      for (const [k, v] of Object.entries(queryParams ?? {})) if (v !== undefined) query[k] = String(v);
      this.onRequest({ method: 'GET', path, query });
    }
    const { resource } = describeRequest('GET', path, true);
    try {
      const controller = await this.inner.watch(path, queryParams, callback, done);
      this.onResponse?.({ verb: 'watch', resource, code: 200 });
      return controller;
    } catch (err) {
      const code = (err as { statusCode?: unknown; code?: unknown })?.statusCode ?? (err as { code?: unknown })?.code;
      this.onResponse?.({ verb: 'watch', resource, code: typeof code === 'number' ? code : 'error' });
      throw err;
    }
  }
}
