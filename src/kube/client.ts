// The one way every part of hotpod talks to a Kubernetes API server: the controller, the
// scheduler and node agents, the CLI and the benches. Plain JSON over HTTPS on kept-alive
// connections, as the server wrote it: no typed models that turn timestamps into Date objects
// or drop fields they do not know, so a cached object equals the same object read from a watch.
//
// client-node is used for what it does well, reading a kubeconfig and turning it into
// credentials and TLS options (tokens, exec plugins, in-cluster service accounts, refreshed
// when they expire). Its HTTP stack is not: it opens a TLS connection per request and parses
// every answer into typed models.

import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { TokenBucket } from '../util/token-bucket.js';
import { KubeApiError, type StatusBody } from './errors.js';
import type { KubeObject, ObjectKey } from './objects.js';
import { describeRequest, type ApiRequest } from './request-attributes.js';
import { LineWatch, type WatchCallback, type WatchDone } from './watch-stream.js';

/** Told about every request once it is answered: code is the HTTP status, or `error` (no answer). */
export type RequestObserver = (req: { verb: string; resource: string; code: number | 'error' }) => void;

export interface KubeClientOptions {
  /** a kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then in-cluster config */
  kubeconfig?: string;
  /** a context of the kubeconfig other than its current one */
  context?: string;
  /** an already loaded kubeconfig (then kubeconfig and context are not read) */
  kubeConfig?: KubeConfig;
  /**
   * Client-side limit on requests per second (a watch takes one token when opened, none per
   * event), as client-go's QPS/burst. Absent or 0: unlimited, since the embedded control plane
   * is local and rollouts of thousands of pods must not queue behind a default of 5 qps.
   */
  qps?: number;
  burst?: number;
  /** a request (not a watch) without an answer by then fails; default 60 s */
  requestTimeoutMs?: number;
  /** connections kept to the API server for requests (more wait their turn); default 64 */
  maxSockets?: number;
  /** told of every request before it is sent (the RBAC test derives the verbs it needs from it) */
  onRequest?: (req: ApiRequest) => void;
  /** told of every request once answered (the controller's hotpod_api_requests_total) */
  onResponse?: RequestObserver;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** an object sent as JSON, a string or a Buffer sent as it is */
  body?: unknown;
  contentType?: string;
  /** overrides the client's requestTimeoutMs */
  timeoutMs?: number;
  /** cancels the request (an informer being stopped) */
  signal?: AbortSignal;
  /** the caller has no use for a successful answer: it resolves undefined, unparsed */
  ignoreAnswer?: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface ObjectList {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

export interface ResourceInfo {
  /** plural resource name, e.g. `pods` */
  name: string;
  namespaced: boolean;
  kind: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** Credentials are taken from the kubeconfig again at most this often (tokens that expire). */
const CREDENTIALS_TTL_MS = 5_000;

export function loadKubeConfig(opts: Pick<KubeClientOptions, 'kubeconfig' | 'context'> = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(resolve(opts.kubeconfig));
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster()) {
    throw new Error(`no cluster in the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''} (current context: ${kc.getCurrentContext() || 'none'})`);
  }
  return kc;
}

interface Connection {
  /** the TLS material the agents were made with */
  tlsKey: string;
  headers: Record<string, string>;
  /** for requests: kept alive and shared */
  agent: http.Agent;
  /** for watches, which hold their connection for as long as they run */
  watchAgent: http.Agent;
}

/** How long a pods/exec upgrade may take. */
const EXEC_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What a command run through pods/exec printed, and its exit code. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  /** the API server's URL, for log lines */
  readonly server: string;
  readonly requestTimeoutMs: number;
  private readonly base: URL;
  private readonly endpoint: { protocol: string; host: string; port: string };
  private readonly serverPath: string;
  private readonly limiter?: TokenBucket;
  private readonly maxSockets: number;
  private connection?: { at: number; value: Promise<Connection> };
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(private readonly opts: KubeClientOptions = {}) {
    this.kubeConfig = opts.kubeConfig ?? loadKubeConfig(opts);
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server;
    this.base = new URL(cluster.server);
    const https = this.base.protocol === 'https:';
    this.endpoint = { protocol: this.base.protocol, host: this.base.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.base.port || (https ? '443' : '80') };
    this.serverPath = this.base.pathname.replace(/\/$/, '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.maxSockets = opts.maxSockets ?? 64;
    if (opts.qps && opts.qps > 0) this.limiter = new TokenBucket(opts.qps, Math.max(1, opts.burst ?? Math.ceil(opts.qps * 1.5)));
  }

  /** Any request; the answer's JSON, or a KubeApiError for a non-2xx status. */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    await this.takeToken();
    const query = queryString(opts.query);
    this.opts.onRequest?.({ method, path, query: Object.fromEntries(new URLSearchParams(query)) });
    const observe = this.opts.onResponse;
    const described = observe ? describeRequest(method, path) : undefined;
    try {
      const answer = await this.sendOnce<T>(method, path, query, opts).catch((err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        // A kept-alive connection the server closed just as it was reused: the request never
        // arrived, so sending it again is safe (Node's documented remedy).
        if (err.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) return this.sendOnce<T>(method, path, query, opts);
        throw err;
      });
      if (described) observe!({ ...described, code: answer.status });
      return answer.value;
    } catch (err) {
      if (described) observe!({ ...described, code: err instanceof KubeApiError ? err.code : 'error' });
      throw err;
    }
  }

  /**
   * A watch: `callback(type, object)` per event, `done(err | null)` once when it ends (a refused
   * watch ends with an error carrying statusCode and body). The AbortController closes it.
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>, callback: WatchCallback, done: WatchDone): Promise<AbortController> {
    await this.takeToken();
    const conn = await this.connectionNow();
    if (this.opts.onRequest) {
      const q: Record<string, string> = { watch: 'true' };
      for (const [k, v] of Object.entries(query)) if (v !== undefined) q[k] = String(v);
      this.opts.onRequest({ method: 'GET', path, query: q });
    }
    const observe = this.opts.onResponse;
    const described = observe ? describeRequest('GET', path, true) : undefined;
    const onStatus = described ? (code: number | 'error') => observe!({ ...described, code }) : undefined;
    return new LineWatch(this.base, conn.watchAgent, conn.headers).watch(path, query, callback, done, onStatus);
  }

  /** The resource serving `kind` in `apiVersion` (discovery, cached; asked again on a miss). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let found = (await this.resources(apiVersion, false)).get(kind);
    // A CRD installed after the first lookup: one more look.
    if (!found) found = (await this.resources(apiVersion, true)).get(kind);
    if (!found) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    return found;
  }

  /** `/api/v1/namespaces/ns/pods`, or the cluster-wide collection when namespace is empty. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resourceFor(apiVersion, kind);
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${apiVersionPath(apiVersion)}${ns}/${r.name}`;
  }

  async objectPath(apiVersion: string, kind: string, key: ObjectKey, subresource?: string): Promise<string> {
    const base = await this.collectionPath(apiVersion, kind, key.namespace);
    return `${base}/${encodeURIComponent(key.name)}${subresource ? `/${subresource}` : ''}`;
  }

  /** One page of a list (use limit/continue for more). */
  async listPage(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ObjectList> {
    const path = await this.collectionPath(apiVersion, kind, opts.namespace);
    const list = await this.request<ObjectList>('GET', path, {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue, resourceVersion: opts.resourceVersion },
      signal: opts.signal,
    });
    list.items ??= [];
    list.metadata ??= {};
    // List items carry no apiVersion/kind on a real API server; give them back so that the
    // cached objects look like what a GET or a watch returns.
    for (const item of list.items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= kind;
    }
    return list;
  }

  /** Every page of a list, `pageSize` items at a time. */
  async list(apiVersion: string, kind: string, opts: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {}): Promise<ObjectList> {
    const { pageSize = 500, ...rest } = opts;
    const first = await this.listPage(apiVersion, kind, { ...rest, limit: pageSize });
    for (let cont = first.metadata.continue; cont; ) {
      const page = await this.listPage(apiVersion, kind, { ...rest, limit: pageSize, continue: cont });
      first.items.push(...page.items);
      cont = page.metadata.continue;
    }
    first.metadata.continue = undefined;
    return first;
  }

  async get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, key: ObjectKey): Promise<T> {
    return this.request<T>('GET', await this.objectPath(apiVersion, kind, key));
  }

  async createObject<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { fieldManager?: string } = {}): Promise<T> {
    const { apiVersion, kind } = requireType(obj);
    const path = await this.collectionPath(apiVersion, kind, obj.metadata?.namespace);
    return this.request<T>('POST', path, { body: obj, query: { fieldManager: opts.fieldManager } });
  }

  /** PATCH with the given content type (JSON merge patch unless told). */
  async patchObject<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    key: ObjectKey,
    patch: unknown,
    opts: { contentType?: string; subresource?: string; fieldManager?: string } = {},
  ): Promise<T> {
    const path = await this.objectPath(apiVersion, kind, key, opts.subresource);
    return this.request<T>('PATCH', path, { body: patch, contentType: opts.contentType ?? MERGE_PATCH, query: { fieldManager: opts.fieldManager } });
  }

  /** PUT the whole object (optimistic concurrency through metadata.resourceVersion). */
  async updateObject<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { subresource?: string } = {}): Promise<T> {
    const { apiVersion, kind } = requireType(obj);
    const key = { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
    return this.request<T>('PUT', await this.objectPath(apiVersion, kind, key, opts.subresource), { body: obj });
  }

  async deleteObject(
    apiVersion: string,
    kind: string,
    key: ObjectKey,
    opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; preconditions?: { uid?: string; resourceVersion?: string }; gracePeriodSeconds?: number } = {},
  ): Promise<KubeObject> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    return this.request<KubeObject>('DELETE', await this.objectPath(apiVersion, kind, key), { body });
  }

  /**
   * Runs a command in a pod's container through pods/exec (WebSocket, v5.channel.k8s.io, with
   * this client's credentials and TLS): what it printed and how it ended. `input` goes to its
   * stdin, which is then closed.
   */
  async exec(namespace: string, pod: string, container: string, command: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.takeToken();
    const conn = await this.connectionNow();
    const q = new URLSearchParams({ container, stdout: 'true', stderr: 'true', stdin: opts.input !== undefined ? 'true' : 'false' });
    for (const c of command) q.append('command', c);
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec`;
    // Authorized as `create` on pods/exec, as the API server checks an exec upgrade.
    this.opts.onRequest?.({ method: 'POST', path, query: Object.fromEntries(q) });
    const scheme = this.endpoint.protocol === 'http:' ? 'ws' : 'wss';
    const host = this.endpoint.host.includes(':') ? `[${this.endpoint.host}]` : this.endpoint.host;
    const url = `${scheme}://${host}:${this.endpoint.port}${this.serverPath}${path}?${q}`;
    // A connection of its own: an upgraded socket never goes back to the pool.
    const agent = this.endpoint.protocol === 'http:' ? undefined : new https.Agent({ ...(conn.agent as https.Agent).options, keepAlive: false });
    return new Promise<ExecResult>((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: conn.headers, agent, handshakeTimeout: EXEC_HANDSHAKE_TIMEOUT_MS });
      let stdout = '';
      let stderr = '';
      let status: Record<string, any> | undefined;
      const timer = setTimeout(() => ws.terminate(), opts.timeoutMs ?? this.requestTimeoutMs);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => {
          clearTimeout(timer);
          let parsed: StatusBody | string = body;
          try {
            parsed = JSON.parse(body) as StatusBody;
          } catch {
            /* not a Status */
          }
          reject(new KubeApiError('GET', url, res.statusCode ?? 0, parsed));
        });
      });
      ws.on('open', () => {
        if (opts.input === undefined) return;
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(opts.input)]));
        ws.send(Buffer.from([255, 0]));
      });
      ws.on('message', (data: Buffer) => {
        const body = data.subarray(1).toString();
        if (data[0] === 1) stdout += body;
        else if (data[0] === 2) stderr += body;
        else if (data[0] === 3) status = JSON.parse(body);
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', () => {
        clearTimeout(timer);
        if (!status) return reject(new Error(`exec ${namespace}/${pod}: the connection closed before the command ended`));
        const code = status.status === 'Success' ? 0 : Number(status.details?.causes?.find((c: { reason?: string }) => c.reason === 'ExitCode')?.message ?? NaN);
        if (!Number.isFinite(code)) return reject(new Error(`exec ${namespace}/${pod}: ${status.message ?? 'failed'}`));
        resolve({ stdout, stderr, exitCode: code });
      });
    });
  }

  /** Closes the kept-alive connections (the process is stopping). */
  close(): void {
    const conn = this.connection;
    this.connection = undefined;
    void conn?.value.then((c) => {
      c.agent.destroy();
      c.watchAgent.destroy();
    }, () => undefined);
  }

  private async takeToken(): Promise<void> {
    const wait = this.limiter?.reserve() ?? 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  private resources(apiVersion: string, fresh: boolean): Promise<Map<string, ResourceInfo>> {
    let cached = this.discovery.get(apiVersion);
    if (!cached || fresh) {
      cached = this.request<{ resources?: { name: string; namespaced: boolean; kind: string }[] }>('GET', apiVersionPath(apiVersion)).then((list) => {
        const byKind = new Map<string, ResourceInfo>();
        for (const r of list.resources ?? []) if (!r.name.includes('/')) byKind.set(r.kind, { name: r.name, namespaced: r.namespaced, kind: r.kind });
        return byKind;
      });
      // A failed lookup is not remembered: the next call asks again.
      cached.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, cached);
    }
    return cached;
  }

  /**
   * The kubeconfig's headers and TLS options, taken again every few seconds so that expiring
   * tokens are refreshed.
   */
  private connectionNow(): Promise<Connection> {
    const now = Date.now();
    const current = this.connection;
    if (current && now - current.at < CREDENTIALS_TTL_MS) return current.value;
    const value = this.connect(current?.value);
    this.connection = { at: now, value };
    value.catch(() => {
      if (this.connection?.value === value) this.connection = undefined;
    });
    return value;
  }

  /**
   * The agents are kept for as long as the TLS material stays the same: a rotated client
   * certificate gets new connections, and requests under way finish on the old ones.
   */
  private async connect(previous: Promise<Connection> | undefined): Promise<Connection> {
    const o: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    const tlsKey = [o.ca, o.cert, o.key, o.rejectUnauthorized, o.servername].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v))).join('|');
    const before = await previous?.catch(() => undefined);
    if (before && before.tlsKey === tlsKey) return { ...before, headers };
    if (o.agent instanceof http.Agent && o.agent.constructor !== https.Agent && o.agent.constructor !== http.Agent) {
      // A proxy agent from the kubeconfig's proxy-url: it pools its own connections.
      return { tlsKey, headers, agent: o.agent, watchAgent: o.agent };
    }
    if (this.endpoint.protocol === 'http:') return { tlsKey, headers, agent: new http.Agent({ keepAlive: true, maxSockets: this.maxSockets }), watchAgent: new http.Agent() };
    // One TLS context for every connection, rather than the agent building one per socket.
    const secureContext = tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key });
    const tlsOptions = { secureContext, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername };
    return { tlsKey, headers, agent: new https.Agent({ keepAlive: true, maxSockets: this.maxSockets, ...tlsOptions }), watchAgent: new https.Agent(tlsOptions) };
  }

  private async sendOnce<T>(method: string, path: string, query: string, opts: RequestOptions): Promise<{ status: number; value: T }> {
    const conn = await this.connectionNow();
    const payload = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...conn.headers, Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const send = this.endpoint.protocol === 'http:' ? http.request : https.request;
    return new Promise((resolve, reject) => {
      // Host, port and path as options rather than a URL per request: URL parsing and its
      // conversion back to options were a visible share of a request's cost.
      const req = send({ host: this.endpoint.host, port: this.endpoint.port, path: `${this.serverPath}${path}${query ? `?${query}` : ''}`, method, headers, agent: conn.agent, signal: opts.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          // A whole pod is 2-3 KB of JSON: not parsed when nobody reads it.
          if (opts.ignoreAnswer && status >= 200 && status < 300) return resolve({ status, value: undefined as T });
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          if (status >= 200 && status < 300) return resolve({ status, value: body as T });
          reject(new KubeApiError(method, path, status, body as StatusBody | string | undefined, flatHeaders(res.headers)));
        });
      });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        if (err.name === 'AbortError') return reject(new Error(`${method} ${path}: cancelled`, { cause: err }));
        err.reusedSocket = req.reusedSocket;
        reject(err);
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
}

export function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function requireType(obj: KubeObject): { apiVersion: string; kind: string } {
  if (!obj.apiVersion || !obj.kind) throw new Error(`object ${obj.metadata?.name ?? '?'} needs apiVersion and kind`);
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

function queryString(query: RequestOptions['query']): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
