// InplaceUpdate and RollingUpdate against `hotpod up --nodes 3`, with a watch on the pods that
// checks maxUnavailable and maxSurge on every pod event of the rollout. Containers take 800 ms
// from start to ready (simulated runtime), so unready pods are there to be seen.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, type Cluster } from '../helpers/cluster.js';
import {
  createGd,
  describeEvents,
  ensureNs,
  gdManifest,
  getGd,
  isReady,
  kubectl,
  listPods,
  live,
  mainStatus,
  mergePatchGd,
  monitorPods,
  revisionOf,
  startGdCluster,
  waitGd,
  waitPods,
  waitRow,
  type Json,
} from './helpers.js';

const NS = 'gd-strategies';
const SLOW_READY = { 'sim.hotpod.dev/ready-delay-ms': '800' };
/** kubectl set image knows only built-in kinds; a JSON patch as in BCS's docs. */
const setImage = (c: Cluster, name: string, image: string) =>
  kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', `-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "${image}"}]`]);
const condition = (p: Json, type: string) => ((p.status?.conditions ?? []) as Json[]).find((x) => x.type === type);

describe('GameDeployment update strategies', { timeout: 900_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('InplaceUpdate restarts only the container, one pod at a time (maxUnavailable 1), after the grace period', async () => {
    const name = 'inplace';
    await createGd(c, gdManifest(name, NS, { replicas: 4, type: 'InplaceUpdate', podAnnotations: SLOW_READY, updateStrategy: { maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 2 } } }));
    await waitRow(c, NS, name, '4 4 4 4 4');
    const before = await listPods(c, NS, name);
    for (const p of before) {
      assert.deepEqual(p.spec.readinessGates, [{ conditionType: 'InPlaceUpdateReady' }]);
      assert.equal(condition(p, 'InPlaceUpdateReady')?.status, 'True');
    }

    // When each pod left service and when its image changed, as the watch saw them.
    const leftAt = new Map<string, number>();
    const patchedAt = new Map<string, number>();
    const mon = await monitorPods(c, NS, name, (pods) => {
      const now = Date.now();
      for (const p of pods) {
        if (condition(p, 'InPlaceUpdateReady')?.status === 'False' && !leftAt.has(p.metadata.name)) leftAt.set(p.metadata.name, now);
        if (p.spec.containers[0].image === 'game/main:v2' && !patchedAt.has(p.metadata.name)) patchedAt.set(p.metadata.name, now);
      }
      const lv = live(pods);
      if (lv.length > 4) return `${lv.length} pods exist, replicas 4 and no surge`;
      const unready = lv.filter((p) => !isReady(p)).length + (4 - lv.length);
      if (unready > 1) return `${unready} pods unavailable, maxUnavailable 1`;
      return undefined;
    });
    await setImage(c, name, 'game/main:v2');
    await waitRow(c, NS, name, '4 4 4 4 4', 180_000);
    const after = await waitPods(c, NS, name, (ps) => ps.length === 4 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'all on v2 and ready');
    mon.stop();
    assert.deepEqual(mon.violations, []);
    assert.ok(mon.seen() > 10, `the watch saw the rollout (${mon.seen()} events)`);

    const gd = await getGd(c, NS, name);
    const byName = new Map(before.map((p) => [p.metadata.name, p]));
    assert.deepEqual(after.map((p) => p.metadata.name), [...byName.keys()].sort(), 'the same pods, updated in place');
    for (const p of after) {
      const was = byName.get(p.metadata.name)!;
      assert.equal(p.metadata.uid, was.metadata.uid);
      assert.equal(mainStatus(p).restartCount, 1);
      assert.notEqual(mainStatus(p).containerID, mainStatus(was).containerID);
      assert.equal(revisionOf(p), gd.status.updateRevision);
      assert.equal(condition(p, 'InPlaceUpdateReady')?.status, 'True');
      assert.equal(p.metadata.annotations?.['io.kubernetes.hotpatch.container'], undefined);
      const waited = patchedAt.get(p.metadata.name)! - leftAt.get(p.metadata.name)!;
      // Condition times are whole seconds (metav1.Time), so the engine's 2 s may start up to 1 s early.
      assert.ok(waited >= 1000, `${p.metadata.name}: images patched ${waited} ms after leaving service (grace 2 s, 1 s timestamp precision)`);
    }
    const events = await describeEvents(c, NS, name);
    assert.deepEqual(
      events.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace').map((e) => e.message).sort(),
      before.map((p) => `successfully update pod ${p.metadata.name} in-place`).sort(),
    );
  });

  it('InplaceUpdate refuses a change other than images: FailedUpdatePodInPlace, FailedUpdate, pods untouched', async () => {
    const name = 'inplace';
    const before = await listPods(c, NS, name);
    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', '-p=[{"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"name": "MODE", "value": "ranked"}]}]']);
    const gd = await waitGd(c, NS, name, (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedUpdate' && x.status === 'True'), 'FailedUpdate condition');
    const cond = gd.status.conditions.find((x: Json) => x.type === 'FailedUpdate');
    assert.equal(cond.reason, 'NotUpdatableInPlace');
    assert.match(cond.message, /can not update in-place: fields other than container images changed: spec\.containers\[0\]\.env/);
    assert.equal(gd.status.updatedReplicas, 0);
    await sleep(3000);
    const now = await listPods(c, NS, name);
    assert.deepEqual(
      now.map((p) => [p.metadata.name, p.metadata.uid, mainStatus(p).containerID, mainStatus(p).restartCount, revisionOf(p)]),
      before.map((p) => [p.metadata.name, p.metadata.uid, mainStatus(p).containerID, mainStatus(p).restartCount, revisionOf(p)]),
    );
    const warnings = (await describeEvents(c, NS, name)).filter((e) => e.reason === 'FailedUpdatePodInPlace');
    assert.ok(warnings.length >= 1, 'a FailedUpdatePodInPlace event');
    for (const w of warnings) {
      assert.equal(w.type, 'Warning');
      assert.match(w.message, /^find Pod inplace-\S+ update strategy is InPlace but can not update in-place: /);
    }
    // Going back to the pods' template clears the condition.
    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', '-p=[{"op": "remove", "path": "/spec/template/spec/containers/0/env"}]']);
    await waitGd(c, NS, name, (g) => !(g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedUpdate') && g.status.updatedReplicas === 4, 'condition cleared, all pods on the update revision');
  });

  it('HotPatchUpdate refuses a change other than images: FailedUpdatePodHotPatch, FailedUpdate, pods untouched', async () => {
    const name = 'hotpatch';
    await createGd(c, gdManifest(name, NS, { replicas: 2, type: 'HotPatchUpdate', updateStrategy: { maxUnavailable: 2 } }));
    await waitRow(c, NS, name, '2 2 2 2 2');
    const before = await listPods(c, NS, name);
    await kubectl(c, [
      'patch',
      'gamedeployment',
      name,
      '-n',
      NS,
      '--type=json',
      '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "game/main:v2"}, {"op": "add", "path": "/spec/template/spec/containers/0/args", "value": ["--fast"]}]',
    ]);
    const gd = await waitGd(c, NS, name, (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedUpdate' && x.status === 'True'), 'FailedUpdate condition');
    const cond = gd.status.conditions.find((x: Json) => x.type === 'FailedUpdate');
    assert.equal(cond.reason, 'NotHotPatchable');
    assert.match(cond.message, /only container images can be hot-patched, but fields other than container images changed: spec\.containers\[0\]\.args/);
    await sleep(3000);
    const now = await listPods(c, NS, name);
    assert.deepEqual(
      now.map((p) => [p.metadata.name, mainStatus(p).containerID, mainStatus(p).image, revisionOf(p)]),
      before.map((p) => [p.metadata.name, mainStatus(p).containerID, 'game/main:v1', revisionOf(p)]),
    );
    const warnings = (await describeEvents(c, NS, name)).filter((e) => e.reason === 'FailedUpdatePodHotPatch');
    assert.deepEqual(warnings.map((w) => w.type), ['Warning', 'Warning']);
    for (const w of warnings) assert.match(w.message, /^failed to update pod hotpatch-\S+ hot-patch: only container images can be hot-patched/);
    assert.equal((await describeEvents(c, NS, name)).filter((e) => e.reason === 'SuccessfulUpdatePodHotPatch').length, 0);
  });

  it('RollingUpdate replaces pods (maxUnavailable 1, maxSurge 0): never more than 4 pods, never more than 1 unavailable', async () => {
    const name = 'rolling';
    await createGd(c, gdManifest(name, NS, { replicas: 4, type: 'RollingUpdate', podAnnotations: SLOW_READY, updateStrategy: { maxUnavailable: 1, maxSurge: 0 } }));
    await waitRow(c, NS, name, '4 4 4 4 4');
    const before = await listPods(c, NS, name);
    const mon = await monitorPods(c, NS, name, (pods) => {
      const lv = live(pods);
      if (lv.length > 4) return `${lv.length} pods not terminating, replicas 4 + maxSurge 0`;
      const ready = lv.filter(isReady).length;
      if (ready < 3) return `${ready} ready pods, replicas 4 − maxUnavailable 1 = 3`;
      return undefined;
    });
    await setImage(c, name, 'game/main:v2');
    await waitRow(c, NS, name, '4 4 4 4 4', 180_000);
    const after = await waitPods(c, NS, name, (ps) => ps.length === 4 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'old pods gone, 4 new ones ready');
    mon.stop();
    assert.deepEqual(mon.violations, []);
    assert.equal(mon.minReady(), 3, 'the rollout used its unavailability budget');
    const oldNames = new Set(before.map((p) => p.metadata.name));
    for (const p of after) {
      assert.ok(!oldNames.has(p.metadata.name), `${p.metadata.name} is a new pod`);
      assert.match(p.metadata.name, /^rolling-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(mainStatus(p).restartCount, 0);
    }
    const events = await describeEvents(c, NS, name);
    assert.deepEqual(
      events.filter((e) => e.reason === 'SuccessfulUpdatePodReCreate').map((e) => e.message).sort(),
      before.map((p) => `successfully delete pod ${p.metadata.name} for update`).sort(),
    );
    assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 8);
  });

  it('RollingUpdate with maxSurge 1 and maxUnavailable 0 creates first: never more than 5 pods, never fewer than 4 ready', async () => {
    const name = 'surge';
    await createGd(c, gdManifest(name, NS, { replicas: 4, type: 'RollingUpdate', podAnnotations: SLOW_READY, updateStrategy: { maxUnavailable: 0, maxSurge: 1 } }));
    await waitRow(c, NS, name, '4 4 4 4 4');
    const mon = await monitorPods(c, NS, name, (pods) => {
      const lv = live(pods);
      if (lv.length > 5) return `${lv.length} pods not terminating, replicas 4 + maxSurge 1`;
      const ready = lv.filter(isReady).length;
      if (ready < 4) return `${ready} ready pods, replicas 4 − maxUnavailable 0`;
      return undefined;
    });
    await mergePatchGd(c, NS, name, { spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2', imagePullPolicy: 'IfNotPresent' }] } } } });
    await waitRow(c, NS, name, '4 4 4 4 4', 180_000);
    await waitPods(c, NS, name, (ps) => ps.length === 4 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'old pods gone, 4 new ones ready');
    mon.stop();
    assert.deepEqual(mon.violations, []);
    assert.equal(mon.maxLive(), 5, 'the surge pod was used');
  });
});
