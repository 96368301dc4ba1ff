// The embedded nodes' share of a pod network: hostPorts forwarded to their pods (what the CNI
// portmap plugin does for kubelet) and nodePorts on every node forwarded to the Service's ready
// pods (kube-proxy). One per process, fed by the pod feed the agents share and an informer on
// Services; endpoints come straight from the pods rather than EndpointSlices, because the
// forwarder and the pods live in one process and a slice controller would add a write per
// change of every pod for nothing else to read.
//
// As on a cluster: a nodePort whose Service selects no ready pod refuses new TCP connections
// (its listener closes) while established ones go on, as conntrack keeps them; every forwarded
// connection ends when its pod stops running.

import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { EventRecorder, Informer, type KubeClient } from '../kube/index.js';
import type { PodFeed } from './pod-feed.js';
import { type Backend, type Listener, livePodUids, planListeners } from './port-plan.js';

type Json = Record<string, any>;

/** How long a UDP flow with no datagram either way is kept (kube-proxy's conntrack UDP timeout). */
const UDP_FLOW_IDLE_MS = 30_000;
/** A port that could not be bound is tried again after this long. */
const BIND_RETRY_MS = 5_000;

interface Open {
  plan: Listener;
  tcp?: net.Server;
  udp?: dgram.Socket;
  flows?: Map<string, UdpFlow>;
  next: number;
}

interface UdpFlow {
  socket: dgram.Socket;
  podUid: string;
  backend: Backend;
  lastSeen: number;
}

export interface PortForwarderOptions {
  client: KubeClient;
  podFeed: PodFeed;
  /** node name → its address. */
  nodes: ReadonlyMap<string, string>;
  logger: Logger;
  events: EventRecorder;
}

export class PortForwarder {
  private readonly services: Informer<Json>;
  private readonly open = new Map<string, Open>();
  /** Forwarded TCP connections by the pod they reach: closed when it stops. */
  private readonly connections = new Map<string, Set<net.Socket>>();
  /** Ports that failed to bind, by listener key: when to try again. */
  private readonly failed = new Map<string, number>();
  private readonly reported = new Set<string>();
  private unsubscribe?: () => void;
  private pending?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: PortForwarderOptions) {
    this.services = new Informer<Json>(o.client, { apiVersion: 'v1', kind: 'Service', namespaceIndexOnly: true, logger: o.logger });
    this.services.onChange(() => this.schedule());
  }

  start(): void {
    this.unsubscribe = this.o.podFeed.subscribe(() => this.schedule());
    this.services.start();
    this.sweeper = setInterval(() => this.sweepUdp(), UDP_FLOW_IDLE_MS / 3).unref();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.pending);
    clearInterval(this.sweeper);
    for (const key of [...this.open.keys()]) this.closeListener(key);
    for (const set of this.connections.values()) for (const s of set) s.destroy();
    this.connections.clear();
    await this.services.stop();
  }

  /** Many pod events arrive together (a rollout): one pass for all of them. */
  private schedule(delayMs = 10): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      try {
        this.apply();
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, 'port forwarding pass failed');
        this.schedule(1000);
      }
    }, delayMs);
  }

  private apply(): void {
    const pods = this.o.podFeed.cache.list();
    const plan = planListeners(pods, this.services.cache.list(), this.o.nodes);
    this.closeConnectionsOfGonePods(livePodUids(pods));
    for (const [key, o] of this.open) {
      const want = plan.get(key);
      if (!want || (want.backends.length === 0 && o.tcp)) this.closeListener(key);
    }
    let retry = false;
    const now = Date.now();
    for (const [key, want] of plan) {
      const have = this.open.get(key);
      if (have) {
        have.plan = want;
        continue;
      }
      // TCP: no listener while nothing is selected, so a new connection is refused.
      if (want.backends.length === 0 && want.protocol === 'TCP') continue;
      const retryAt = this.failed.get(key);
      if (retryAt !== undefined && retryAt > now) {
        retry = true;
        continue;
      }
      this.openListener(want);
    }
    for (const key of this.failed.keys()) if (!plan.has(key)) this.failed.delete(key);
    if (retry) this.schedule(BIND_RETRY_MS);
  }

  private openListener(plan: Listener): void {
    const entry: Open = { plan, next: 0 };
    this.open.set(plan.key, entry);
    const onError = (err: NodeJS.ErrnoException) => this.bindFailed(entry, err);
    if (plan.protocol === 'TCP') {
      const server = net.createServer({ noDelay: true }, (client) => this.forwardTcp(entry, client));
      server.once('error', onError);
      server.listen({ host: plan.ip, port: plan.port, exclusive: true }, () => {
        this.failed.delete(plan.key);
        this.reported.delete(plan.key);
      });
      entry.tcp = server;
    } else {
      const socket = dgram.createSocket({ type: 'udp4' });
      entry.flows = new Map();
      socket.once('error', onError);
      socket.on('message', (msg, from) => this.forwardUdp(entry, msg, from));
      socket.bind({ address: plan.ip, port: plan.port, exclusive: true }, () => {
        this.failed.delete(plan.key);
        this.reported.delete(plan.key);
      });
      entry.udp = socket;
    }
  }

  private bindFailed(entry: Open, err: NodeJS.ErrnoException): void {
    const { plan } = entry;
    if (this.open.get(plan.key) !== entry) return;
    this.closeListener(plan.key);
    this.failed.set(plan.key, Date.now() + BIND_RETRY_MS);
    const what = plan.owner ? `hostPort ${plan.owner.hostPort}/${plan.protocol}` : `nodePort ${plan.port}/${plan.protocol}`;
    this.o.logger.warn({ listener: plan.key, err: err.message }, `${what} cannot be had on this machine; retrying`);
    if (plan.owner && !this.reported.has(plan.key)) {
      this.reported.add(plan.key);
      const message = `${what} on ${plan.ip} cannot be opened: ${err.code ?? err.message} (another process on this machine holds it); retrying every ${BIND_RETRY_MS / 1000} s`;
      this.o.events.event(plan.owner.pod, 'Warning', 'HostPortUnavailable', message);
    }
    this.schedule(BIND_RETRY_MS);
  }

  private closeListener(key: string): void {
    const o = this.open.get(key);
    if (!o) return;
    this.open.delete(key);
    // Closing stops new connections only: those already forwarded stay until their pod goes.
    o.tcp?.close();
    if (o.udp) {
      for (const f of o.flows!.values()) f.socket.close();
      o.udp.close();
    }
  }

  private pick(o: Open): Backend | undefined {
    const b = o.plan.backends;
    if (b.length === 0) return undefined;
    return b[o.next++ % b.length];
  }

  private forwardTcp(o: Open, client: net.Socket): void {
    const backend = this.pick(o);
    if (!backend) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: backend.ip, port: backend.port, noDelay: true });
    const set = this.connections.get(backend.podUid) ?? new Set<net.Socket>();
    this.connections.set(backend.podUid, set);
    set.add(client);
    set.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      set.delete(client);
      set.delete(upstream);
      if (set.size === 0 && this.connections.get(backend.podUid) === set) this.connections.delete(backend.podUid);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private forwardUdp(o: Open, msg: Buffer, from: dgram.RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let flow = o.flows!.get(key);
    if (!flow) {
      const backend = this.pick(o);
      if (!backend) return;
      // One socket per client, so the pod sees each player as its own peer and replies find their way back.
      const socket = dgram.createSocket({ type: 'udp4' });
      const created: UdpFlow = { socket, podUid: backend.podUid, backend, lastSeen: Date.now() };
      socket.on('message', (reply, peer) => {
        if (peer.address !== backend.ip || peer.port !== backend.port) return;
        created.lastSeen = Date.now();
        o.udp?.send(reply, from.port, from.address);
      });
      socket.on('error', () => {
        socket.close();
        o.flows!.delete(key);
      });
      o.flows!.set(key, (flow = created));
    }
    flow.lastSeen = Date.now();
    flow.socket.send(msg, flow.backend.port, flow.backend.ip);
  }

  private sweepUdp(): void {
    const now = Date.now();
    for (const o of this.open.values()) {
      for (const [key, f] of o.flows ?? []) {
        if (now - f.lastSeen > UDP_FLOW_IDLE_MS) {
          f.socket.close();
          o.flows!.delete(key);
        }
      }
    }
  }

  private closeConnectionsOfGonePods(live: Set<string>): void {
    for (const [uid, set] of this.connections) {
      if (live.has(uid)) continue;
      for (const s of set) s.destroy();
      this.connections.delete(uid);
    }
    for (const o of this.open.values()) {
      for (const [key, f] of o.flows ?? []) {
        if (!live.has(f.podUid)) {
          f.socket.close();
          o.flows!.delete(key);
        }
      }
    }
  }
}
