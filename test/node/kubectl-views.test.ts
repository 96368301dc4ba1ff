// What kubectl shows of pods on the embedded nodes, as a real cluster shows it: the scheduler's
// and kubelets' events are named as client-go names them, `<pod>.<unix nanoseconds in hex>`, so
// `kubectl get events` (which lists in name order) shows a pod's events in the order they
// happened; a simulated container, which prints nothing, has an empty log, not an error; attach to
// one (no process) and a streaming subresource asked without its upgrade say why, not a bare 404.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, kubectlOk, runKubectl, waitFor, type Cluster } from '../helpers/cluster.js';
import { createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';

const NS = 'node-kubectl-views';

describe('kubectl views of pods on embedded nodes', { timeout: 120_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();

  before(async () => {
    c = await startNodeCluster({ nodes: 1 });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('kubectl get events lists a pod\'s events as they happened, named by the time they happened', async () => {
    const started = BigInt(Date.now()) * 1_000_000n;
    await createPod(c, podManifest('ordered', NS, [{ name: 'engine', image: 'game/engine:v1' }, { name: 'scripts', image: 'game/scripts:v1' }]));
    await waitPod(c, NS, 'ordered', isReady, 'pod Ready');
    const rows = await waitFor(async () => {
      const out = await kubectlOk(k, c, ['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=ordered', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.reason} {.involvedObject.fieldPath}{"\\n"}{end}']);
      const lines = out.trim().split('\n').map((l) => l.split(' '));
      return lines.filter((l) => l[1] === 'Started').length === 2 ? lines : undefined;
    }, 'both Started events');
    const ended = BigInt(Date.now()) * 1_000_000n;

    for (const [name] of rows) {
      const m = /^ordered\.([0-9a-f]+)$/.exec(name!);
      assert.ok(m, `event name ${name}`);
      const nanos = BigInt(`0x${m[1]}`);
      assert.ok(nanos >= started && nanos <= ended, `event ${name} is named by when it happened`);
    }
    assert.equal(rows[0]![1], 'Scheduled', `listed first: ${rows.map((r) => r[1]).join(', ')}`);
    for (const container of ['engine', 'scripts']) {
      const reasons = rows.filter((r) => r[2] === `spec.containers{${container}}`).map((r) => r[1]);
      // RuntimeSelected is hotpod's own: which runtime the image went to, before kubelet's three.
      assert.deepEqual(reasons, ['RuntimeSelected', 'Pulled', 'Created', 'Started'], `${container}'s events in the order kubelet records them`);
    }
  });

  it('kubectl logs of a simulated container prints nothing and succeeds, with -f too', async () => {
    await createPod(c, podManifest('quiet', NS, [{ name: 'engine', image: 'game/engine:v1' }, { name: 'scripts', image: 'game/scripts:v1' }]));
    await waitPod(c, NS, 'quiet', isReady, 'pod Ready');
    for (const args of [['logs', 'quiet', '-c', 'scripts'], ['logs', 'quiet'], ['logs', '-f', 'quiet', '-c', 'engine']]) {
      const r = await runKubectl(k, c, [...args, '-n', NS]);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
    const unknown = await runKubectl(k, c, ['logs', 'quiet', '-c', 'nope', '-n', NS]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /container nope is not valid for pod quiet/);
    const previous = await runKubectl(k, c, ['logs', 'quiet', '-c', 'engine', '--previous', '-n', NS]);
    assert.notEqual(previous.code, 0);
    assert.match(previous.stderr, /previous terminated container "engine" in pod "quiet" not found/);
  });

  it('kubectl attach to a simulated container says why not; a streaming subresource asked without an upgrade says what it takes', async () => {
    await waitPod(c, NS, 'quiet', isReady, 'pod Ready');
    const attach = await runKubectl(k, c, ['-n', NS, 'attach', 'quiet', '-c', 'engine']);
    assert.notEqual(attach.code, 0);
    assert.match(attach.stderr, /container engine runs on the simulated runtime, which has no process to attach to/);
    for (const [sub, takes] of [['attach', /takes a connection upgrade to WebSocket/], ['portforward', /takes a connection upgrade to SPDY\/3\.1, directly or through a WebSocket/]] as const) {
      const r = await api(c, 'POST', `/api/v1/namespaces/${NS}/pods/quiet/${sub}`);
      assert.equal(r.status, 400, `POST pods/${sub}: ${r.text}`);
      assert.match(r.body.message, takes);
    }
    const missing = await runKubectl(k, c, ['exec', 'nope', '-n', NS, '--', 'ls']);
    assert.match(missing.stderr, /pods "nope" not found/);
  });
});
