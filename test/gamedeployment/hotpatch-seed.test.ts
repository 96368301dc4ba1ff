// Seed 004, BCS's HotPatchUpdate walk-through, against `hotpod up --nodes 3`: the fixture applied
// unchanged (8 replicas, HotPatchUpdate, partition 3), the image patched with kubectl's JSON
// patch, and five pods that take main:v2 without restarting anything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixturePath, parseTable, sleep, type Cluster } from '../helpers/cluster.js';
import {
  describeEvents,
  gdRow,
  getGd,
  kubectl,
  listPods,
  mainStatus,
  nodePs,
  revisionOf,
  shortId,
  startGdCluster,
  waitPods,
  waitRow,
  type Json,
} from './helpers.js';

const NS = 'default';
const NAME = 'test-gamedeployment';

describe('seed 004: HotPatchUpdate with partition 3', { timeout: 600_000 }, () => {
  let c: Cluster;
  let before8: Json[] = [];
  let patched: string[] = [];

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
  });
  after(async () => {
    await c?.cleanup();
  });

  it('creates 8 pods named <gd>-<5 chars>, owned and labelled, all ready: 8 8 8 8 8', async () => {
    assert.match(await kubectl(c, ['apply', '-f', fixturePath('gamedeployment-hotpatch.yaml')]), /gamedeployment.tkex.tencent.com\/test-gamedeployment created/);
    await waitRow(c, NS, NAME, '8 8 8 8 8');
    const gd = await getGd(c, NS, NAME);
    before8 = await listPods(c, NS, NAME);
    assert.equal(before8.length, 8);
    for (const p of before8) {
      const suffix = p.metadata.name.slice(NAME.length + 1);
      assert.match(p.metadata.name, /^test-gamedeployment-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(p.metadata.labels['tkex.bkbcs.tencent.com/gamedeployment-instance-id'], suffix);
      assert.equal(revisionOf(p), gd.status.updateRevision);
      assert.deepEqual(
        p.metadata.ownerReferences.map((r: Json) => [r.kind, r.name, r.uid, r.controller]),
        [['GameDeployment', NAME, gd.metadata.uid, true]],
      );
      assert.equal(mainStatus(p).image, 'main:v1');
      assert.equal(mainStatus(p).restartCount, 0);
    }
    assert.equal(gd.status.labelSelector, 'app=test-gamedeployment');
    assert.equal(gd.status.observedGeneration, gd.metadata.generation);
    const table = parseTable(await kubectl(c, ['get', 'pods', '-n', NS]));
    assert.equal(table.rows.length, 8);
    for (const r of table.rows) assert.deepEqual([r.READY, r.STATUS, r.RESTARTS], ['1/1', 'Running', '0'], JSON.stringify(r));
  });

  it('kubectl patch of the image hot-patches exactly 5 pods: same containers, start times, 0 restarts; 8 5 5 8 8', async () => {
    const out = await kubectl(c, [
      'patch',
      'gamedeployment',
      NAME,
      '--type=json',
      '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"main:v2"}]',
    ]);
    assert.match(out, /gamedeployment.tkex.tencent.com\/test-gamedeployment patched/);
    await waitRow(c, NS, NAME, '8 5 5 8 8');
    const gd = await getGd(c, NS, NAME);
    const pods = await waitPods(c, NS, NAME, (ps) => ps.filter((p) => mainStatus(p).image === 'main:v2').length === 5, '5 pods run main:v2');
    // Nothing more happens: partition 3 keeps three pods on main:v1 (the patch observed first).
    assert.equal(gd.status.observedGeneration, gd.metadata.generation, 'the patch observed');
    await sleep(3000);
    const settled = await listPods(c, NS, NAME);
    assert.deepEqual(settled.map((p) => [p.metadata.name, mainStatus(p).image]), pods.map((p) => [p.metadata.name, mainStatus(p).image]));
    assert.equal(await gdRow(c, NS, NAME), '8 5 5 8 8');

    const byName = new Map(before8.map((p) => [p.metadata.name, p]));
    assert.deepEqual(settled.map((p) => p.metadata.name), [...byName.keys()].sort(), 'the same 8 pods');
    for (const p of settled) {
      const was = byName.get(p.metadata.name)!;
      const v2 = mainStatus(p).image === 'main:v2';
      assert.equal(p.metadata.uid, was.metadata.uid);
      assert.equal(mainStatus(p).containerID, mainStatus(was).containerID, `${p.metadata.name}: same container`);
      assert.equal(mainStatus(p).state.running.startedAt, mainStatus(was).state.running.startedAt, `${p.metadata.name}: same start`);
      assert.equal(p.status.startTime, was.status.startTime);
      assert.equal(mainStatus(p).restartCount, 0);
      assert.equal(p.spec.containers[0].image, v2 ? 'main:v2' : 'main:v1');
      assert.equal(revisionOf(p), v2 ? gd.status.updateRevision : revisionOf(was));
      if (v2) {
        assert.equal(p.metadata.annotations['io.kubernetes.hotpatch.container'], 'true');
        assert.notEqual(mainStatus(p).imageID, mainStatus(was).imageID);
      }
    }
    patched = settled.filter((p) => mainStatus(p).image === 'main:v2').map((p) => p.metadata.name);
    assert.equal(patched.length, 5);

    const table = parseTable(await kubectl(c, ['get', 'pods', '-n', NS]));
    assert.equal(table.rows.length, 8);
    for (const r of table.rows) assert.deepEqual([r.READY, r.STATUS, r.RESTARTS], ['1/1', 'Running', '0'], JSON.stringify(r));
  });

  it('kubectl describe shows 8 SuccessfulCreate and 5 SuccessfulUpdatePodHotPatch events from hotpod', async () => {
    const events = await describeEvents(c, NS, NAME);
    const creates = events.filter((e) => e.reason === 'SuccessfulCreate');
    const hot = events.filter((e) => e.reason === 'SuccessfulUpdatePodHotPatch');
    assert.deepEqual(creates.map((e) => e.message).sort(), before8.map((p) => `succeed to create pod ${p.metadata.name}`).sort());
    assert.deepEqual(hot.map((e) => e.message).sort(), patched.map((n) => `successfully update pod ${n} hot-patch`).sort());
    for (const e of [...creates, ...hot]) assert.deepEqual([e.type, e.from], ['Normal', 'hotpod']);
    assert.equal(events.filter((e) => e.type === 'Warning').length, 0, JSON.stringify(events));
  });

  it('hotpod node ps shows the same container IDs, 5 with the new image', async () => {
    const ps = await nodePs(c);
    for (const p of before8) {
      const row = ps.get(shortId(mainStatus(p).containerID));
      assert.ok(row, `container of ${p.metadata.name} (${shortId(mainStatus(p).containerID)}) listed by hotpod node ps`);
      assert.equal(row.image, patched.includes(p.metadata.name) ? 'main:v2' : 'main:v1');
      assert.match(row.names, new RegExp(`^k8s_main_${p.metadata.name}_default_${p.metadata.uid}_0$`));
      assert.match(row.status, /^Up /);
    }
  });

  it('partition 0 hot-patches the other 3: 8 8 8 8 8, still the same containers', async () => {
    await kubectl(c, ['patch', 'gamedeployment', NAME, '--type=merge', '-p', '{"spec":{"updateStrategy":{"partition":0}}}']);
    await waitRow(c, NS, NAME, '8 8 8 8 8');
    const pods = await listPods(c, NS, NAME);
    const byName = new Map(before8.map((p) => [p.metadata.name, p]));
    assert.equal(pods.length, 8);
    for (const p of pods) {
      const was = byName.get(p.metadata.name)!;
      assert.ok(was, `${p.metadata.name} is one of the original pods`);
      assert.equal(mainStatus(p).containerID, mainStatus(was).containerID);
      assert.equal(mainStatus(p).image, 'main:v2');
      assert.equal(mainStatus(p).restartCount, 0);
    }
    const events = await describeEvents(c, NS, NAME);
    assert.deepEqual(
      events.filter((e) => e.reason === 'SuccessfulUpdatePodHotPatch').map((e) => e.message).sort(),
      before8.map((p) => `successfully update pod ${p.metadata.name} hot-patch`).sort(),
    );
    const ps = await nodePs(c);
    for (const p of pods) assert.equal(ps.get(shortId(mainStatus(p).containerID))?.image, 'main:v2');
  });
});
