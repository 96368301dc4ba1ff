// `kubectl port-forward` at the node, as kubelet serves it: a SPDY/3.1 session (spdy-session.ts)
// in which the client opens, per local connection, an error stream and a data stream sharing a
// requestID and naming the pod's port; the data stream is joined to a TCP connection to the
// pod's IP and port, and a failure is written to the error stream in kubelet's words. The
// session comes either over a WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io`
// (kubectl 1.31 and later tunnel SPDY through it) or over a plain `Upgrade: SPDY/3.1`
// (older kubectl, and newer ones falling back). client-node speaks kubelet's older WebSocket
// form instead: `?ports=` names the ports, and each gets a data and an error channel of the
// channel protocol (v4.channel.k8s.io), each opened by the port number (2 bytes, little-endian).

import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const WEBSOCKET_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
const CHANNEL_PROTOCOL = 'v4.channel.k8s.io';

/** Where a pod's ports are reached, and how kubelet names the pod in its errors. */
export interface PortForwardTarget {
  podIP: string;
  /** `<namespace>/<name>, uid <uid>` */
  describe: string;
}

export class PortForwardUpgrades {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => [WEBSOCKET_TUNNEL_PROTOCOL, CHANNEL_PROTOCOL].find((p) => offered.has(p)) ?? false,
  });

  /** True if the request asks for port forwarding in a way this server speaks. */
  speaks(req: IncomingMessage, ports: number[]): boolean {
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (upgrade === 'websocket') return offered.includes(WEBSOCKET_TUNNEL_PROTOCOL) || (offered.includes(CHANNEL_PROTOCOL) && ports.length > 0);
    return upgrade === 'spdy/3.1' && String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim()).includes(PORT_FORWARD_PROTOCOL);
  }

  serve(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget, ports: number[]): void {
    if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (ws.protocol === CHANNEL_PROTOCOL) return forwardChannels(ws, ports, target);
        const session = new SpdySession(createWebSocketStream(ws));
        // The stream over a WebSocket never says it closed: the socket's close is the session's.
        ws.on('close', () => session.close());
        forward(session, target);
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    if (head.length) socket.unshift(head);
    forward(new SpdySession(socket), target);
  }

  close(): void {
    this.wss.close();
  }
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

function forward(session: SpdySession, target: PortForwardTarget): void {
  const pairs = new Map<string, Pair>();
  session.on('stream', (stream) => {
    const type = stream.headers.streamtype;
    const port = Number(stream.headers.port);
    const requestId = stream.headers.requestid ?? '';
    const pair = pairs.get(requestId) ?? {};
    pairs.set(requestId, pair);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      stream.write(Buffer.from(`invalid port: "${stream.headers.port ?? ''}"`));
      return stream.end();
    }
    if (type === 'error') {
      pair.error = stream;
      // The client writes nothing on it; it only reads what went wrong.
      stream.on('data', () => undefined);
      return;
    }
    if (type !== 'data') return stream.cancel();
    pair.data = stream;
    stream.on('close', () => pairs.delete(requestId));
    join(stream, pair, port, target);
  });
}

/** client-node's form: one connection per named port, for as long as the WebSocket lasts. */
function forwardChannels(ws: WebSocket, ports: number[], target: PortForwardTarget): void {
  const send = (channel: number, data: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([channel]), data]));
  const conns = ports.map((port, i) => {
    const opening = Buffer.alloc(2);
    opening.writeUInt16LE(port, 0);
    send(2 * i, opening);
    send(2 * i + 1, opening);
    const conn = net.connect({ host: target.podIP, port });
    conn.on('data', (d: Buffer) => send(2 * i, d));
    conn.on('error', (err: NodeJS.ErrnoException) => send(2 * i + 1, Buffer.from(forwardError(port, target, err))));
    conn.on('close', () => ws.close(1000));
    return conn;
  });
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === undefined || channel % 2 !== 0) return;
    conns[channel / 2]?.write(data.subarray(1));
  });
  ws.on('close', () => conns.forEach((c) => c.destroy()));
}

/** kubelet's words for a connection the pod refused, with Go's for the cause. */
function forwardError(port: number, target: PortForwardTarget, err: NodeJS.ErrnoException): string {
  const why = err.code === 'ECONNREFUSED' ? `dial tcp ${target.podIP}:${port}: connect: connection refused` : err.message;
  return `error forwarding port ${port} to pod ${target.describe}: ${why}`;
}

/** Joins a data stream to a connection to the pod's port until either side ends. */
function join(stream: SpdyStream, pair: Pair, port: number, target: PortForwardTarget): void {
  const early: Buffer[] = [];
  let connected = false;
  const conn = net.connect({ host: target.podIP, port });
  const fail = (err: NodeJS.ErrnoException) => {
    pair.error?.write(Buffer.from(forwardError(port, target, err)));
    pair.error?.end();
    stream.end();
  };
  stream.on('data', (d: Buffer) => (connected ? conn.write(d) : early.push(d)));
  stream.on('end', () => (connected ? conn.end() : early.push(Buffer.alloc(0))));
  stream.on('close', () => conn.destroy());
  conn.on('connect', () => {
    connected = true;
    for (const d of early) d.length ? conn.write(d) : conn.end();
    early.length = 0;
  });
  conn.on('data', (d: Buffer) => stream.write(d));
  conn.on('end', () => stream.end());
  conn.on('error', fail);
  conn.on('close', () => {
    stream.end();
    pair.error?.end();
  });
}
