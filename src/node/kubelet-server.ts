// A node's kubelet endpoint, in the small part hotpod needs: the API server proxies
// `pods/log` here, and `hotpod node ps` reads the node's containers. Plain HTTP on loopback
// (a real kubelet serves HTTPS on :10250); each node agent runs one and advertises it in its
// Node's status.daemonEndpoints.kubeletEndpoint.Port. Every request needs a bearer token the
// API server knows (401 otherwise) whose user may `get` `nodes/proxy` of this node
// (`nodes/healthz` for /healthz; 403 otherwise), as kubelet's webhook mode asks: anyone on the
// host can reach a loopback port, and a log is only as public as `pods/log` makes it.
//
//   GET /containerLogs/<namespace>/<pod>/<container>?follow=&previous=&tailLines=&timestamps=
//       &sinceSeconds=&sinceTime=&limitBytes=     text/plain, streamed while following
//   GET /containers                               JSON array of ContainerInfo
//   GET /healthz
//   GET /exec/<namespace>/<pod>/<container>?command=..&command=..&stdin=&stdout=&stderr=
//   GET /attach/<namespace>/<pod>/<container>?stdin=&stdout=&stderr=
//       an upgrade to a WebSocket in the channel protocol (kubelet-exec.ts)
//   GET /portForward/<namespace>/<pod>[?ports=..]
//       an upgrade to SPDY/3.1, directly or tunnelled through a WebSocket (kubelet-portforward.ts)

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerInfo } from './runtime/types.js';
import { readContainerLog, type LogReadOptions } from './container-logs.js';
import type { KubeletAuth } from './kubelet-auth.js';
import type { Duplex } from 'node:stream';
import type { AttachSession, ExecSession } from './runtime/types.js';
import { ExecUpgrades } from './kubelet-exec.js';
import { PORT_FORWARD_PROTOCOL, PortForwardUpgrades, type PortForwardTarget } from './kubelet-portforward.js';

/** Runs a command in a pod's container, or says why not. */
type ExecStarter = (namespace: string, pod: string, container: string, command: string[], stdin: boolean) => ExecSession | string;

/** Attaches to a pod's running container, or says why not. */
type AttachStarter = (namespace: string, pod: string, container: string, stdin: boolean) => AttachSession | string;

/** The log file of a pod's container (the previous one when `previous`), if it has one. */
/** The container's log file; null when it exists but has no log (an empty log); undefined when it does not exist. */
type LogLookup = (namespace: string, pod: string, container: string, previous: boolean) => string | null | undefined;

interface KubeletServerOptions {
  /** Who may ask (see kubelet-auth.ts); there is no way to serve without it. */
  auth: KubeletAuth;
  /** Every container of the node's runtimes, for `hotpod node ps`. */
  containers?: () => ContainerInfo[];
  /** `kubectl exec` (absent: exec is answered 404). */
  exec?: ExecStarter;
  /** `kubectl attach` (absent: attach is answered 404). */
  attach?: AttachStarter;
  /** `kubectl port-forward`: where the pod's ports are, or why not (absent: answered 404). */
  portForward?: (namespace: string, pod: string) => PortForwardTarget | string;
  address?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface KubeletServer {
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function startKubeletServer(logs: LogLookup, opts: KubeletServerOptions): Promise<KubeletServer> {
  const server = http.createServer((req, res) => {
    handle(req, res, logs, opts).catch((err: unknown) => {
      if (!res.headersSent) text(res, 500, `internal error: ${(err as Error).message}`);
      else res.end();
    });
  });
  const upgrades = new ExecUpgrades();
  const forwards = new PortForwardUpgrades();
  // Upgraded connections (exec, attach, port-forward sessions) are no longer the HTTP server's:
  // kept here so that stopping the node ends them instead of waiting for their clients.
  const sessions = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sessions.add(socket);
    socket.once('close', () => sessions.delete(socket));
    upgrade(req, socket, head, upgrades, forwards, opts).catch((err: unknown) => refuse(socket, 500, `internal error: ${(err as Error).message}`));
  });
  const address = opts.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    address,
    close: () =>
      new Promise((resolve) => {
        upgrades.close();
        forwards.close();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sessions) socket.destroy();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, logs: LogLookup, opts: KubeletServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kubelet');
  if (!(await allowed(req, res, url, opts.auth))) return;
  if (req.method !== 'GET') return text(res, 405, 'method not allowed');
  if (url.pathname === '/healthz') return text(res, 200, 'ok');
  if (url.pathname === '/containers') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return void res.end(JSON.stringify(opts.containers?.() ?? []));
  }
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (!m) return text(res, 404, `not found: ${url.pathname}`);
  const [namespace, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
  const q = url.searchParams;
  const previous = flag(q.get('previous'));
  const path = logs(namespace, pod, container, previous);
  if (path === undefined) {
    const what = previous ? `previous terminated container "${container}" in pod "${pod}"` : `container "${container}" in pod "${pod}"`;
    return text(res, 404, `${what} not found on this node`);
  }
  const options = logOptions(q);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  // A simulated container prints nothing: an empty log (even with follow, which would otherwise
  // hang on a stream that can never get a line or an end).
  if (path === null) return void res.end();
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  await readContainerLog(path, options, res, abort.signal);
  res.end();
}

/** `kubectl exec`, `attach` and `port-forward` through the API server: authorized as every request here, then upgraded. */
async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, upgrades: ExecUpgrades, forwards: PortForwardUpgrades, opts: KubeletServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kubelet');
  const denied = await denial(req, url, opts.auth);
  if (denied) return refuse(socket, denied.code, denied.message);
  const pf = /^\/portForward\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (pf && opts.portForward) {
    const ports = url.searchParams.getAll('ports').flatMap((p) => p.split(',')).map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
    if (!forwards.speaks(req, ports)) return refuse(socket, 400, `port forwarding is served over SPDY/3.1 (${PORT_FORWARD_PROTOCOL}), directly or through a WebSocket, or over v4.channel.k8s.io with ?ports=`);
    const target = opts.portForward(decodeURIComponent(pf[1]!), decodeURIComponent(pf[2]!));
    if (typeof target === 'string') return refuse(socket, 400, target);
    return forwards.serve(req, socket, head, target, ports);
  }
  const m = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  const what = m?.[1] as 'exec' | 'attach' | undefined;
  if (!m || !what || !opts[what]) return refuse(socket, 404, `not found: ${url.pathname}`);
  if (!upgrades.speaks(req)) return refuse(socket, 400, `${what} is served over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io) only`);
  const [namespace, pod, container] = m.slice(2).map(decodeURIComponent) as [string, string, string];
  const stdin = flag(url.searchParams.get('stdin'));
  if (what === 'attach') return upgrades.serveAttach(req, socket, head, () => opts.attach!(namespace, pod, container, stdin));
  const command = url.searchParams.getAll('command');
  upgrades.serve(req, socket, head, command, () => opts.exec!(namespace, pod, container, command, stdin));
}

/** A plain HTTP answer on a socket that asked for an upgrade. */
function refuse(socket: Duplex, code: number, message: string): void {
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`);
}

const VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** kubelet's auth filter: 401 without a known token, 403 without the right; answered here. */
async function allowed(req: IncomingMessage, res: ServerResponse, url: URL, auth: KubeletAuth): Promise<boolean> {
  const denied = await denial(req, url, auth);
  if (denied) text(res, denied.code, denied.message);
  return !denied;
}

async function denial(req: IncomingMessage, url: URL, auth: KubeletAuth): Promise<{ code: number; message: string } | undefined> {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
  const user = token ? await auth.authenticate(token) : undefined;
  if (!user) return { code: 401, message: 'Unauthorized' };
  const request = { verb: VERBS[req.method ?? ''] ?? (req.method ?? '').toLowerCase(), subresource: url.pathname === '/healthz' ? 'healthz' : 'proxy' };
  if (await auth.authorize(user, request)) return undefined;
  return { code: 403, message: `Forbidden (user=${user.username}, verb=${request.verb}, resource=nodes, subresource(s)=[${request.subresource}])` };
}

function logOptions(q: URLSearchParams): LogReadOptions {
  const num = (name: string): number | undefined => {
    const v = q.get(name);
    return v !== null && /^-?\d+$/.test(v) ? Number(v) : undefined;
  };
  const opts: LogReadOptions = { follow: flag(q.get('follow')), timestamps: flag(q.get('timestamps')) };
  const tail = num('tailLines');
  if (tail !== undefined && tail >= 0) opts.tailLines = tail;
  const limit = num('limitBytes');
  if (limit !== undefined && limit > 0) opts.limitBytes = limit;
  const sinceSeconds = num('sinceSeconds');
  if (sinceSeconds !== undefined) opts.since = new Date(Date.now() - sinceSeconds * 1000);
  const sinceTime = q.get('sinceTime');
  if (sinceTime && !Number.isNaN(Date.parse(sinceTime))) opts.since = new Date(sinceTime);
  return opts;
}

function flag(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}
