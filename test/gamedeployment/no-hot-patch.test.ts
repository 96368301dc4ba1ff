// HotPatchUpdate on nodes without hot-patch support (`hotpod up --no-hot-patch`): the rollout
// stops with a condition and a Warning Event instead of letting the nodes restart containers,
// until the GameDeployment opts into in-place restarts with hotpod.dev/hot-patch-fallback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, sleep, type Cluster } from '../helpers/cluster.js';
import { createGd, describeEvents, gdEvents, ensureNs, gdManifest, getGd, kubectl, listPods, mainStatus, startGdCluster, waitGd, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-no-hot-patch';
const NAME = 'arena';

const failedUpdate = (g: Json) => (g.status?.conditions ?? []).find((x: Json) => x.type === 'FailedUpdate');

describe('HotPatchUpdate on nodes without hot-patch support', { timeout: 600_000 }, () => {
  let c: Cluster;
  let before0: Json[] = [];

  before(async () => {
    c = await startGdCluster({ nodes: 2, hotPatch: false });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('stops the rollout with FailedUpdate and a Warning Event naming pod and node; no container restarts', async () => {
    const nodes = await apiOk(c, 'GET', '/api/v1/nodes');
    for (const n of nodes.items) assert.equal(n.metadata.labels['hotpod.dev/hot-patch'], undefined);
    await createGd(c, gdManifest(NAME, NS, { replicas: 3, type: 'HotPatchUpdate', updateStrategy: { maxUnavailable: 3 } }));
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    before0 = await listPods(c, NS, NAME);

    await kubectl(c, ['patch', 'gamedeployment', NAME, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"game/main:v2"}]']);
    const gd = await waitGd(c, NS, NAME, (g) => failedUpdate(g)?.status === 'True', 'FailedUpdate condition');
    const cond = failedUpdate(gd);
    assert.equal(cond.reason, 'HotPatchUnsupportedOnNode');
    for (const p of before0) {
      assert.ok(cond.message.includes(`pod ${p.metadata.name} runs on node ${p.spec.nodeName}, which does not support hot-patch`), cond.message);
    }
    assert.match(cond.message, /hotpod\.dev\/hot-patch-fallback=InplaceUpdate/);

    const warnings = (await describeEvents(c, NS, NAME)).filter((e) => e.reason === 'FailedUpdatePodHotPatch');
    assert.equal(warnings.length, 3, JSON.stringify(warnings));
    for (const w of warnings) {
      assert.equal(w.type, 'Warning');
      assert.match(w.message, /^pod arena-\S+ runs on node node-\d, which does not support hot-patch \(no label hotpod.dev\/hot-patch=true\)/);
    }

    // Nothing is touched, however long we wait.
    await sleep(4000);
    const pods = await listPods(c, NS, NAME);
    assert.deepEqual(
      pods.map((p) => [p.metadata.name, mainStatus(p).containerID, mainStatus(p).restartCount, p.spec.containers[0].image]),
      before0.map((p) => [p.metadata.name, mainStatus(p).containerID, 0, 'game/main:v1']),
    );
    const now = await getGd(c, NS, NAME);
    assert.equal(now.status.updatedReplicas, 0);
    const raw = (await gdEvents(c, NS, NAME)).filter((e) => e.reason === 'FailedUpdatePodHotPatch');
    assert.deepEqual(raw.map((e) => e.count), [1, 1, 1], 'no repeated Events while nothing changes');
  });

  it('with hotpod.dev/hot-patch-fallback: InplaceUpdate the containers restart in place with the new image', async () => {
    await kubectl(c, ['annotate', 'gamedeployment', NAME, '-n', NS, 'hotpod.dev/hot-patch-fallback=InplaceUpdate']);
    await waitRow(c, NS, NAME, '3 3 3 3 3', 180_000);
    const pods = await waitPods(c, NS, NAME, (ps) => ps.length === 3 && ps.every((p) => mainStatus(p).image === 'game/main:v2'), 'all on v2');
    const byName = new Map(before0.map((p) => [p.metadata.name, p]));
    for (const p of pods) {
      const was = byName.get(p.metadata.name)!;
      assert.ok(was, `${p.metadata.name} is an original pod`);
      assert.equal(p.metadata.uid, was.metadata.uid);
      assert.equal(mainStatus(p).restartCount, 1);
      assert.notEqual(mainStatus(p).containerID, mainStatus(was).containerID);
      assert.equal(p.metadata.annotations?.['io.kubernetes.hotpatch.container'], undefined, 'not asked to hot-patch');
    }
    const gd = await waitGd(c, NS, NAME, (g) => failedUpdate(g) === undefined, 'FailedUpdate cleared');
    assert.equal(gd.status.updatedReadyReplicas, 3);
    const events = await describeEvents(c, NS, NAME);
    assert.deepEqual(
      events.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace').map((e) => e.message).sort(),
      before0.map((p) => `successfully update pod ${p.metadata.name} in-place`).sort(),
    );
    assert.equal(events.filter((e) => e.reason === 'SuccessfulUpdatePodHotPatch').length, 0);
  });
});
