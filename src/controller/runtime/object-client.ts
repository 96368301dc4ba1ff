// Reads and writes any kind as plain JSON through client-node. It extends client-node's
// KubernetesObjectApi for what that class does well (the kubeconfig's auth and TLS, discovery of
// kind → resource path, cached per apiVersion) and replaces its response handling, which
// deserialises into client-node's typed models: those turn timestamps into Date objects and drop
// fields the model does not know, so a cached object would differ from the same object read from
// a watch.

import {
  ApiException,
  HttpMethod,
  KubernetesObjectApi,
  type Configuration,
  type KubernetesObject,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { KubeObject, ObjectKey } from './objects.js';

/** The Status body of a failed request, as the API server sends it. */
export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

/** A non-2xx answer. Still an ApiException (code, body) as client-node's own errors are. */
export class KubeApiError extends ApiException<StatusBody | string | undefined> {
  constructor(
    readonly method: string,
    readonly path: string,
    code: number,
    body: StatusBody | string | undefined,
    headers: Record<string, string>,
  ) {
    super(code, '', body, headers);
    const status = typeof body === 'object' && body ? body : undefined;
    const detail = status ? `${status.reason ?? ''}${status.message ? `: ${status.message}` : ''}` : String(body ?? '').slice(0, 200);
    this.message = `${method} ${path}: ${code} ${detail}`.trim();
    this.name = 'KubeApiError';
  }
}

export function errorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => errorCode(err) === 404;
export const isConflict = (err: unknown): boolean => errorCode(err) === 409 && (err as { body?: StatusBody }).body?.reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => errorCode(err) === 409 && (err as { body?: StatusBody }).body?.reason === 'AlreadyExists';
export const isExpired = (err: unknown): boolean => errorCode(err) === 410;

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

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** overrides the client's requestTimeoutMs */
  timeoutMs?: number;
  /** cancels the request (an informer being stopped) */
  signal?: AbortSignal;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** Build with createClients() (client.ts), which also applies client-side rate limiting. */
export class ObjectClient extends KubernetesObjectApi {
  /**
   * @param requestTimeoutMs a request without an answer by then fails (client-node sets none, and
   *   a half-open connection would otherwise hang a list, and the informer with it, forever)
   */
  constructor(
    configuration: Configuration,
    readonly requestTimeoutMs = 60_000,
  ) {
    super(configuration);
  }

  /** The resource serving `kind` in `apiVersion` (discovery, cached by client-node). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const r = await withTimeout(this.resource(apiVersion, kind), this.requestTimeoutMs, `discovery of ${kind} in ${apiVersion}`);
    if (!r) {
      // A CRD installed after the first lookup: client-node re-asks only when the kind is missing
      // from its cache, which is this case, so a second miss is final.
      throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    }
    return { name: r.name, namespaced: r.namespaced, kind: r.kind };
  }

  /** `/api/v1/namespaces/ns/pods`, or the cluster-wide collection when namespace is empty. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resourceFor(apiVersion, kind);
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${this.apiVersionPath(apiVersion)}${ns}/${r.name}`;
  }

  async objectPath(apiVersion: string, kind: string, key: ObjectKey, subresource?: string): Promise<string> {
    const base = await this.collectionPath(apiVersion, kind, key.namespace);
    return `${base}/${encodeURIComponent(key.name)}${subresource ? `/${subresource}` : ''}`;
  }

  /** One page of a list (use limit/continue for more). */
  async listPage(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ObjectList> {
    const path = await this.collectionPath(apiVersion, kind, opts.namespace);
    const list = await this.request<ObjectList>('GET', path, {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      signal: opts.signal,
    });
    list.items ??= [];
    list.metadata ??= {};
    // List items carry no apiVersion/kind on a real API server; give them back so that the
    // cached objects look like what a GET or a watch returns.
    const itemKind = kind;
    for (const item of list.items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= itemKind;
    }
    return list;
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

  /** Any request; the answer's JSON, or a KubeApiError for a non-2xx status. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method as HttpMethod);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') ctx.setQueryParam(k, String(v));
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    }
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const signals = [...(timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : []), ...(opts.signal ? [opts.signal] : [])];
    if (signals.length) ctx.setSignal(signals.length === 1 ? signals[0]! : AbortSignal.any(signals));
    try {
      return (await this.requestPromise(ctx)) as unknown as T;
    } catch (err) {
      if ((err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError') {
        if (opts.signal?.aborted) throw new Error(`${method} ${path}: cancelled`, { cause: err });
        throw new Error(`${method} ${path}: no answer within ${timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
  }

  // client-node's discovery (resource()) goes through here as well; plain JSON serves it too.
  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return body as T;
    // The request is not visible here; requestPromise below names it.
    throw new KubeApiError('?', '?', response.httpStatusCode, body as StatusBody | string | undefined, response.headers);
  }

  // Errors carry the request they answer.
  protected override async requestPromise<T extends KubernetesObject>(ctx: RequestContext, type?: string, options?: Configuration): Promise<T> {
    const method = ctx.getHttpMethod();
    const url = ctx.getUrl();
    try {
      return await super.requestPromise<T>(ctx, type, options);
    } catch (err) {
      if (err instanceof KubeApiError && err.method === '?') {
        throw new KubeApiError(method, new URL(url).pathname, err.code, err.body, err.headers);
      }
      throw err;
    }
  }
}

function requireType(obj: KubeObject): { apiVersion: string; kind: string } {
  if (!obj.apiVersion || !obj.kind) throw new Error(`object ${obj.metadata?.name ?? '?'} needs apiVersion and kind`);
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

// client-node's discovery request takes no signal; bound it from the outside.
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0)) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
