// kubectl attach to a game server's console: a process-runtime container started with
// `stdin: true` reads commands from its stdin, and `kubectl attach -i` (kubectl 1.35, WebSocket)
// types into it and shows what it prints from then on; client-node's Attach reads the output of
// a running server; stdin asked of a container without it, a simulated container and a user
// without `create pods/attach` each get a clear refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Attach, KubeConfig } from '@kubernetes/client-node';
import { apiOk, runKubectl, waitFor, type Cluster } from '../helpers/cluster.js';
import { startProcessCluster, type ProcessCluster } from '../helpers/process-cluster.js';
import { newestKubectl } from '../helpers/pods.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';

const NS = 'attach';

// A dedicated server's console: commands on stdin, answers and a heartbeat on stdout.
const CONSOLE = `
const rl = require('readline').createInterface({ input: process.stdin });
console.log('console ready');
rl.on('line', (line) => {
  if (line === 'stop') { console.log('saving world, stopping'); process.exit(0); }
  console.log('> ' + line);
});
setInterval(() => console.log('tick players=3'), 300);
process.on('SIGTERM', () => process.exit(0));
`;

type Json = Record<string, any>;

describe('kubectl attach (process runtime)', { timeout: 300_000 }, () => {
  let pc: ProcessCluster;
  let c: Cluster;
  const k = newestKubectl();

  const pod = (name: string, container: Json, o: { restartPolicy?: string } = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { restartPolicy: o.restartPolicy ?? 'Always', terminationGracePeriodSeconds: 1, containers: [container] },
  });
  const running = (name: string) =>
    waitFor(async () => {
      const p = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/${name}`);
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    }, `${name} running`, 90_000);

  before(async () => {
    pc = await startProcessCluster('attach', { 'console:1': { files: { 'console.cjs': CONSOLE }, cmd: ['node', 'console.cjs'] } });
    c = pc.cluster;
    await apiOk(c, 'POST', '/api/v1/namespaces', { metadata: { name: NS } });
  });
  after(async () => {
    await pc?.cleanup();
  });

  it('kubectl attach -i types into the console and shows its answers; the session ends with the server', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, pod('survival', { name: 'game', image: 'console:1', stdin: true }, { restartPolicy: 'Never' }));
    await running('survival');
    const r = await runKubectl(k, c, ['-n', NS, 'attach', 'survival', '-c', 'game', '-i'], { input: 'say welcome\nstop\n', timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /> say welcome\n/);
    assert.match(r.stdout, /saving world, stopping\n/);
    assert.doesNotMatch(r.stdout, /console ready/, 'only what it printed after the attach');
    const done = await waitFor(async () => {
      const p = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/survival`);
      return p.status?.containerStatuses?.[0]?.state?.terminated;
    }, 'the server exited on stop', 30_000);
    assert.equal(done.exitCode, 0);
  });

  it("client-node's Attach reads a running server's output; the server runs on after the client leaves", async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, pod('ticker', { name: 'game', image: 'console:1' }));
    const before = await running('ticker');
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfigPath);
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += String(chunk)), done()) });
    const ws = await new Attach(kc).attach(NS, 'ticker', 'game', sink, null, null, false);
    await waitFor(() => /tick players=3\n/.test(out), 'a heartbeat through the attachment', 20_000);
    ws.close();
    const after = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/ticker`);
    assert.equal(after.status.containerStatuses[0].containerID, before.status.containerStatuses[0].containerID, 'the same container');
    assert.ok(after.status.containerStatuses[0].state.running, 'still running');
  });

  it('refuses stdin of a container started without it, a simulated container, and a user without create pods/attach', async () => {
    const noStdin = await runKubectl(k, c, ['-n', NS, 'attach', 'ticker', '-c', 'game', '-i'], { input: 'say hi\n', timeoutMs: 30_000 });
    assert.notEqual(noStdin.code, 0);
    assert.match(noStdin.stderr, /stdin/);

    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, pod('sim', { name: 'game', image: 'registry.example.com/game/engine:1.0' }));
    await running('sim');
    const sim = await runKubectl(k, c, ['-n', NS, 'attach', 'sim', '-c', 'game'], { timeoutMs: 30_000 });
    assert.notEqual(sim.code, 0);
    assert.match(sim.stderr, /runs on the simulated runtime, which has no process to attach to/);

    const sa = await serviceAccountKubeconfig(c, NS, 'watcher');
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      metadata: { name: 'watcher-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: NS }],
    });
    const viewer = await runKubectl(k, c, ['-n', NS, 'attach', 'ticker', '-c', 'game'], { kubeconfig: sa.path, timeoutMs: 30_000 });
    assert.notEqual(viewer.code, 0);
    assert.match(viewer.stderr, /cannot create resource "pods\/attach" in API group "" in the namespace "attach"/);
  });
});
