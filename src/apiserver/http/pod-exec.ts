// pods/exec, pods/attach and pods/portforward: as kube-apiserver does, check the pod (and its
// container), then hand the caller's connection upgrade to the node's kubelet endpoint and pipe
// the two sockets together; the streams themselves are the kubelet's business (exec and attach:
// kubectl's WebSocket channel protocol, src/node/kubelet-exec.ts; port forwarding: SPDY/3.1,
// src/node/kubelet-portforward.ts). The API server's own credential goes to the kubelet, never
// the caller's. An exec or attach client that asks for SPDY (kubectl before 1.30) gets a Status
// saying to use one that speaks WebSocket.

import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, badRequest } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { KObject } from '../types.js';
import { chooseContainer, kubeletEndpoint } from './pod-log.js';

const CONNECT_TIMEOUT_MS = 10_000;
const PASSED_PARAMS = ['command', 'stdin', 'stdout', 'stderr', 'tty'];

/** The upgrade as the caller asked it, checked; throws an ApiError to answer with. */
export function execTarget(objects: ObjectService, pod: KObject, req: IncomingMessage, q: URLSearchParams, subresource: 'exec' | 'attach' = 'exec'): { host: string; port: number; path: string } {
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[] };
  const name = pod.metadata.name!;
  const container = chooseContainer(spec, name, q.get('container') ?? '');
  if (subresource === 'exec' && q.getAll('command').length === 0) throw badRequest('you must specify at least 1 command');
  const status = (pod.status ?? {}) as { phase?: string; containerStatuses?: unknown[] };
  const running = ((status.containerStatuses ?? []) as { name: string; state?: { running?: object } }[]).find((s) => s.name === container)?.state?.running;
  if (!spec.nodeName || status.phase !== 'Running' || !running) {
    throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
  }
  // After the pod's own checks: kubectl retries a refused WebSocket upgrade over SPDY, and the
  // reason it sees is the second answer's.
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw badRequest(`hotpod serves ${subresource} over WebSocket only (kubectl 1.30 or later, client-node); this client asked for ${req.headers.upgrade ? `"${req.headers.upgrade}"` : 'no upgrade'}`);
  }
  const { host, port } = kubeletEndpoint(objects, spec.nodeName);
  const query = new URLSearchParams();
  for (const p of PASSED_PARAMS) for (const v of q.getAll(p)) if (subresource === 'exec' || p !== 'command') query.append(p, v);
  const path = `/${subresource}/${[pod.metadata.namespace!, name, container].map(encodeURIComponent).join('/')}?${query}`;
  return { host, port, path };
}

/**
 * pods/portforward: the pod running on a node; the kubelet speaks the protocol (SPDY/3.1,
 * directly or through a WebSocket), so the caller's upgrade goes there as it came.
 */
export function portForwardTarget(objects: ObjectService, pod: KObject, q: URLSearchParams): { host: string; port: number; path: string } {
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  const status = (pod.status ?? {}) as { phase?: string };
  if (!spec.nodeName || status.phase !== 'Running') throw badRequest(`unable to upgrade connection: pod ${pod.metadata.name} is not running (phase ${status.phase ?? 'Pending'})`);
  const { host, port } = kubeletEndpoint(objects, spec.nodeName);
  const ports = new URLSearchParams(q.getAll('ports').map((p) => ['ports', p]));
  return { host, port, path: `/portForward/${encodeURIComponent(pod.metadata.namespace!)}/${encodeURIComponent(pod.metadata.name!)}${ports.size ? `?${ports}` : ''}` };
}

/** Upgrades at the kubelet, then joins the caller's socket to it. Errors are answered on the socket. */
export function proxyExec(req: IncomingMessage, socket: Duplex, head: Buffer, target: { host: string; port: number; path: string }, token: string): void {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Connection: 'Upgrade', Upgrade: String(req.headers.upgrade ?? 'websocket') };
  for (const h of ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version']) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const upstream = http.request({ host: target.host, port: target.port, path: target.path, method: 'GET', headers, timeout: CONNECT_TIMEOUT_MS });
  upstream.on('upgrade', (answer, up, upHead) => {
    upstream.setTimeout(0);
    const lines = [`HTTP/1.1 101 Switching Protocols`];
    for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upHead.length) socket.write(upHead);
    if (head.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
    const close = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', close).on('close', close);
    socket.on('error', close).on('close', close);
  });
  upstream.on('response', (answer) => {
    let body = '';
    answer.setEncoding('utf8').on('data', (d: string) => (body += d));
    answer.on('end', () => answerStatus(socket, badRequest(body.trim() || `kubelet answered ${answer.statusCode}`)));
  });
  upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
  upstream.on('error', (err) => answerStatus(socket, new ApiError(500, 'InternalError', `error dialing backend: ${err.message}`)));
  upstream.end();
}

/** A Kubernetes Status as the answer to an upgrade request (the socket is then closed). */
export function answerStatus(socket: Duplex, err: ApiError): void {
  if (socket.destroyed) return;
  const json = JSON.stringify(err.toStatus());
  socket.end(`HTTP/1.1 ${err.code} ${http.STATUS_CODES[err.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}
