// How the scheduler and the node agents reach the API server: over HTTPS, with the credentials
// of a kubeconfig loaded by client-node, exactly as an out-of-process kubelet would.
//
// Requests send and receive plain JSON rather than client-node's typed models, whose
// serializer drops fields it does not know and turns times into Date objects; the agent
// compares statuses field by field, so it needs the objects as the server wrote them. Watches
// use client-node's ListWatch (an informer) with a field selector, fed by LineWatch
// (src/util/watch-stream.ts) over connections of their own.

import https from 'node:https';
import tls from 'node:tls';
import { KubeConfig, ListWatch, type KubernetesObject, type Watch } from '@kubernetes/client-node';
import { LineWatch } from '../util/watch-stream.js';

type Json = Record<string, any>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof ApiError && err.status === status;
}

export interface RequestOptions {
  contentType?: string;
  /** The caller has no use for a successful answer: it resolves undefined, unparsed. */
  ignoreAnswer?: boolean;
  query?: Record<string, string | number | boolean | undefined>;
}

export class KubeClient {
  private readonly agent: https.Agent;
  /** Watches hold their connection for as long as they run: never one of the request sockets. */
  private readonly watchAgent: https.Agent;
  private readonly base: URL;
  private readonly endpoint: { host: string; port: string };
  private readonly headers: Record<string, string> = {};

  private constructor(
    readonly kubeConfig: KubeConfig,
    opts: https.RequestOptions,
    maxSockets: number,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.base = new URL(cluster.server);
    this.endpoint = { host: this.base.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.base.port || '443' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') this.headers[k] = v;
    // One TLS context for every connection, rather than the agent building one per socket from
    // the PEM texts; it also keeps those texts out of the agent's per-request pool key.
    const secureContext = tls.createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key });
    this.agent = new https.Agent({ keepAlive: true, maxSockets, secureContext, rejectUnauthorized: opts.rejectUnauthorized });
    this.watchAgent = new https.Agent({ secureContext, rejectUnauthorized: opts.rejectUnauthorized });
  }

  /** `maxSockets`: connections kept to the API server (requests beyond wait their turn). */
  static async fromFile(path: string, maxSockets = 64): Promise<KubeClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return new KubeClient(kc, opts, maxSockets);
  }

  /** `body`: an object to send as JSON, or a Buffer already serialised. */
  request<T = Json>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.send<T>(method, path, body, opts).catch((err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      // A kept-alive connection the server closed just as we reused it: the request never
      // arrived, so sending it again is safe (Node's documented remedy).
      if (err.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) return this.send<T>(method, path, body, opts);
      throw err;
    });
  }

  private send<T>(method: string, path: string, body: unknown, opts: RequestOptions): Promise<T> {
    // Host, port and path as options rather than a URL per request: URL parsing and its
    // conversion back to options were a visible share of a request's cost.
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const search = query.size > 0 ? `?${query}` : '';
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { ...this.headers, Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request({ ...this.endpoint, path: `${path}${search}`, method, headers, agent: this.agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          // A whole pod is 2-3 KB of JSON: not parsed when nobody reads it.
          if (opts.ignoreAnswer && status >= 200 && status < 300) return resolve(undefined as T);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const message = parsed?.message ?? text ?? '';
          reject(new ApiError(status, parsed?.reason ?? '', `${method} ${path}: ${status} ${message}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', (err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        err.reusedSocket = req.reusedSocket;
        reject(err);
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * An informer on a collection (`/api/v1/pods`) with optional selectors. Its cache holds the
   * objects as JSON; `onError` is called when the list or the watch fails (the informer then
   * stops; the caller restarts it).
   */
  informer<T extends KubernetesObject>(path: string, selectors: { fieldSelector?: string; labelSelector?: string } = {}): ListWatch<T> {
    const list = () =>
      this.request<{ items: T[]; metadata: Json }>('GET', path, undefined, {
        query: { fieldSelector: selectors.fieldSelector, labelSelector: selectors.labelSelector },
      });
    const watch = new LineWatch(this.base, this.watchAgent, this.headers) as unknown as Watch;
    return new ListWatch<T>(path, watch, list as never, false, selectors.labelSelector, selectors.fieldSelector);
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
