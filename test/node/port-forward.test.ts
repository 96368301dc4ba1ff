// kubectl port-forward to a pod on the embedded node: kubectl 1.35 tunnels SPDY through a
// WebSocket, kubectl 1.20 asks for SPDY directly; either way each local connection reaches the
// pod's IP and port, and client-node's PortForward too (an echo server this test runs on the pod's loopback address, as the game
// server inside the pod would listen), several at once, a large payload intact, and closes end
// to end. Nothing listening is kubelet's error in kubectl's output; a user without create
// pods/portforward is refused; a pod that is not running is named.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { apiOk, kubectlEnv, kubectls, runKubectl, waitFor, type Cluster, type Kubectl } from '../helpers/cluster.js';
import { createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';

const NS = 'forward';

interface Forwarding {
  port: number;
  output(): string;
  exited: Promise<number | null>;
  stop(): void;
}

/** `kubectl port-forward ... 0:PORT`, once it says where it listens. */
function portForward(k: Kubectl, c: Cluster, args: string[], kubeconfig = c.kubeconfigPath): Promise<Forwarding> {
  const proc: ChildProcess = spawn(k.path, ['--kubeconfig', kubeconfig, '-n', NS, 'port-forward', ...args], { env: kubectlEnv(k, c), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubectl port-forward did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve({ port: Number(m[1]), output: () => out, exited, stop: () => proc.kill('SIGTERM') });
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`kubectl port-forward exited ${code}:\n${out}`)));
  });
}

/** Sends `payload` through a local port and reads until as much came back and the far end closed. */
function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const s = net.connect(port, '127.0.0.1', () => s.write(payload));
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= payload.length) s.end();
    });
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.setTimeout(30_000, () => s.destroy(new Error(`round trip timed out with ${got} of ${payload.length} bytes`)));
  });
}

describe('kubectl port-forward', { timeout: 240_000 }, () => {
  let c: Cluster;
  let echo: net.Server;
  const k = newestKubectl();
  const k120 = kubectls().find((x) => x.version === '1.20');

  before(async () => {
    c = await startNodeCluster({ nodes: 1 });
    await createNamespace(c, NS);
    await createPod(c, podManifest('arena', NS, [{ name: 'engine', image: 'game/engine:v1', ports: [{ containerPort: 7777 }] }]));
    const pod = await waitPod(c, NS, 'arena', isReady, 'Ready');
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(7777, pod.status.podIP, r));
  });
  after(async () => {
    echo?.close();
    await c?.cleanup();
  });

  it('kubectl 1.35 (SPDY through a WebSocket): connections reach the pod, several at once, a large payload intact', async () => {
    const fwd = await portForward(k, c, ['pod/arena', '0:7777']);
    try {
      const big = Buffer.alloc(1 << 20, 'x');
      const [a, b, large] = await Promise.all([roundTrip(fwd.port, Buffer.from('join alice\n')), roundTrip(fwd.port, Buffer.from('join bob\n')), roundTrip(fwd.port, big)]);
      assert.equal(a.toString(), 'join alice\n');
      assert.equal(b.toString(), 'join bob\n');
      assert.ok(large.equals(big), `1 MiB came back intact (${large.length} bytes)`);
      assert.match(fwd.output(), /Handling connection for \d+/);
    } finally {
      fwd.stop();
    }
  });

  it('kubectl 1.20 (SPDY directly) forwards the same way', { skip: !k120 && 'no kubectl 1.20 on this machine' }, async () => {
    const fwd = await portForward(k120!, c, ['pod/arena', '0:7777']);
    try {
      assert.equal((await roundTrip(fwd.port, Buffer.from('ping\n'))).toString(), 'ping\n');
    } finally {
      fwd.stop();
    }
  });

  it("client-node's PortForward (kubelet's channel form, ?ports=) reaches the pod's port too", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfigPath);
    let out = '';
    const output = new Writable({ write: (chunk, _enc, done) => ((out += String(chunk)), done()) });
    const input = new PassThrough();
    const ws = (await new PortForward(kc).portForward(NS, 'arena', [7777], output, null, input)) as { close(): void };
    input.write('ready check\n');
    await waitFor(() => out.includes('ready check\n'), 'the echo back through client-node', 20_000);
    ws.close();
  });

  it("nothing listening: kubelet's error reaches kubectl, which ends the forwarding", async () => {
    const fwd = await portForward(k, c, ['pod/arena', '0:7778']);
    await roundTrip(fwd.port, Buffer.from('hello?\n')).catch(() => Buffer.alloc(0));
    const code = await fwd.exited;
    assert.notEqual(code, 0);
    assert.match(fwd.output(), /error forwarding port 7778 to pod forward\/arena, uid [0-9a-f-]+: dial tcp 127\.[0-9.]+:7778: connect: connection refused/);
  });

  it('needs create on pods/portforward; a pod that is not running is named', async () => {
    const sa = await serviceAccountKubeconfig(c, NS, 'viewer');
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NS }],
    });
    const denied = await runKubectl(k, c, ['-n', NS, 'port-forward', 'pod/arena', '0:7777'], { kubeconfig: sa.path, timeoutMs: 30_000 });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /cannot create resource "pods\/portforward" in API group "" in the namespace "forward"/);
    // The edit role may, as kube's.
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      metadata: { name: 'viewer-edit' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NS }],
    });
    const editor = await portForward(k, c, ['pod/arena', '0:7777'], sa.path);
    try {
      assert.equal((await roundTrip(editor.port, Buffer.from('as an editor\n'))).toString(), 'as an editor\n');
    } finally {
      editor.stop();
    }

    await createPod(c, podManifest('waiting', NS, [{ name: 'engine', image: 'game/engine:v1' }], { spec: { nodeSelector: { nowhere: 'true' } } }));
    const pending = await runKubectl(k, c, ['-n', NS, 'port-forward', 'pod/waiting', '0:7777'], { timeoutMs: 30_000 });
    assert.notEqual(pending.code, 0);
    assert.match(pending.stderr, /unable to forward port because pod is not running\. Current status=Pending/);
  });
  // Last: it stops the plane.
  it('hotpod up stops on SIGTERM while a forwarded connection is open (the node ends its sessions)', async () => {
    const fwd = await portForward(k, c, ['pod/arena', '0:7777']);
    const player = net.connect(fwd.port, '127.0.0.1');
    player.on('error', () => undefined);
    const echoed = new Promise<void>((r) => player.once('data', () => r()));
    player.write('still here\n');
    await echoed;
    try {
      const exit = await c.stop();
      assert.deepEqual([exit.code, exit.forced], [0, false], 'a clean exit, not the helper\'s SIGKILL');
    } finally {
      player.destroy();
      fwd.stop();
    }
  });
});
