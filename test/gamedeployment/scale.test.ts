// Scaling a GameDeployment: `kubectl scale` through the scale subresource, scale-down by
// controller.kubernetes.io/pod-deletion-cost (deletion-cost.test.ts has the rest), and
// scaleStrategy.podsToDelete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, type Cluster } from '../helpers/cluster.js';
import { GD_PATH, POD_NAME, createGd, describeEvents, ensureNs, gdManifest, getGd, kubectl, listPods, live, mergePatchGd, startGdCluster, waitGd, waitPods, waitRow } from './helpers.js';

const NS = 'gd-scale';
const NAME = 'scale';

describe('GameDeployment scaling', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('kubectl scale goes through the scale subresource: 3 → 5 pods', async () => {
    await createGd(c, gdManifest(NAME, NS, { replicas: 3, type: 'HotPatchUpdate' }));
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    assert.match(await kubectl(c, ['scale', 'gamedeployment', NAME, '-n', NS, '--replicas=5']), /gamedeployment.tkex.tencent.com\/scale scaled/);
    await waitRow(c, NS, NAME, '5 5 5 5 5');
    const scale = await apiOk(c, 'GET', `${GD_PATH(NS, NAME)}/scale`);
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 5);
    assert.equal(scale.status.replicas, 5);
    assert.equal(scale.status.selector, `app=${NAME}`);
    const pods = await listPods(c, NS, NAME);
    assert.equal(pods.length, 5);
    for (const p of pods) assert.match(p.metadata.name, POD_NAME);
  });

  it('scaling down removes the pods with the lowest controller.kubernetes.io/pod-deletion-cost', async () => {
    const pods = await listPods(c, NS, NAME);
    const costs = [10, 1, 10, 5, 10];
    for (const [i, p] of pods.entries()) {
      await kubectl(c, ['annotate', 'pod', p.metadata.name, '-n', NS, `controller.kubernetes.io/pod-deletion-cost=${costs[i]}`]);
    }
    const expectGone = [pods[1]!.metadata.name, pods[3]!.metadata.name].sort();
    // `gd`, the short name, as `kubectl get gss` has `gss`.
    assert.match(await kubectl(c, ['scale', 'gd', NAME, '-n', NS, '--replicas=3']), /gamedeployment.tkex.tencent.com\/scale scaled/);
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    const left = await waitPods(c, NS, NAME, (ps) => ps.length === 3, 'the 2 removed pods gone');
    assert.deepEqual(left.map((p) => p.metadata.name), pods.map((p) => p.metadata.name).filter((n) => !expectGone.includes(n)));
    const deletes = (await describeEvents(c, NS, NAME)).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message).sort();
    assert.deepEqual(deletes, expectGone.map((n) => `succeed to delete pod ${n}`));
  });

  it('podsToDelete deletes the named pod and replaces it, then the list is truncated', async () => {
    const pods = await listPods(c, NS, NAME);
    const victim = pods[0]!.metadata.name;
    await mergePatchGd(c, NS, NAME, { spec: { scaleStrategy: { podsToDelete: [victim, 'no-such-pod'] } } });
    const after = await waitPods(c, NS, NAME, (ps) => ps.length === 3 && !ps.some((p) => p.metadata.name === victim), `${victim} gone and replaced`);
    assert.equal(live(after).length, 3);
    const newOnes = after.filter((p) => !pods.some((q) => q.metadata.name === p.metadata.name));
    assert.equal(newOnes.length, 1);
    await waitRow(c, NS, NAME, '3 3 3 3 3');
    const gd = await waitGd(c, NS, NAME, (g) => (g.spec.scaleStrategy?.podsToDelete ?? []).length === 0, 'podsToDelete truncated');
    assert.deepEqual(gd.spec.scaleStrategy.podsToDelete, []);
    const events = await describeEvents(c, NS, NAME);
    assert.ok(events.some((e) => e.reason === 'SuccessfulDelete' && e.message === `succeed to delete pod ${victim}`));
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === `succeed to create pod ${newOnes[0]!.metadata.name}`));
  });

  it('podsToDelete with fewer replicas removes exactly the named pod', async () => {
    const pods = await listPods(c, NS, NAME);
    const victim = pods[1]!.metadata.name;
    await mergePatchGd(c, NS, NAME, { spec: { replicas: 2, scaleStrategy: { podsToDelete: [victim] } } });
    await waitRow(c, NS, NAME, '2 2 2 2 2');
    const after = await waitPods(c, NS, NAME, (ps) => ps.length === 2, 'one pod gone');
    assert.deepEqual(after.map((p) => p.metadata.name), pods.map((p) => p.metadata.name).filter((n) => n !== victim));
    const gd = await getGd(c, NS, NAME);
    assert.equal(gd.status.replicas, 2);
  });
});
