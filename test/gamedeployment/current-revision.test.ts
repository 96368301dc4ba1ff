// status.currentRevision: the revision the partition's old pods are made from — the old revision
// while pods run it (a pod the partition keeps, deleted, comes back at it), the update revision
// once every pod is updated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../helpers/cluster.js';
import { createGd, ensureNs, gdManifest, getGd, kubectl, live, mergePatchGd, revisionOf, startGdCluster, waitGd, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-current';
const NAME = 'current';

describe('GameDeployment status.currentRevision', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('follows the partition: old revision while pods run it, recreated pods of the partition at it, the update revision at the end', async () => {
    await createGd(c, gdManifest(NAME, NS, { replicas: 3, type: 'HotPatchUpdate', updateStrategy: { partition: 1, maxUnavailable: 3 } }));
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    const first = await waitGd(c, NS, NAME, (g) => !!g.status?.currentRevision, 'currentRevision written');
    assert.equal(first.status.currentRevision, first.status.updateRevision, 'nothing old: the update revision');
    assert.equal((await kubectl(c, ['get', 'gamedeployment', NAME, '-n', NS, '-o', 'jsonpath={.status.currentRevision}'])).trim(), first.status.updateRevision);
    const r1 = first.status.updateRevision;

    await kubectl(c, ['patch', 'gamedeployment', NAME, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"game/main:v2"}]']);
    await waitRow(c, NS, NAME, '3 2 2 3 3');
    const mid = await waitGd(c, NS, NAME, (g) => g.status?.updateRevision !== r1 && g.status?.updatedReplicas === 2, 'two pods updated');
    assert.equal(mid.status.currentRevision, r1, 'the partition keeps one pod at the old revision');

    // The partition's pod, deleted, is made again from currentRevision.
    const pods = live(await waitPods(c, NS, NAME, (ps) => live(ps).length === 3, '3 pods'));
    const old = pods.find((p: Json) => revisionOf(p) === r1)!;
    await mergePatchGd(c, NS, NAME, { spec: { scaleStrategy: { podsToDelete: [old.metadata.name] } } });
    const again = await waitPods(c, NS, NAME, (ps) => live(ps).length === 3 && !ps.some((p) => p.metadata.name === old.metadata.name), 'the old pod replaced');
    const replacement = live(again).find((p) => !pods.some((q: Json) => q.metadata.name === p.metadata.name))!;
    assert.equal(revisionOf(replacement), r1, 'made from currentRevision');
    assert.equal(replacement.spec.containers[0].image, 'game/main:v1');
    await waitRow(c, NS, NAME, '3 2 2 3 3');
    assert.equal((await getGd(c, NS, NAME)).status.currentRevision, r1);

    await mergePatchGd(c, NS, NAME, { spec: { updateStrategy: { partition: 0 } } });
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    const done = await waitGd(c, NS, NAME, (g) => g.status?.currentRevision === g.status?.updateRevision, 'currentRevision is the update revision');
    assert.notEqual(done.status.currentRevision, r1);
  });
});
