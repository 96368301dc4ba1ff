// Container logs end to end without a node agent: the log files a ProcessRuntime writes, the
// kubelet endpoint serving them, and real kubectl logs through the API server's pods/log proxy.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LogWriter, markLogExited, readContainerLog, type LogReadOptions } from '../../src/node/container-logs.js';
import { startKubeletServer, type KubeletServer } from '../../src/node/kubelet-server.js';
import { webhookAuth, type KubeletAuth } from '../../src/node/kubelet-auth.js';
import { KubeClient } from '../../src/kube/index.js';
import { ProcessRuntime } from '../../src/node/runtime/process.js';
import type { ContainerInfo, ExitInfo } from '../../src/node/runtime/types.js';
import { startControlPlane, type ControlPlane } from '../../src/apiserver/index.js';
import { kubectls, runKubectl, spawnKubectl, apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { buildTestImages, podContext, quietLogger, type TestImages } from './process-fixtures.js';
import { runHotpod } from '../helpers/cli.js';

async function read(path: string, opts: LogReadOptions, signal?: AbortSignal): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await readContainerLog(path, opts, out, signal);
  return text;
}

const TOKEN = 'kubelet-test-token';
/** The endpoint without an API server to ask: one token, allowed everything. */
const oneToken: KubeletAuth = {
  authenticate: async (token) => (token === TOKEN ? { username: 'tester' } : undefined),
  authorize: async () => true,
};

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const hotpod = (args: string[]) => runHotpod(args);

describe('container log files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotpod-logs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps lines, partial writes and streams apart, with a time for each line', async () => {
    const path = join(dir, 'a.log');
    const w = new LogWriter(path);
    w.write('stdout', Buffer.from('one\ntw'));
    w.write('stderr', Buffer.from('err line\n'));
    w.write('stdout', Buffer.from('o\nthree\nunterminated'));
    w.close();
    assert.equal(await read(path, {}), 'one\nerr line\ntwo\nthree\nunterminated\n');
    assert.equal(await read(path, { tailLines: 2 }), 'three\nunterminated\n');
    assert.equal(await read(path, { tailLines: 0 }), '');
    assert.equal(await read(path, { limitBytes: 6 }), 'one\ner');
    assert.match(await read(path, { timestamps: true }), /^(\d{4}-\d\d-\d\dT[\d:.]+Z [\w ]+\n){5}$/);
    assert.equal(await read(path, { since: new Date(Date.now() + 60_000) }), '');
  });

  it('a follow returns new lines as they come and ends when the container has exited', async () => {
    const path = join(dir, 'b.log');
    const w = new LogWriter(path);
    w.write('stdout', Buffer.from('first\n'));
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const done = readContainerLog(path, { follow: true, pollMs: 20 }, out);
    await waitFor(() => text === 'first\n', 'first line', 5000, 10);
    w.write('stdout', Buffer.from('second\n'));
    await waitFor(() => text === 'first\nsecond\n', 'second line while following', 5000, 10);
    w.write('stdout', Buffer.from('last\n'));
    w.close();
    markLogExited(path, { exitCode: 0 });
    await done;
    assert.equal(text, 'first\nsecond\nlast\n');
    const ac = new AbortController();
    const aborted = read(join(dir, 'c.log'), { follow: true, pollMs: 20 }, ac.signal);
    ac.abort();
    assert.equal(await aborted, '', 'a follow of a log not written yet ends when the client goes');
  });
});

describe('kubelet endpoint', () => {
  let dir: string;
  let server: KubeletServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotpod-kubelet-'));
    const path = join(dir, 'log');
    const w = new LogWriter(path);
    w.write('stdout', Buffer.from('hello\nworld\n'));
    w.close();
    const containers: ContainerInfo[] = [{ id: 'a'.repeat(64), name: 'main', image: 'x:1', imageID: 'x', startedAt: new Date().toISOString(), command: 'node x.js' }];
    server = await startKubeletServer((ns, pod, container, previous) => (ns === 'default' && pod === 'p' && container === 'main' && !previous ? path : undefined), { containers: () => containers, auth: oneToken });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves container logs with the kubelet query parameters, 404 when it has none', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    assert.deepEqual(await get(`${base}/containerLogs/default/p/main`), { status: 200, body: 'hello\nworld\n' });
    assert.deepEqual(await get(`${base}/containerLogs/default/p/main?tailLines=1`), { status: 200, body: 'world\n' });
    const stamped = await get(`${base}/containerLogs/default/p/main?timestamps=true`);
    assert.match(stamped.body, /^\S+Z hello\n\S+Z world\n$/);
    const missing = await get(`${base}/containerLogs/default/p/main?previous=true`);
    assert.equal(missing.status, 404);
    assert.match(missing.body, /previous terminated container "main" in pod "p"/);
    assert.equal((await get(`${base}/containerLogs/default/p/other`)).status, 404);
    assert.equal((await get(`${base}/nothing`)).status, 404);
    const list = await get(`${base}/containers`);
    assert.equal(JSON.parse(list.body)[0].name, 'main');
  });
});

describe('kubectl logs through the API server pods/log proxy', { timeout: 120_000 }, () => {
  let plane: ControlPlane;
  let images: TestImages;
  let rt: ProcessRuntime;
  let kubelet: KubeletServer;
  let kubeClient: KubeClient | undefined;
  let home: string;
  let cluster: Cluster;
  // What the node agent would know: which container id is current and previous per container.
  const current = new Map<string, string>();
  const previous = new Map<string, string>();
  const k = kubectls().find((x) => x.version === '1.35') ?? kubectls()[0]!;
  const pod = podContext('/unused', { name: 'logs-pod' });

  const kubectl = (args: string[]) => runKubectl(k, cluster, args);
  const setStatus = (containerStatuses: unknown[]) =>
    apiOk(cluster, 'PATCH', '/api/v1/namespaces/default/pods/logs-pod/status', { status: { phase: 'Running', containerStatuses } }, { contentType: 'application/merge-patch+json' });
  const startMain = async (args: string[]): Promise<{ info: ContainerInfo; exited: Promise<ExitInfo> }> => {
    let done!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (done = r));
    const info = await rt.start({ ...pod, podDir: join(images.dataDir, 'pods', pod.uid) }, { name: 'main', image: 'tools:1', command: ['node', '-e', args[0]!] }, done);
    return { info, exited };
  };

  before(async () => {
    images = buildTestImages();
    rt = new ProcessRuntime({ dataDir: images.dataDir, logger: quietLogger });
    home = mkdtempSync(join(tmpdir(), 'hotpod-kubectl-home-'));
    plane = await startControlPlane({ dataDir: join(images.dataDir, 'plane'), port: 0, inMemory: true, logger: quietLogger });
    cluster = { kubeconfigPath: plane.kubeconfigPath, url: plane.url, token: plane.token, caPem: plane.caCert, homeFor: () => home } as unknown as Cluster;
    kubelet = await startKubeletServer((ns, podName, container, prev) => {
      const id = (prev ? previous : current).get(`${ns}/${podName}/${container}`);
      return id ? rt.logPath(id) : undefined;
    }, { containers: () => rt.list().map((c) => ({ ...c, runtime: rt.name })), auth: webhookAuth((kubeClient = new KubeClient({ kubeconfig: plane.kubeconfigPath })), 'n1') });
    await apiOk(cluster, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await apiOk(cluster, 'PATCH', '/api/v1/nodes/n1/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } }, { contentType: 'application/merge-patch+json' });
    await apiOk(cluster, 'POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'logs-pod' },
      spec: { nodeName: 'n1', containers: [{ name: 'main', image: 'tools:1' }, { name: 'side', image: 'tools:1' }] },
    });
  });
  after(async () => {
    await rt?.stopAll(0);
    await kubelet?.close();
    kubeClient?.close();
    await plane?.close();
    if (images) rmSync(images.dataDir, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows current and previous logs, --tail, --timestamps, and kubelet-style errors', async () => {
    const first = await startMain(['console.log("attempt 0")']);
    await first.exited;
    const second = await startMain(['console.log("attempt 1 line 1"); console.log("attempt 1 line 2"); setInterval(() => {}, 1000)']);
    previous.set('default/logs-pod/main', first.info.id);
    current.set('default/logs-pod/main', second.info.id);
    await setStatus([
      { name: 'main', ready: true, restartCount: 1, image: 'tools:1', imageID: second.info.imageID, containerID: `process://${second.info.id}`, state: { running: { startedAt: second.info.startedAt } }, lastState: { terminated: { exitCode: 0, reason: 'Completed', containerID: `process://${first.info.id}` } } },
      { name: 'side', ready: false, restartCount: 0, image: 'tools:1', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } },
    ]);
    await waitFor(async () => (await kubectl(['logs', 'logs-pod', '-c', 'main'])).stdout.includes('line 2'), 'current log', 10_000, 100);
    const now = await kubectl(['logs', 'logs-pod', '-c', 'main']);
    assert.equal(now.stdout, 'attempt 1 line 1\nattempt 1 line 2\n');
    const prev = await kubectl(['logs', 'logs-pod', '-c', 'main', '--previous']);
    assert.equal(prev.stdout, 'attempt 0\n');
    assert.equal((await kubectl(['logs', 'logs-pod', '-c', 'main', '--tail=1'])).stdout, 'attempt 1 line 2\n');
    assert.match((await kubectl(['logs', 'logs-pod', '-c', 'main', '--timestamps'])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z attempt 1 line 1\n/);
    const waiting = await kubectl(['logs', 'logs-pod', '-c', 'side']);
    assert.notEqual(waiting.code, 0);
    assert.match(waiting.stderr, /Error from server \(BadRequest\): container "side" in pod "logs-pod" is waiting to start: ContainerCreating/);
    const noPrevious = await kubectl(['logs', 'logs-pod', '-c', 'side', '--previous']);
    assert.match(noPrevious.stderr, /previous terminated container "side" in pod "logs-pod" not found/);
    const unknown = await kubectl(['logs', 'logs-pod', '-c', 'nope']);
    assert.match(unknown.stderr, /container nope is not valid for pod logs-pod/);
    await rt.stop(second.info.id, 1);
  });

  it('-f streams until the container exits', async () => {
    const c = await startMain(['let i = 0; const t = setInterval(() => console.log("tick " + i++), 100); process.on("SIGTERM", () => { clearInterval(t); console.log("bye"); process.exit(0); })']);
    current.set('default/logs-pod/main', c.info.id);
    await setStatus([{ name: 'main', ready: true, restartCount: 2, image: 'tools:1', imageID: c.info.imageID, containerID: `process://${c.info.id}`, state: { running: { startedAt: c.info.startedAt } } }]);
    const follow = spawnKubectl(k, cluster, ['logs', '-f', 'logs-pod', '-c', 'main']);
    await follow.waitForOutput(/tick 3/, 15_000);
    await rt.stop(c.info.id, 5);
    const code = await Promise.race([follow.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    assert.equal(code, 0, `kubectl logs -f ends with the container: ${follow.stderr()}`);
    assert.match(follow.stdout(), /tick 3\n[\s\S]*bye\n$/);
  });

  it('hotpod node ps lists the containers like docker ps, -a with the exited ones', async () => {
    const c = await startMain(['setInterval(() => {}, 1000)']);
    const dataDir = join(images.dataDir, 'plane');
    const ps = await hotpod(['node', 'ps', '--data-dir', dataDir]);
    assert.equal(ps.code, 0, ps.stderr);
    const lines = ps.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+NAMES\s+RUNTIME$/);
    assert.equal(lines.length, 2, ps.stdout);
    assert.match(lines[1]!, new RegExp(`^${c.info.id.slice(0, 12)}\\s+tools:1\\s+"node -e setInterval…"\\s+(Less than a second|\\d+ seconds?) ago\\s+Up (Less than a second|\\d+ seconds?)\\s+k8s_main_logs-pod_default_${pod.uid}_${c.info.attempt}\\s+process$`));
    const all = await hotpod(['node', 'ps', '-a', '--node', 'n1', '--data-dir', dataDir]);
    assert.match(all.stdout, /Exited \(0\) (Less than a second|\d+ seconds?) ago/);
    assert.ok(all.stdout.trimEnd().split('\n').length > 2);
    const none = await hotpod(['node', 'ps', '--node', 'nope', '--data-dir', dataDir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /node "nope" not found/);
    await rt.stop(c.info.id, 1);
  });

  it('a node without a kubelet endpoint and an unscheduled pod', async () => {
    await apiOk(cluster, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'bare' } });
    await apiOk(cluster, 'POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-bare' }, spec: { nodeName: 'bare', containers: [{ name: 'c', image: 'x:1' }] } });
    await apiOk(cluster, 'PATCH', '/api/v1/namespaces/default/pods/on-bare/status', { status: { containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'x:1', imageID: '', containerID: 'sim://1', state: { running: {} } }] } }, { contentType: 'application/merge-patch+json' });
    const r = await kubectl(['logs', 'on-bare']);
    assert.match(r.stderr, /node "bare" does not advertise a kubelet endpoint/);
    await apiOk(cluster, 'POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
    const pending = await kubectl(['logs', 'pending']);
    assert.equal(pending.code, 0);
    assert.equal(pending.stdout, '');
  });
});
