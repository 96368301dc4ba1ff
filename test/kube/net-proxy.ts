// A TCP proxy between the code under test and the API server, to break the network on purpose:
// cut() resets every open connection (the watch included), block() refuses new ones, and
// freeze() leaves every connection open but silent in both directions, closes included (a
// half-open link that neither end notices). TLS passes through untouched, so the server's
// certificate (issued for 127.0.0.1) still verifies.
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface NetProxy {
  readonly port: number;
  /** a kubeconfig like `kc` whose server is this proxy */
  kubeConfig(kc: KubeConfig): KubeConfig;
  /** reset every open connection */
  cut(): void;
  /** refuse (reset) new connections */
  block(): void;
  /** stop forwarding anything on current and new connections, and hide closes */
  freeze(): void;
  /** forward new connections again (frozen ones stay frozen, as a dead link would) */
  open(): void;
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  frozen: boolean;
}

export async function startProxy(target: () => { host: string; port: number }): Promise<NetProxy> {
  let mode: 'open' | 'blocked' | 'frozen' = 'open';
  let accepted = 0;
  const pairs = new Set<Pair>();
  const server = net.createServer((client) => {
    accepted++;
    const pair: Pair = { client, frozen: mode === 'frozen' };
    pairs.add(pair);
    client.on('error', () => client.destroy());
    client.on('close', () => {
      if (!pair.frozen) pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === 'blocked') {
      client.resetAndDestroy();
      return;
    }
    if (pair.frozen) return; // accepted, never answered
    const t = target();
    const upstream = net.connect(t.port, t.host);
    pair.upstream = upstream;
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      if (!pair.frozen) client.destroy();
    });
    client.on('data', (d) => {
      if (!pair.frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.frozen) client.write(d);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    kubeConfig(kc: KubeConfig) {
      const cluster = kc.getCurrentCluster()!;
      const user = kc.getCurrentUser()!;
      const out = new KubeConfig();
      out.loadFromOptions({
        clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
        users: [user],
        contexts: [{ name: 'proxied', cluster: cluster.name, user: user.name }],
        currentContext: 'proxied',
      });
      return out;
    },
    cut() {
      for (const p of pairs) {
        p.frozen = false;
        p.client.resetAndDestroy();
        p.upstream?.destroy();
      }
    },
    block() {
      mode = 'blocked';
    },
    freeze() {
      mode = 'frozen';
      for (const p of pairs) p.frozen = true;
    },
    open() {
      mode = 'open';
    },
    connections: () => accepted,
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      return new Promise<void>((res) => server.close(() => res()));
    },
  };
}
