// `kubectl port-forward` at the node, as kubelet serves it: a SPDY/3.1 session (spdy-session.ts)
// in which the client opens, per local connection, an error stream and a data stream sharing a
// requestID and naming the pod's port; the data stream is joined to a TCP connection to the
// pod's IP and port, and a failure is written to the error stream in kubelet's words. The
// session comes either over a WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io`
// (kubectl 1.31 and later tunnel SPDY through it) or over a plain `Upgrade: SPDY/3.1`
// (older kubectl, and newer ones falling back).

import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const WEBSOCKET_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** Where a pod's ports are reached, and how kubelet names the pod in its errors. */
export interface PortForwardTarget {
  podIP: string;
  /** `<namespace>/<name>, uid <uid>` */
  describe: string;
}

export class PortForwardUpgrades {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(WEBSOCKET_TUNNEL_PROTOCOL) ? WEBSOCKET_TUNNEL_PROTOCOL : false),
  });

  /** True if the request asks for port forwarding in a way this server speaks. */
  speaks(req: IncomingMessage): boolean {
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).includes(WEBSOCKET_TUNNEL_PROTOCOL);
    return upgrade === 'spdy/3.1' && String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim()).includes(PORT_FORWARD_PROTOCOL);
  }

  serve(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget): void {
    if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
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

/** Joins a data stream to a connection to the pod's port until either side ends. */
function join(stream: SpdyStream, pair: Pair, port: number, target: PortForwardTarget): void {
  const early: Buffer[] = [];
  let connected = false;
  const conn = net.connect({ host: target.podIP, port });
  const fail = (err: NodeJS.ErrnoException) => {
    // In Go's words, as kubelet's message carries them.
    const why = err.code === 'ECONNREFUSED' ? `dial tcp ${target.podIP}:${port}: connect: connection refused` : err.message;
    pair.error?.write(Buffer.from(`error forwarding port ${port} to pod ${target.describe}: ${why}`));
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
