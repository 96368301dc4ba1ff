// The controller's small HTTP servers: health probes (/healthz, /readyz) and Prometheus metrics
// (/metrics), each on its own bind address as controller-runtime's operators have them
// (`:8081` and `:8080`; `0` turns one off), so a Deployment can probe and scrape them.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BindAddress {
  /** undefined: every interface */
  host?: string;
  port: number;
}

/**
 * `:8080`, `127.0.0.1:0`, `[::1]:8080`, `localhost:9000`; `0` (or empty) means off (null).
 * Throws a one-line message for anything else.
 */
export function parseBindAddress(value: string): BindAddress | null {
  const v = value.trim();
  if (v === '0' || v === '') return null;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`"${value}" is not a bind address: use host:port or :port (e.g. :8080, 127.0.0.1:0), or 0 to turn it off`);
  const host = m[1] ?? m[2];
  return { host: host || undefined, port };
}

export type Routes = Record<string, (req: IncomingMessage) => Promise<{ status: number; body: string; contentType?: string }> | { status: number; body: string; contentType?: string }>;

export interface HttpEndpoint {
  /** `http://127.0.0.1:8080` (the address actually bound, so port 0 shows the chosen port) */
  url: string;
  close(): Promise<void>;
}

/** Listens on `bind` and answers GET for the given paths; 404 for anything else. */
export async function serveHttp(bind: BindAddress, routes: Routes): Promise<HttpEndpoint> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route: Routes[string] | undefined = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(route ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(route ? 'method not allowed\n' : 'not found\n');
      return;
    }
    Promise.resolve()
      .then(() => route(req))
      .then(
        (r) => res.writeHead(r.status, { 'Content-Type': r.contentType ?? 'text/plain; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : r.body),
        (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
      );
  });
  // Probes and scrapes hold keep-alive connections; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
