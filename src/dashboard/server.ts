// `hotpod dashboard`: an HTTP server on a loopback address serving the page (bundled at build
// time into dist/dashboard, nothing loaded from the network), a Server-Sent Events stream of the
// fleet (a snapshot, then the records that changed), a server's details, and actions. It acts
// with the credentials of the kubeconfig it was started with, as `kubectl proxy` does, so it
// listens on 127.0.0.1 unless told otherwise, and takes actions only as JSON with its own header
// (a page of another origin cannot send those without a CORS preflight, which it never answers).

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { KubeClient, KubeObject } from '../kube/index.js';
import { runAction, type ActionRequest } from './actions.js';
import { FleetState } from './fleet-state.js';
import { PAGE_HTML } from './page.js';

/** Past this many unsent bytes a page is cut off; its EventSource reconnects and starts afresh. */
const MAX_BUFFERED_BYTES = 16 << 20;
const HEARTBEAT_MS = 15_000;
export const ACTION_HEADER = 'x-hotpod-dashboard';

export interface DashboardOptions {
  client: KubeClient;
  address?: string;
  port?: number;
  logger?: Logger;
}

export interface Dashboard {
  url: string;
  state: FleetState;
  stop(): Promise<void>;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const state = new FleetState(opts.client, opts.logger);
  await state.start();
  const bundle = await readFile(new URL('../../dashboard/app.js', import.meta.url), 'utf8');
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.logger?.warn({ err, url: req.url }, 'dashboard: request failed');
      if (!res.headersSent) json(res, 500, { ok: false, status: 500, message: (err as Error).message });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
    if (req.method === 'GET' && url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', bundle);
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok');
    if (req.method === 'GET' && url.pathname === '/api/stream') return stream(res);
    const serverPath = /^\/api\/servers\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && serverPath) return json(res, 200, serverDetail(state, decodeURIComponent(serverPath[1]!), decodeURIComponent(serverPath[2]!)));
    if (req.method === 'POST' && url.pathname === '/api/actions') {
      if (req.headers[ACTION_HEADER] !== '1' || !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return json(res, 403, { ok: false, status: 403, message: `actions are JSON with the ${ACTION_HEADER} header` });
      }
      const body = JSON.parse(await readBody(req)) as ActionRequest;
      const result = await runAction(opts.client, body);
      return json(res, result.ok ? 200 : result.status, result);
    }
    send(res, 404, 'text/plain', 'not found');
  }

  function stream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: snapshot\ndata: ${JSON.stringify(state.snapshot())}\n\n`);
    streams.add(res);
    const unsubscribe = state.subscribe((delta) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) return res.destroy();
      res.write(`event: delta\ndata: ${JSON.stringify(delta)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    res.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.address ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    state,
    async stop() {
      for (const s of streams) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.stop();
    },
  };
}

/** What the server page shows of one server: its pod's containers and its GameServer. */
export function serverDetail(state: FleetState, namespace: string, name: string): Record<string, unknown> {
  const { pod, gameServer, tile } = state.server(namespace, name);
  return { namespace, name, tile: tile ?? null, pod: pod ? podDetail(pod) : null, gameServer: gameServer ? gameServerDetail(gameServer) : null };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function podDetail(pod: KubeObject): Record<string, unknown> {
  const p = pod as Loose;
  const statuses = new Map(((p.status?.containerStatuses ?? []) as Loose[]).map((s) => [s.name, s]));
  return {
    node: p.spec?.nodeName ?? '',
    podIP: p.status?.podIP ?? '',
    phase: p.status?.phase ?? '',
    revision: p.metadata?.labels?.['controller-revision-hash'] ?? '',
    containers: ((p.spec?.containers ?? []) as Loose[]).map((c) => {
      const s = statuses.get(c.name) ?? {};
      const state = s.state ? Object.keys(s.state)[0] : 'waiting';
      return { name: c.name, image: c.image, running: s.image ?? '', ready: s.ready === true, restartCount: s.restartCount ?? 0, state, reason: s.state?.[state]?.reason ?? '' };
    }),
  };
}

function gameServerDetail(gs: KubeObject): Record<string, unknown> {
  const g = gs as Loose;
  return {
    opsState: g.spec?.opsState ?? 'None',
    updatePriority: String(g.spec?.updatePriority ?? 0),
    deletionPriority: String(g.spec?.deletionPriority ?? 0),
    currentState: g.status?.currentState ?? '',
    networkStatus: g.status?.networkStatus ?? null,
    serviceQualities: ((g.status?.serviceQualitiesConditions ?? []) as Loose[]).map((q) => ({ name: q.name, status: q.status ?? '', result: q.result ?? '' })),
    conditions: ((g.status?.conditions ?? []) as Loose[]).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? '', message: c.message ?? '' })),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > 64 << 10) req.destroy(new Error('action body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
