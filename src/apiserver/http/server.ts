// The HTTP front of the API server: authentication, routing, content negotiation and the
// mapping of each request to a verb on ObjectService.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import YAML from 'yaml';
import type { Logger } from 'pino';
import { ApiError, badRequest, internalError, invalid, methodNotSupported, tooLargeResourceVersion, unauthorized, type Status, type StatusCause } from '../errors.js';
import { ObjectService, type DeleteOptions, type FieldValidation, type ListOptions } from '../objects.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from '../discovery.js';
import { FUTURE_RV_WAIT_MS, Watches } from '../watch.js';
import { parseRequestPath, type ResourceRequest } from './request-path.js';
import { tableVersion, toTable, wantsTable } from '../tables/table.js';
import { openapiV3Document, openapiV3Index, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from '../openapi/v3.js';
import type { ResourceDef } from '../types.js';
import { apiVersionOf } from '../types.js';
import { getScale, scaleUpdate } from './scale.js';
import { bindPod } from './binding.js';
import { proxyPodLog } from './pod-log.js';
import { answerStatus, execTarget, portForwardTarget, proxyExec } from './pod-exec.js';
import { decodeProtobufDeleteOptions, decodeProtobufObject } from './protobuf.js';
import { checkBodyDepth } from '../registry/decode.js';
import type { Authenticator } from '../auth/authenticator.js';
import { forbidden, type RbacAuthorizer } from '../auth/authorizer.js';
import { requestAttributes } from '../../util/request-attributes.js';
import { impersonatedUser, wantsImpersonation } from '../auth/impersonation.js';
import { escalationCheck } from '../auth/escalation.js';
import { RBAC_GROUP } from '../auth/rbac-rules.js';
import type { TokenSigner } from '../auth/tokens.js';
import { ANONYMOUS_USER, isSuperuser, type UserInfo } from '../auth/user.js';
import { requestToken, selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview, subjectAccessReview, tokenReview } from './auth-endpoints.js';

interface HttpServerOptions {
  objects: ObjectService;
  watches: Watches;
  authenticator: Authenticator;
  authorizer: RbacAuthorizer;
  tokens: TokenSigner;
  tls?: { key: string; cert: string };
  logger: Logger;
}

/** kube-apiserver's MaxRequestBodyBytes. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Node's default, said aloud; kube-apiserver (Go's net/http) allows 1 MiB. */
const MAX_HEADER_BYTES = 16 * 1024;
/**
 * After an early answer (413, 431) the client may still be sending: closing at once would reset
 * the connection before it reads the answer, so the rest is read and dropped for a while first,
 * as Go's server waits before it closes.
 */
const DRAIN_MS = 2_000;
const DRAIN_MAX_BYTES = 2 * MAX_BODY_BYTES;
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version']);
/** Pod subresources that stream a terminal or a port; exec is served through a connection upgrade (handleUpgrade). */
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const REVIEWS = new Set([
  'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
]);

export class HttpServer {
  readonly server: http.Server | https.Server;

  constructor(private readonly opts: HttpServerOptions) {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const options = { maxHeaderSize: MAX_HEADER_BYTES };
    this.server = opts.tls ? https.createServer({ ...options, key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(options, handler);
    this.server.keepAliveTimeout = 65_000;
    this.server.on('clientError', answerClientError);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    if (opts.tls) this.server.on('secureConnection', parseFromTheStream);
  }

  listen(port: number, address: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => resolve(this.server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    this.opts.watches.closeAll();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      let user = this.opts.authenticator.authenticate(req.headers.authorization);
      if (!user && !OPEN_PATHS.has(url.pathname)) throw unauthorized();
      if (user && wantsImpersonation(req.headers)) user = this.impersonate(user, req);
      // system:masters (the admin kubeconfig) is never looked up: its requests cost no RBAC work.
      if (user && !isSuperuser(user)) this.authorize(user, req.method ?? 'GET', url);
      await this.route(req, res, url, user ?? ANONYMOUS_USER);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError(err);
      if (!(err instanceof ApiError)) this.opts.logger.error({ err, method: req.method, url: req.url }, 'request failed');
      if (res.headersSent) res.end();
      else if (apiErr.code === 413) sendStatusUnread(req, res, apiErr.toStatus());
      else sendStatus(res, apiErr.toStatus());
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (this.opts.logger.isLevelEnabled('debug')) {
        this.opts.logger.debug({ method: req.method, url: req.url, code: res.statusCode, ms }, 'request');
      }
    }
  }

  /**
   * A connection upgrade: only pods/exec, pods/attach and pods/portforward take one.
   * Authenticated and authorized as any request, with `create` on the subresource
   * (kube-apiserver asks create of a WebSocket exec, attach or port-forward too, since 1.31).
   */
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let user = this.opts.authenticator.authenticate(req.headers.authorization);
      if (!user) throw unauthorized();
      if (wantsImpersonation(req.headers)) user = this.impersonate(user, req);
      if (!isSuperuser(user)) this.authorize(user, 'POST', url);
      const r = parseRequestPath(url.pathname);
      if (r?.kind !== 'resource' || r.group !== '' || r.resource !== 'pods' || !STREAMING_SUBRESOURCES.has(r.subresource ?? '') || !r.name) {
        throw badRequest(`${url.pathname} does not take a connection upgrade (only pods/exec, pods/attach and pods/portforward do)`);
      }
      const pod = this.opts.objects.get(this.opts.objects.registry.lookup('', 'v1', 'pods')!, r.namespace, r.name);
      const token = this.opts.authenticator.kubeletClientToken;
      if (r.subresource === 'portforward') return proxyExec(req, socket, head, portForwardTarget(this.opts.objects, pod, url.searchParams), token);
      if (r.subresource !== 'exec' && r.subresource !== 'attach') throw badRequest(`pods/${r.subresource} is not supported by hotpod's embedded nodes (kubectl logs, exec, attach and port-forward are)`);
      proxyExec(req, socket, head, execTarget(this.opts.objects, pod, req, url.searchParams, r.subresource), token);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError(err);
      if (!(err instanceof ApiError)) this.opts.logger.error({ err, url: req.url }, 'upgrade failed');
      answerStatus(socket, apiErr);
    }
  }

  private impersonate(requester: UserInfo, req: IncomingMessage): UserInfo {
    const authorizer = this.opts.authorizer;
    return impersonatedUser(
      req.headersDistinct,
      (attrs) => authorizer.authorize(requester, attrs).allowed,
      (attrs) => forbidden(requester, attrs, authorizer.authorize(requester, attrs).reason),
    );
  }

  /** Before anything is read or started, watches included, as kube-apiserver's filter chain does. */
  private authorize(user: UserInfo, method: string, url: URL): void {
    const attrs = requestAttributes(method, url.pathname, url.searchParams);
    const decision = this.opts.authorizer.authorize(user, attrs);
    if (!decision.allowed) throw forbidden(user, attrs, decision.reason);
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const registry = this.opts.objects.registry;
    const host = req.headers.host ?? 'localhost';
    switch (path) {
      case '/healthz':
      case '/readyz':
      case '/livez':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end('ok');
      case '/version':
        return sendJson(res, 200, SERVER_VERSION);
      case '/api':
        return sendJson(res, 200, apiVersions(host));
      case '/apis':
        return sendJson(res, 200, apiGroupList(registry));
      case '/openapi/v2':
        // An empty protobuf document is what lets every kubectl from 1.20 on validate.
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, 'Content-Length': '0' });
        return void res.end();
      case '/openapi/v3':
        return sendJson(res, 200, openapiV3Index(registry.groupVersions().flatMap((g) => g.versions.map((version) => ({ group: g.group, version })))));
    }
    if (path.startsWith('/openapi/v3/')) return this.openapiDocument(res, path);
    const parsed = parseRequestPath(path);
    if (!parsed) throw pathNotFound(path);
    if (parsed.kind === 'group') {
      const doc = apiGroup(registry, parsed.group);
      if (!doc) throw pathNotFound(path);
      return sendJson(res, 200, doc);
    }
    if (parsed.kind === 'resources') {
      const doc = apiResourceList(registry, parsed.group, parsed.version);
      if (!doc) throw pathNotFound(path);
      return sendJson(res, 200, doc);
    }
    const def = registry.lookup(parsed.group, parsed.version, parsed.resource);
    if (!def) throw pathNotFound(path);
    if (REVIEWS.has(`${def.group}/${def.resource}`)) return this.review(req, res, def, parsed, user);
    return this.resource(req, res, url, def, parsed, user);
  }

  private async review(req: IncomingMessage, res: ServerResponse, def: ResourceDef, r: ResourceRequest, user: UserInfo): Promise<void> {
    if (req.method !== 'POST' || r.name !== undefined || (r.namespace !== undefined) !== def.namespaced) throw methodNotSupported(def.resource, req.method ?? '');
    const body = await readObjectBody(req);
    switch (def.resource) {
      case 'tokenreviews':
        return sendJson(res, 201, tokenReview(this.opts.authenticator, body));
      case 'subjectaccessreviews':
        return sendJson(res, 201, subjectAccessReview(this.opts.authorizer, body));
      case 'localsubjectaccessreviews':
        return sendJson(res, 201, subjectAccessReview(this.opts.authorizer, body, r.namespace));
      case 'selfsubjectreviews':
        return sendJson(res, 201, selfSubjectReview(user));
      case 'selfsubjectaccessreviews':
        return sendJson(res, 201, selfSubjectAccessReview(this.opts.authorizer, user, body));
      default:
        return sendJson(res, 201, selfSubjectRulesReview(this.opts.authorizer, user, body));
    }
  }

  private openapiDocument(res: ServerResponse, path: string): void {
    const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) throw pathNotFound(path);
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    const registry = this.opts.objects.registry;
    const defs = registry.resourcesOf(group, version);
    if (!defs.length) throw pathNotFound(path);
    const schemas = new Map<string, unknown>();
    for (const def of defs) {
      const raw = registry.customVersion(def)?.rawSchema;
      if (raw) schemas.set(def.kind, raw);
    }
    sendJson(res, 200, openapiV3Document(defs, schemas));
  }

  private async resource(req: IncomingMessage, res: ServerResponse, url: URL, def: ResourceDef, r: ResourceRequest, user: UserInfo): Promise<void> {
    const objects = this.opts.objects;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const namespace = r.namespace;
    if (def.namespaced === false && namespace !== undefined) throw pathNotFound(url.pathname);
    const writeOpts = {
      ...writeOptions(method, q),
      check: def.group === RBAC_GROUP && !isSuperuser(user) ? escalationCheck(this.opts.authorizer, user, def.resource, namespace) : undefined,
    };

    if (r.name === undefined) {
      if (r.watch || (method === 'GET' && isTrue(q.get('watch')))) return this.watch(req, res, def, namespace, q);
      switch (method) {
        case 'GET':
          return this.list(req, res, def, namespace, q);
        case 'POST': {
          const body = await readObjectBody(req);
          const result = await objects.create(def, namespace, body, writeOpts);
          return sendRaw(res, result.created ? 201 : 200, objects.jsonOf(result.object), result.warnings);
        }
        case 'DELETE': {
          if (!def.verbs.includes('deletecollection')) throw methodNotSupported(def.resource, 'deletecollection');
          const deleted = await objects.deleteCollection(def, namespace, listOptions(q), await deleteOptions(req, q));
          return sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(objects.store.revision) }, items: deleted });
        }
        default:
          throw methodNotSupported(def.resource, method);
      }
    }

    const name = r.name;
    if (r.subresource === 'scale' && def.subresources.includes('scale')) {
      if (method === 'GET') return sendJson(res, 200, getScale(objects, def, namespace, name));
      if (method === 'PUT' || method === 'PATCH') {
        const raw = await readBody(req);
        return sendJson(res, 200, await scaleUpdate(objects, def, namespace, name, method, req.headers['content-type'] ?? '', raw, writeOpts));
      }
      throw methodNotSupported(`${def.resource}/scale`, method);
    }
    if (r.subresource === 'binding' && def.subresources.includes('binding')) {
      if (method !== 'POST') throw methodNotSupported('pods/binding', method);
      const body = await readObjectBody(req);
      return sendJson(res, 201, await bindPod(objects, def, namespace!, name, body));
    }
    if (r.subresource === 'token' && def.subresources.includes('token')) {
      if (method !== 'POST') throw methodNotSupported('serviceaccounts/token', method);
      const body = await readObjectBody(req);
      return sendJson(res, 201, await requestToken(objects, this.opts.tokens, namespace!, name, body));
    }
    if (r.subresource === 'log' && def.subresources.includes('log')) {
      if (method !== 'GET') throw methodNotSupported('pods/log', method);
      return proxyPodLog(objects, res, objects.get(def, namespace, name), q, this.opts.authenticator.kubeletClientToken);
    }
    if (def.group === '' && def.resource === 'pods' && STREAMING_SUBRESOURCES.has(r.subresource ?? '')) {
      // Asked without the upgrade they take (a hand-made request): say which, not a bare 404.
      objects.get(def, namespace, name);
      if (r.subresource === 'exec' || r.subresource === 'attach') throw badRequest(`pods/${r.subresource} takes a connection upgrade to WebSocket (v5.channel.k8s.io), as kubectl 1.30 and later and client-node ask`);
      if (r.subresource === 'portforward') throw badRequest('pods/portforward takes a connection upgrade to SPDY/3.1, directly or through a WebSocket (SPDY/3.1+portforward.k8s.io), as kubectl asks');
      throw badRequest(`pods/${r.subresource} is not supported by hotpod's embedded nodes (kubectl logs, exec, attach and port-forward are)`);
    }
    if (r.subresource !== undefined && !(r.subresource === 'status' && def.subresources.includes('status'))) {
      throw pathNotFound(url.pathname);
    }

    switch (method) {
      case 'GET': {
        const obj = objects.get(def, namespace, name);
        if (r.subresource === undefined && wantsTable(req.headers.accept)) {
          return sendJson(res, 200, toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion, includeObject: includeObject(q), version: tableVersion(req.headers.accept) }));
        }
        return sendRaw(res, 200, objects.jsonOf(obj));
      }
      case 'PUT': {
        const body = await readObjectBody(req);
        const result = await objects.update(def, namespace, name, body, r.subresource, writeOpts);
        return sendRaw(res, 200, objects.jsonOf(result.object), result.warnings);
      }
      case 'PATCH': {
        const raw = await readBody(req);
        const result = await objects.patch(def, namespace, name, req.headers['content-type'] ?? '', raw, r.subresource, {
          ...writeOpts,
          force: isTrue(q.get('force')),
        });
        return sendRaw(res, result.created ? 201 : 200, objects.jsonOf(result.object), result.warnings);
      }
      case 'DELETE': {
        if (r.subresource !== undefined) throw methodNotSupported(`${def.resource}/${r.subresource}`, 'delete');
        const deleted = await objects.delete(def, namespace, name, await deleteOptions(req, q));
        return sendRaw(res, 200, objects.jsonOf(deleted));
      }
      default:
        throw methodNotSupported(def.resource, method);
    }
  }

  private async list(req: IncomingMessage, res: ServerResponse, def: ResourceDef, namespace: string | undefined, q: URLSearchParams): Promise<void> {
    const objects = this.opts.objects;
    checkListVersion(q);
    await awaitResourceVersion(objects, q);
    const result = objects.list(def, namespace, listOptions(q));
    if (wantsTable(req.headers.accept)) {
      return sendJson(
        res,
        200,
        toTable(def, result.items, {
          resourceVersion: result.revision,
          continue: result.continue,
          remainingItemCount: result.remaining,
          includeObject: includeObject(q),
          version: tableVersion(req.headers.accept),
        }),
      );
    }
    const metadata: Record<string, unknown> = { resourceVersion: result.revision };
    if (result.continue) metadata.continue = result.continue;
    if (result.remaining !== undefined) metadata.remainingItemCount = result.remaining;
    sendRaw(res, 200, listJson(def, metadata, result.items.map((o) => objects.jsonOf(o))));
  }

  private watch(req: IncomingMessage, res: ServerResponse, def: ResourceDef, namespace: string | undefined, q: URLSearchParams): Promise<void> {
    const objects = this.opts.objects;
    const sendInitial = q.get('sendInitialEvents');
    if (sendInitial !== null && q.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw badRequest('sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan');
    }
    const table = wantsTable(req.headers.accept);
    const timeout = q.get('timeoutSeconds');
    const opts = listOptions(q);
    const matches = objects.matcher(def, opts);
    return this.opts.watches.serve(res, {
      def,
      namespace,
      matches,
      resourceVersion: q.get('resourceVersion') ?? '',
      allowBookmarks: isTrue(q.get('allowWatchBookmarks')),
      sendInitialEvents: sendInitial === null ? undefined : isTrue(sendInitial),
      timeoutSeconds: timeout ? Number(timeout) : undefined,
      currentObjects: () => objects.list(def, namespace, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }).items,
      present: (o) => objects.present(def, o),
      render: table
        ? (o, first) => {
            const t = toTable(def, [o], {
              resourceVersion: o.metadata.resourceVersion,
              includeObject: includeObject(q),
              version: tableVersion(req.headers.accept),
            }) as Record<string, unknown>;
            if (!first) t.columnDefinitions = [];
            return t;
          }
        : undefined,
    });
  }
}

/** A list at a resourceVersion not yet reached waits for it as kube's watch cache does, then answers 504. */
async function awaitResourceVersion(objects: ObjectService, q: URLSearchParams): Promise<void> {
  const rv = Number(q.get('resourceVersion') ?? '');
  if (!Number.isSafeInteger(rv) || rv <= objects.store.revision || q.get('resourceVersionMatch') === 'Exact') return;
  const current = objects.store.revision;
  if (!(await objects.store.waitForRevision(rv, FUTURE_RV_WAIT_MS))) throw tooLargeResourceVersion(rv, current);
}

function listJson(def: ResourceDef, metadata: Record<string, unknown>, parts: string[]): string {
  // Items keep the JSON text the store made of them; the list is only joined around them.
  return `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(metadata)},"items":[${parts.join(',')}]}`;
}

function pathNotFound(path: string): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }] });
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

const OBJECT_MEDIA_TYPES = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';
const OPTIONS_KIND: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' };
const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * dryRun, fieldValidation and fieldManager of a write, checked as kube-apiserver's
 * ValidateCreateOptions (and Update, Patch) does: 422 on the options kind, never a write that
 * ignores what it did not understand (dryRun=Bogus must not store).
 */
function writeOptions(method: string, q: URLSearchParams): { dryRun: boolean; fieldValidation?: FieldValidation; fieldManager?: string } {
  const causes: StatusCause[] = [];
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) causes.push(dryRunCause(dryRun));
  const manager = q.get('fieldManager') ?? undefined;
  if (manager !== undefined && manager.length > FIELD_MANAGER_MAX_LENGTH) {
    causes.push({ reason: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  } else if (manager !== undefined) {
    causes.push(...unprintable(manager));
  }
  const validation = q.get('fieldValidation') ?? '';
  if (validation !== '' && validation !== 'Strict' && validation !== 'Warn' && validation !== 'Ignore') {
    causes.push({ reason: 'FieldValueNotSupported', field: 'fieldValidation', message: `Unsupported value: ${JSON.stringify(validation)}: supported values: "", "Ignore", "Strict", "Warn"` });
  }
  const kind = OPTIONS_KIND[method];
  if (causes.length && kind) throw invalid('meta.k8s.io', kind, '', causes);
  return { dryRun: dryRun.includes('All'), fieldValidation: (validation || undefined) as FieldValidation | undefined, fieldManager: manager };
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** kube's ValidateFieldManager: one cause per character that does not print, at its byte position. */
function unprintable(manager: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let at = 0;
  for (const ch of manager) {
    if (!PRINTABLE.test(ch)) {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      causes.push({ reason: 'FieldValueInvalid', field: 'fieldManager', message: `Invalid value: ${JSON.stringify(manager)}: invalid character ${code} (at position ${at})` });
    }
    at += Buffer.byteLength(ch);
  }
  return causes;
}

/** Go prints the []string it got: `[]string{"Bogus"}`. */
function dryRunCause(values: string[]): StatusCause {
  return { reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: []string{${values.map((v) => JSON.stringify(v)).join(', ')}}: supported values: "All"` };
}

function includeObject(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function listOptions(q: URLSearchParams): ListOptions {
  const limit = parseInt64(q.get('limit'));
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    // As in kube, 0 or less means no limit.
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continue: q.get('continue') ?? undefined,
  };
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A query integer as Go's strconv.ParseInt reads it, with its messages (400 BadRequest, as kube's parameter decoding). */
function parseInt64(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Number(n);
}

/** A list's resourceVersion and resourceVersionMatch, checked as kube's ValidateListOptions and the storage's ParseResourceVersion. */
function checkListVersion(q: URLSearchParams): void {
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const causes: StatusCause[] = [];
  if (match !== '') {
    if (rv === '') causes.push({ reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided' });
    if (q.get('continue')) causes.push({ reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden when continue is provided' });
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      causes.push({ reason: 'FieldValueNotSupported', field: 'resourceVersionMatch', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""` });
    }
    if (match === 'Exact' && rv === '0') causes.push({ reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
  }
  if (q.get('sendInitialEvents') !== null) causes.push({ reason: 'FieldValueForbidden', field: 'sendInitialEvents', message: 'Forbidden: sendInitialEvents is forbidden for list' });
  if (causes.length) throw invalid('meta.k8s.io', 'ListOptions', '', causes);
  if (rv !== '' && (!/^\d+$/.test(rv) || BigInt(rv) > UINT64_MAX)) {
    const why = /^\d+$/.test(rv) ? 'value out of range' : 'invalid syntax';
    throw badRequest(`invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: ${why}`);
  }
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const body = deleteOptionsBody(await readBodyBytes(req), req.headers['content-type']);
  const policy = body.propagationPolicy ?? q.get('propagationPolicy') ?? (body.orphanDependents === true || q.get('orphanDependents') === 'true' ? 'Orphan' : undefined);
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
  }
  const dryRun: unknown = body.dryRun ?? q.getAll('dryRun');
  if (Array.isArray(dryRun) && dryRun.some((v) => v !== 'All')) throw invalid('meta.k8s.io', 'DeleteOptions', '', [dryRunCause(dryRun.map(String))]);
  const grace = body.gracePeriodSeconds ?? (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
  return {
    propagationPolicy: policy,
    gracePeriodSeconds: grace,
    preconditions: body.preconditions,
    dryRun: Array.isArray(dryRun) && dryRun.includes('All'),
  };
}

/** A DELETE's body: none, JSON/YAML, or protobuf as client-go's protobuf clients (helm's release storage) send it. */
function deleteOptionsBody(bytes: Buffer, contentType: string | undefined): Record<string, any> {
  if ((contentType ?? '').includes('protobuf')) return bytes.length ? decodeProtobufDeleteOptions(bytes) : {};
  const raw = bytes.toString('utf8');
  return raw.trim() ? (parseBody(raw, contentType) as Record<string, any>) : {};
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  // kube-apiserver answers before reading when the declared length is over the limit.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Not req.destroy(): the answer must reach the client first (see sendStatusUnread).
        req.off('data', onData);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
}

/**
 * The answer to a request whose body was not read to its end: written whole at once, then the
 * connection closes once the client has stopped sending, or after DRAIN_MS or DRAIN_MAX_BYTES.
 */
function sendStatusUnread(req: IncomingMessage, res: ServerResponse, status: Status): void {
  const json = JSON.stringify(status);
  res.writeHead(status.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), Connection: 'close' });
  res.write(json);
  let drained = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    res.end();
  };
  const timer = setTimeout(finish, DRAIN_MS);
  req.on('data', (c: Buffer) => {
    drained += c.length;
    if (drained > DRAIN_MAX_BYTES) finish();
  });
  req.once('end', finish);
  req.once('error', finish);
  req.once('close', finish);
  if (req.readableEnded) finish();
  else req.resume();
}

const HEADER_TOO_LARGE = '431 Request Header Fields Too Large';
const answeredSockets = new WeakSet<Duplex>();

/**
 * Requests the HTTP parser refuses (headers over MAX_HEADER_BYTES, malformed ones). Node's own
 * handler writes the answer and destroys the socket at once, which resets the connection while
 * the client is still sending, so it never reads the answer; this one half-closes and reads the
 * rest away first, as Go's server (closeWriteAndWait) does, with Go's answer texts.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (answeredSockets.has(socket)) return;
  answeredSockets.add(socket);
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const text = err.code === 'HPE_HEADER_OVERFLOW' ? HEADER_TOO_LARGE : '400 Bad Request';
  socket.end(`HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.on('error', () => socket.destroy());
  socket.resume();
}

async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const bytes = await readBodyBytes(req);
  const body = (req.headers['content-type'] ?? '').includes('protobuf') ? decodeProtobufObject(bytes) : parseBody(bytes.toString('utf8'), req.headers['content-type']);
  checkBodyDepth(body);
  return body;
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = (contentType || 'application/json').split(';')[0].trim().toLowerCase();
  if (type.includes('protobuf')) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  // kube-apiserver decodes only what its serializers read; text/plain, a form or */* is refused.
  if (type !== 'application/json' && type !== 'application/yaml') {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${OBJECT_MEDIA_TYPES}`);
  }
  if (!raw.trim()) throw badRequest('the body of the request is empty');
  if (type === 'application/yaml') {
    try {
      return YAML.parse(raw);
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  sendRaw(res, code, JSON.stringify(body), warnings);
}

function sendRaw(res: ServerResponse, code: number, json: string, warnings: string[] = []): void {
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(json);
}

function sendStatus(res: ServerResponse, status: Status): void {
  if (status.details?.retryAfterSeconds) res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  sendJson(res, status.code, status);
}

/**
 * Node's HTTP server hands a TLS socket to its parser in C++. When a request arrives while the
 * answer to the one before is still being written (pipelined, or simply before the write's drain
 * is seen), the server pauses the socket, but the TLS layer still hands over every record it has
 * already decrypted, and the paused parser fails them with HPE_PAUSED: the client gets 400 for a
 * valid request. A 'data' listener makes the server parse from the socket's stream instead, which
 * holds those records until the socket resumes.
 */
function parseFromTheStream(socket: TLSSocket): void {
  socket.on('data', ignore);
}

function ignore(): void {}
