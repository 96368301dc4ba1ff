// `kubectl exec` and `kubectl attach` at the node: a command's (or the container's main
// process's) stdin, stdout and stderr over one WebSocket in Kubernetes' channel protocol
// (v5.channel.k8s.io, v4.channel.k8s.io), as kubelet serves it and kubectl (1.30 and later) and
// client-node speak it. Every binary message starts with its
// channel: 0 stdin, 1 stdout, 2 stderr, 3 the final Status (how the command ended), 4 terminal
// resize; v5 adds 255 [channel] to close a stream (the client's end of stdin). The socket
// itself comes from `ws`.

import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AttachSession, ExecSession } from './runtime/types.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

/** The Status a finished command sends on channel 3, as kubelet's exec does. */
export function exitStatus(command: string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export class ExecUpgrades {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  /** True if the request asks for a protocol this server speaks (else the caller refuses it). */
  speaks(req: IncomingMessage): boolean {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    return req.headers.upgrade?.toLowerCase() === 'websocket' && EXEC_PROTOCOLS.some((p) => offered.includes(p));
  }

  /** Completes the upgrade and runs the session over it. */
  serve(req: IncomingMessage, socket: Duplex, head: Buffer, command: string[], start: () => ExecSession | string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => run(ws, command, start));
  }

  /** Completes the upgrade and attaches it to the container until the container or the client ends. */
  serveAttach(req: IncomingMessage, socket: Duplex, head: Buffer, start: () => AttachSession | string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => attach(ws, start));
  }

  close(): void {
    this.wss.close();
  }
}

/** Frames of one channel-protocol socket: sending on a channel, and the client's stdin. */
function channels(ws: WebSocket, stdin: () => NodeJS.WritableStream | undefined) {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState !== ws.OPEN) return;
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), body]));
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (buf.length === 0) return;
    const into = stdin();
    if (buf[0] === STDIN && into) into.write(buf.subarray(1));
    else if (v5 && buf[0] === CLOSE && buf[1] === STDIN) into?.end();
  });
  const fail = (message: string) => {
    send(ERROR, JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 }));
    ws.close(1000);
  };
  return { send, fail };
}

function attach(ws: WebSocket, start: () => AttachSession | string): void {
  let session: AttachSession | undefined;
  const { send, fail } = channels(ws, () => session?.stdin);
  const started = start();
  if (typeof started === 'string') return fail(started);
  session = started;
  session.stdout.on('data', (d: Buffer) => send(STDOUT, d));
  session.stderr.on('data', (d: Buffer) => send(STDERR, d));
  ws.on('close', () => session!.detach());
  // The container's end is the attachment's: after the last of its output, the Status.
  void Promise.all([session.exited, streamEnded(session.stdout), streamEnded(session.stderr)]).then(() => {
    send(ERROR, JSON.stringify({ metadata: {}, status: 'Success' }));
    ws.close(1000);
  });
}

const streamEnded = (s: NodeJS.ReadableStream) => new Promise<void>((resolve) => s.on('end', resolve).on('close', resolve).on('error', () => resolve()));

function run(ws: WebSocket, command: string[], start: () => ExecSession | string): void {
  let started: ExecSession | undefined;
  const { send, fail } = channels(ws, () => started?.stdin);
  const session = start();
  if (typeof session === 'string') return fail(session);
  started = session;
  ws.on('close', () => session.kill());
  session.stdout.on('data', (d: Buffer) => send(STDOUT, d));
  session.stderr.on('data', (d: Buffer) => send(STDERR, d));
  // The Status goes last: after everything the command printed.
  void Promise.all([session.exit, streamEnded(session.stdout), streamEnded(session.stderr)]).then(([exit]) => {
    send(ERROR, JSON.stringify(exitStatus(command, exit.exitCode)));
    ws.close(1000);
  });
}
