// Canary steps against `hotpod up --nodes 3`: partition steps, a timed pause that resumes by
// itself, and an untimed pause that sets spec.updateStrategy.paused and waits for the user.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, type Cluster } from '../helpers/cluster.js';
import { createGd, describeEvents, ensureNs, gdManifest, getGd, kubectl, listPods, mainStatus, startGdCluster, waitGd, waitRow, type Json } from './helpers.js';

const NS = 'gd-canary';
const NAME = 'canary';
const STEPS = [{ partition: 3 }, { pause: { duration: 4 } }, { partition: 2 }, { pause: {} }, { partition: 1 }];

describe('GameDeployment canary steps', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a new GameDeployment starts with its steps done', async () => {
    await createGd(c, gdManifest(NAME, NS, { replicas: 4, type: 'HotPatchUpdate', updateStrategy: { canary: { steps: STEPS } } }));
    await waitRow(c, NS, NAME, '4 4 4 4 4');
    const gd = await getGd(c, NS, NAME);
    assert.equal(gd.status.currentStepIndex, STEPS.length);
    assert.match(gd.status.currentStepHash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(gd.spec.updateStrategy.paused, false);
  });

  it('partition 3, a 4 s pause that resumes by itself, partition 2, then an untimed pause that waits for the user', async () => {
    const first = await getGd(c, NS, NAME);
    await kubectl(c, ['patch', 'gamedeployment', NAME, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"game/main:v2"}]']);

    // Step 0 (partition 3) is done with one pod, then step 1 pauses for 4 seconds.
    const paused1 = await waitGd(c, NS, NAME, (g) => g.status.currentStepIndex === 1 && g.status.updatedReadyReplicas === 1, 'step 1 (timed pause) with 1 pod updated');
    const t1 = Date.now();
    assert.equal(paused1.status.canary.revision, first.status.updateRevision, 'canary.revision: the revision rolled out from');
    assert.equal(paused1.status.pauseConditions.length, 1);
    assert.equal(paused1.status.pauseConditions[0].reason, 'PausedByCanaryPauseStep');
    assert.equal(paused1.spec.updateStrategy.paused, false, 'a timed pause does not set paused');
    await sleep(1500);
    const still = await getGd(c, NS, NAME);
    assert.equal(still.status.currentStepIndex, 1);
    assert.equal(still.status.updatedReplicas, 1);

    // Resumes by itself: step 2 (partition 2) updates a second pod, step 3 pauses for the user.
    const paused3 = await waitGd(c, NS, NAME, (g) => g.status.currentStepIndex === 3 && g.status.updatedReadyReplicas === 2 && g.spec.updateStrategy.paused === true, 'step 3 (untimed pause), paused: true', 60_000);
    const waited = Date.now() - t1;
    assert.ok(waited >= 2500, `the timed pause held the rollout (${waited} ms after it was seen)`);
    assert.deepEqual(paused3.status.pauseConditions.map((x: Json) => x.reason), ['PausedByCanaryPauseStep']);
    await waitRow(c, NS, NAME, '4 2 2 4 4');

    // It stays there: once the controller has seen its own pause (the generation it wrote), a
    // while later nothing has moved.
    await waitGd(c, NS, NAME, (g) => g.status.observedGeneration === g.metadata.generation, 'the pause observed');
    await sleep(3000);
    const held = await getGd(c, NS, NAME);
    assert.equal(held.status.currentStepIndex, 3);
    assert.equal(held.status.updatedReplicas, 2);
    assert.equal(held.spec.updateStrategy.paused, true);
  });

  it('paused: false moves on to the last partition step, then the spec partition (0) finishes the rollout', async () => {
    await kubectl(c, ['patch', 'gamedeployment', NAME, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/updateStrategy/paused", "value":false}]']);
    const done = await waitGd(c, NS, NAME, (g) => g.status.currentStepIndex === STEPS.length && g.status.updatedReadyReplicas === 4, 'all steps done, 4 updated');
    assert.equal(done.status.pauseConditions, undefined);
    assert.equal(done.spec.updateStrategy.paused, false);
    await waitRow(c, NS, NAME, '4 4 4 4 4');
    const pods = await listPods(c, NS, NAME);
    for (const p of pods) {
      assert.equal(mainStatus(p).image, 'game/main:v2');
      assert.equal(mainStatus(p).restartCount, 0);
    }
    const events = await describeEvents(c, NS, NAME);
    const steps = events.filter((e) => e.reason === 'SetStepIndex').map((e) => e.message);
    for (const i of [0, 1, 2, 3, 4, 5]) assert.ok(steps.some((m) => m.startsWith(`set currentStepIndex to ${i} `)), `SetStepIndex to ${i} in ${JSON.stringify(steps)}`);
    assert.ok(events.some((e) => e.reason === 'SetPaused' && /until spec.updateStrategy.paused is set to false/.test(e.message)));
    assert.equal(events.filter((e) => e.reason === 'SuccessfulUpdatePodHotPatch').length, 4);
  });
});
