// `hotpod.dev/allocated-update: Wait` on a GameDeployment, through kubectl: a pod the game (or
// its allocator) labels `game.kruise.io/gs-opsState=Allocated` is neither replaced by a
// RollingUpdate nor restarted by an InplaceUpdate until the label leaves Allocated; it carries
// `hotpod.dev/update-pending` meanwhile and the GameDeployment says how many wait. A
// HotPatchUpdate restarts nothing, so it is not held.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Cluster } from '../helpers/cluster.js';
import { createGd, ensureNs, gdEvents, gdManifest, isReady, kubectl, listPods, live, mainStatus, revisionOf, startGdCluster, waitGd, waitPods, type Json } from './helpers.js';

const NS = 'gd-allocated';
const PENDING = 'hotpod.dev/update-pending';
const OPS_STATE = 'game.kruise.io/gs-opsState';
const WAIT = { 'hotpod.dev/allocated-update': 'Wait' };

describe('GameDeployment hotpod.dev/allocated-update: Wait', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  /** Creates the GameDeployment, waits for its 6 pods, labels 2 of them Allocated; returns all 6 and the 2. */
  async function start(name: string, type: 'RollingUpdate' | 'InplaceUpdate' | 'HotPatchUpdate'): Promise<{ before: Json[]; allocated: string[] }> {
    await createGd(c, gdManifest(name, NS, { replicas: 6, type, annotations: WAIT, updateStrategy: { maxUnavailable: 2, maxSurge: 0 } }));
    const before = await waitPods(c, NS, name, (ps) => live(ps).length === 6 && live(ps).every(isReady), '6 pods ready');
    const allocated = before.slice(0, 2).map((p) => p.metadata.name as string);
    for (const pod of allocated) await kubectl(c, ['label', 'pod', pod, '-n', NS, `${OPS_STATE}=Allocated`]);
    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "game/main:v2"}]']);
    return { before, allocated };
  }

  async function checkHeld(name: string, before: Json[], allocated: string[], recreated: boolean): Promise<void> {
    const gd = await waitGd(c, NS, name, (g) => g.status?.conditions?.some((x: Json) => x.type === 'AllocatedUpdateWaiting') && g.status?.updatedReplicas === 4, '4 updated, 2 waiting');
    const cond = gd.status.conditions.find((x: Json) => x.type === 'AllocatedUpdateWaiting');
    assert.equal(cond.message, `2 pods wait to leave opsState Allocated before their update: ${[...allocated].sort().join(', ')}`);
    const pods = live(await listPods(c, NS, name));
    assert.equal(pods.length, 6);
    const byName = new Map(pods.map((p) => [p.metadata.name, p]));
    for (const n of allocated) {
      const p = byName.get(n);
      assert.ok(p, `${n} is still there`);
      assert.equal(p.metadata.uid, before.find((b) => b.metadata.name === n)!.metadata.uid);
      assert.equal(mainStatus(p).image, 'game/main:v1', `${n} not updated`);
      assert.equal(mainStatus(p).restartCount, 0, `${n} not restarted`);
      assert.equal(p.metadata.annotations?.[PENDING], gd.status.updateRevision, `${n} says an update is pending`);
    }
    for (const p of pods.filter((x) => !allocated.includes(x.metadata.name))) {
      assert.equal(revisionOf(p), gd.status.updateRevision);
      assert.equal(before.some((b) => b.metadata.uid === p.metadata.uid), !recreated, `${p.metadata.name}: ${recreated ? 'recreated' : 'in place'}`);
    }
  }

  async function release(name: string, allocated: string[]): Promise<void> {
    for (const pod of allocated) await kubectl(c, ['label', 'pod', pod, '-n', NS, `${OPS_STATE}=None`, '--overwrite']);
    await waitGd(c, NS, name, (g) => g.status?.updatedReadyReplicas === 6 && !g.status?.conditions?.some((x: Json) => x.type === 'AllocatedUpdateWaiting'), 'all 6 updated, condition gone');
    await waitFor(async () => live(await listPods(c, NS, name)).every((p) => !p.metadata.annotations?.[PENDING]), 'update-pending removed', 60_000);
  }

  it('RollingUpdate replaces the 4 others and keeps the 2 Allocated pods until they are released', async () => {
    const { before, allocated } = await start('rolling', 'RollingUpdate');
    await checkHeld('rolling', before, allocated, true);
    await release('rolling', allocated);
  });

  it('InplaceUpdate restarts the 4 others in place and not the 2 Allocated ones until they are released', async () => {
    const { before, allocated } = await start('inplace', 'InplaceUpdate');
    await checkHeld('inplace', before, allocated, false);
    await release('inplace', allocated);
    for (const p of live(await listPods(c, NS, 'inplace'))) assert.equal(mainStatus(p).restartCount, 1, `${p.metadata.name} restarted once, in place`);
  });

  it('HotPatchUpdate is not held: every pod, Allocated ones too, takes the image without a restart', async () => {
    const { before, allocated } = await start('hotpatch', 'HotPatchUpdate');
    const gd = await waitGd(c, NS, 'hotpatch', (g) => g.status?.updatedReadyReplicas === 6, 'all 6 on the update revision');
    const pods = live(await waitPods(c, NS, 'hotpatch', (ps) => live(ps).length === 6 && live(ps).every((p) => mainStatus(p).image === 'game/main:v2'), 'the node runs main:v2 in all 6'));
    for (const p of pods) {
      assert.ok(before.some((b) => b.metadata.uid === p.metadata.uid), `${p.metadata.name}: the same pod`);
      assert.equal(mainStatus(p).image, 'game/main:v2');
      assert.equal(mainStatus(p).restartCount, 0);
      assert.equal(p.metadata.annotations?.[PENDING], undefined);
    }
    assert.ok(!gd.status.conditions?.some((x: Json) => x.type === 'AllocatedUpdateWaiting'));
    assert.ok(allocated.every((n) => pods.find((p) => p.metadata.name === n)?.metadata.labels[OPS_STATE] === 'Allocated'));
  });

  it('an unknown value is named in FieldsNotActedOn with a Warning Event', async () => {
    await createGd(c, gdManifest('typo', NS, { replicas: 1, annotations: { 'hotpod.dev/allocated-update': 'wait' } }));
    const gd = await waitGd(c, NS, 'typo', (g) => g.status?.conditions?.some((x: Json) => x.type === 'FieldsNotActedOn'), 'FieldsNotActedOn');
    assert.equal(gd.status.conditions.find((x: Json) => x.type === 'FieldsNotActedOn').message, 'annotation hotpod.dev/allocated-update: unsupported value "wait": supported values: "Wait", "Proceed" (read as Proceed)');
    const events = await waitFor(async () => {
      const es = (await gdEvents(c, NS, 'typo')).filter((e) => e.reason === 'FieldsNotActedOn');
      return es.length ? es : undefined;
    }, 'Warning FieldsNotActedOn', 60_000);
    assert.equal(events[0].type, 'Warning');
  });
});
