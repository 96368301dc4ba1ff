// Nodes started with --no-hot-patch: no hot-patch label, and an image change on a pod that asks
// for hot-patch falls back to restarting the container.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, kubectlOk, type Cluster } from '../helpers/cluster.js';
import { containerStatus, createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';

const NS = 'node-no-hot-patch';

describe('nodes without hot-patch support', { timeout: 120_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startNodeCluster({ nodes: 1, hotPatch: false });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('do not advertise hot-patch', async () => {
    const nodes = await apiOk(c, 'GET', '/api/v1/nodes');
    assert.equal(nodes.items.length, 1);
    assert.equal(nodes.items[0].metadata.labels['hotpod.dev/hot-patch'], undefined);
  });

  it('restart the container instead of hot-patching it', async () => {
    await createPod(c, podManifest('arena', NS, [{ name: 'engine', image: 'game/engine:v1' }], { annotations: { 'io.kubernetes.hotpatch.container': 'true' } }));
    const before = await waitPod(c, NS, 'arena', isReady, 'Ready');
    await kubectlOk(newestKubectl(), c, ['set', 'image', '-n', NS, 'pod/arena', 'engine=game/engine:v2']);
    const after = await waitPod(c, NS, 'arena', (p) => containerStatus(p, 'engine').restartCount === 1 && isReady(p), 'restarted');
    assert.notEqual(containerStatus(after, 'engine').containerID, containerStatus(before, 'engine').containerID);
    assert.equal(containerStatus(after, 'engine').image, 'game/engine:v2');
    assert.equal(after.metadata.uid, before.metadata.uid);
  });
});
