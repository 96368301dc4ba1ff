// The embedded nodes' pod network, with real processes: a TCP and UDP echo server bound to its
// pod's IP, reached through a hostPort on its node's address and through a NodePort Service on
// every node's address; the scheduler's NodePorts filter; a Service that stops selecting the
// pod refuses new connections and keeps established ones; connections end with their pod.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/node/images/index.js';
import { api, apiOk, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';

type Json = Record<string, any>;

const ECHO = `
const net = require('net'), dgram = require('dgram');
const host = process.env.POD_IP, port = Number(process.env.PORT);
net.createServer((s) => s.pipe(s)).listen(port, host, () => console.log('tcp on ' + host + ':' + port));
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from(process.env.HOSTNAME + ' '), m]), r.port, r.address));
u.bind(port, host);
`;
const NS = 'default';
const WAIT_MS = 60_000;

/** A connected TCP client that echoes: `say` resolves with what comes back. */
class EchoClient {
  closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }
  static connect(host: string, port: number): Promise<EchoClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new EchoClient(s));
      });
    });
  }
  say(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no echo of ${text}`)), 5000);
      this.socket.once('data', (d) => {
        clearTimeout(t);
        resolve(String(d));
      });
      this.socket.write(text);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Whether a new TCP connection is accepted and echoes. */
async function accepts(host: string, port: number): Promise<boolean> {
  try {
    const c = await EchoClient.connect(host, port);
    try {
      return (await c.say('ping')) === 'ping';
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

function udpEcho(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP echo from ${host}:${port}`));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(String(m));
    });
    s.send(text, port, host);
  });
}

function echoPod(name: string, labels: Record<string, string>, hostPort?: number): Json {
  const ports = hostPort ? [{ containerPort: 7000, hostPort, protocol: 'TCP' }, { containerPort: 7000, hostPort, protocol: 'UDP' }] : [{ name: 'echo', containerPort: 7000 }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'echo', image: 'echo:1', env: [{ name: 'PORT', value: '7000' }], ports, readinessProbe: { tcpSocket: { port: 7000 }, periodSeconds: 1 } }],
    },
  };
}

describe('pod network on the embedded nodes: hostPort and NodePort forwarding', { timeout: 300_000 }, () => {
  let c: Cluster;
  let nodeIPs: string[];
  const pod = (name: string): Promise<Json> => apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/${name}`);
  const readyPod = (name: string) => waitFor(async () => {
    const p = await pod(name);
    return p.status?.conditions?.some((x: Json) => x.type === 'Ready' && x.status === 'True') ? p : undefined;
  }, `${name} Ready`, WAIT_MS);
  const gone = (name: string) => waitFor(async () => (await api(c, 'GET', `/api/v1/namespaces/${NS}/pods/${name}`)).status === 404, `${name} gone`, WAIT_MS);

  before(async () => {
    process.env.HOTPOD_NODES = '2';
    const dataDir = mkdtempSync(join(tmpdir(), 'hotpod-ports-'));
    const dir = join(dataDir, 'build');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'echo.cjs'), ECHO);
    writeFileSync(join(dir, 'hotpod-image.json'), JSON.stringify({ cmd: ['node', 'echo.cjs'] }));
    new ImageStore(dataDir).build(dir, ['echo:1']);
    c = await startCluster({ dataDir, inMemory: true });
    nodeIPs = await waitFor(async () => {
      const items = (await apiOk(c, 'GET', '/api/v1/nodes')).items as Json[];
      return items.length === 2 ? items.map((n) => n.status.addresses.find((a: Json) => a.type === 'InternalIP').address as string).sort() : undefined;
    }, 'two nodes', WAIT_MS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a hostPort reaches its pod over TCP and UDP on its node; the same port goes to another node, then nowhere; the connection ends with the pod', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, echoPod('hp-a', {}, 8100));
    const a = await readyPod('hp-a');
    assert.ok(nodeIPs.includes(a.status.hostIP));
    assert.notEqual(a.status.podIP, a.status.hostIP);
    const client = await waitFor(() => EchoClient.connect(a.status.hostIP, 8100).catch(() => undefined), 'hostPort 8100 open', WAIT_MS);
    assert.equal(await client.say('hello'), 'hello');
    assert.equal(await udpEcho(a.status.hostIP, 8100, 'over udp'), 'hp-a over udp');

    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, echoPod('hp-b', {}, 8100));
    const b = await readyPod('hp-b');
    assert.notEqual(b.spec.nodeName, a.spec.nodeName, 'the same hostPort on the other node');
    await waitFor(() => accepts(b.status.hostIP, 8100), 'hp-b reached on its node', WAIT_MS);
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, echoPod('hp-c', {}, 8100));
    const c3 = await waitFor(async () => {
      const p = await pod('hp-c');
      return p.status?.conditions?.find((x: Json) => x.type === 'PodScheduled' && x.status === 'False') ? p : undefined;
    }, 'hp-c unschedulable', WAIT_MS);
    assert.equal(c3.status.conditions.find((x: Json) => x.type === 'PodScheduled').message, "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.");

    await apiOk(c, 'DELETE', `/api/v1/namespaces/${NS}/pods/hp-a`);
    await waitFor(() => client.closed, 'the forwarded connection closed with its pod', WAIT_MS);
    // Its port is free again: hp-c goes there.
    const placed = await readyPod('hp-c');
    assert.equal(placed.spec.nodeName, a.spec.nodeName);
    for (const name of ['hp-b', 'hp-c']) await apiOk(c, 'DELETE', `/api/v1/namespaces/${NS}/pods/${name}`);
    await gone('hp-b');
  });

  it('a nodePort on every node: refused while the Service selects nothing, established connections kept; closed with the pod', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, echoPod('np-a', { app: 'echo-np' }));
    await readyPod('np-a');
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo-np', namespace: NS }, spec: { type: 'NodePort', selector: { app: 'echo-np' }, ports: [{ name: 'tcp', port: 7000, targetPort: 'echo', nodePort: 30777, protocol: 'TCP' }] } };
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/services`, svc);
    for (const ip of nodeIPs) await waitFor(() => accepts(ip, 30777), `${ip}:30777 forwards to np-a`, WAIT_MS);
    const client = await EchoClient.connect(nodeIPs[0]!, 30777);
    assert.equal(await client.say('kept'), 'kept');

    const select = (selector: Json) => apiOk(c, 'PATCH', `/api/v1/namespaces/${NS}/services/echo-np`, { spec: { selector } }, { contentType: 'application/merge-patch+json' });
    // As OKG's networkDisabled does: the selector key swapped, so nothing is selected.
    await select({ app: null, 'game.kruise.io/svc-selector-disabled': 'np-a' });
    for (const ip of nodeIPs) await waitFor(async () => !(await accepts(ip, 30777)), `${ip}:30777 refuses new connections`, WAIT_MS);
    assert.equal(await client.say('still here'), 'still here', 'the established connection goes on');

    await select({ app: 'echo-np', 'game.kruise.io/svc-selector-disabled': null });
    for (const ip of nodeIPs) await waitFor(() => accepts(ip, 30777), `${ip}:30777 accepts again`, WAIT_MS);
    assert.equal(client.closed, false);

    await apiOk(c, 'DELETE', `/api/v1/namespaces/${NS}/pods/np-a`);
    await waitFor(() => client.closed, 'the connection closed with its pod', WAIT_MS);
    await gone('np-a');
    for (const ip of nodeIPs) assert.equal(await accepts(ip, 30777), false, `${ip}: nothing behind the nodePort`);
  });
});
