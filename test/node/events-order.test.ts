// The scheduler's and kubelets' events are named as client-go names them, `<pod>.<unix
// nanoseconds in hex>`, so `kubectl get events` (which lists in name order) shows a pod's
// events in the order they happened, as on a real cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';

const NS = 'node-events-order';

describe('event names', { timeout: 120_000 }, () => {
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
      assert.deepEqual(reasons, ['Pulled', 'Created', 'Started'], `${container}'s events in the order kubelet records them`);
    }
  });
});
