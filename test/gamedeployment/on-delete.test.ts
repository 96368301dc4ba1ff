// GameDeployment updateStrategy.type OnDelete (BCS's legacy strategy): a new template reaches a
// pod only when the pod is deleted by hand; the controller recreates it at the update revision
// and leaves every other pod as it is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Cluster } from '../helpers/cluster.js';
import { ensureNs, gdManifest, isReady, kubectl, listPods, live, mainStatus, revisionOf, startGdCluster, waitGd, waitPods } from './helpers.js';

const NS = 'on-delete';

describe('GameDeployment OnDelete', { timeout: 180_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startGdCluster({ nodes: 1 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('updates only the pods deleted by hand', async () => {
    // Applied with kubectl 1.35's strict field validation.
    await kubectl(c, ['apply', '-f', '-'], { input: JSON.stringify(gdManifest('od', NS, { replicas: 3, type: 'OnDelete' })) });
    const before = await waitPods(c, NS, 'od', (ps) => live(ps).length === 3 && live(ps).every(isReady), '3 ready');
    await kubectl(c, ['patch', 'gamedeployment', 'od', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2', imagePullPolicy: 'IfNotPresent' }] } } } })]);
    // The controller saw the new template (a new update revision in the status for generation 2) ...
    const gd = await waitGd(c, NS, 'od', (g) => g.status?.observedGeneration === 2 && g.status.updateRevision !== revisionOf(before[0]!), 'the new revision observed');
    // ... and updated nothing.
    const untouched = live(await listPods(c, NS, 'od'));
    assert.deepEqual(untouched.map((p) => p.metadata.uid).sort(), before.map((p) => p.metadata.uid).sort());
    assert.ok(untouched.every((p) => mainStatus(p).image === 'game/main:v1'));
    assert.equal(gd.status.updatedReplicas, 0);

    // One pod deleted by hand comes back at the new revision; the others stay.
    const victim = before[0]!.metadata.name;
    await kubectl(c, ['delete', 'pod', victim, '-n', NS, '--wait=false']);
    const after = await waitPods(c, NS, 'od', (ps) => live(ps).length === 3 && live(ps).every(isReady) && !ps.some((p) => p.metadata.name === victim), 'the deleted pod replaced');
    const fresh = after.filter((p) => !before.some((b) => b.metadata.uid === p.metadata.uid));
    assert.equal(fresh.length, 1);
    assert.equal(mainStatus(fresh[0]!).image, 'game/main:v2');
    assert.equal(revisionOf(fresh[0]!), gd.status.updateRevision);
    assert.equal(after.filter((p) => mainStatus(p).image === 'game/main:v1').length, 2);
    await waitGd(c, NS, 'od', (g) => g.status?.updatedReplicas === 1 && g.status?.readyReplicas === 3, 'one updated');
  });
});
