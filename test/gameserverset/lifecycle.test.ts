// spec.lifecycle through kubectl: a scale-down leaves a hooked server running in PreDelete
// (kubectl get gs / gss show it) until the game releases it, by flipping its gs-sync/ label or
// removing a finalizer from its pod; an in-place update waits in PreUpdate, with the containers
// it will change named on the pod, while the rollout goes on with the others; the lifecycle
// fields hotpod does not act on yet are named in a Warning Event and a condition.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable, waitFor, type Cluster } from '../helpers/cluster.js';
import { SIDECAR_V1, SIDECAR_V2, WAIT_MS, applyGss, container, getGss, gss, kubectl, namespace, podsOf, setEvents, setSidecarImage, specImage, startGssCluster, waitSettled, type Json } from './helpers.js';

const BLOCK = 'gs-sync/delete-block';
const ROOM = 'game.example.com/room-open';

describe('GameServerSet spec.lifecycle', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  const row = async (ns: string, kind: string, name: string) => parseTable(await kubectl(c, ns, ['get', kind, name])).rows[0]!;

  it('labelsHandler: the scaled-down server waits in PreDelete until its gs-sync/ label is flipped', async () => {
    const ns = await namespace(c, 'gss-predelete-labels');
    const manifest = gss('room', ns, { replicas: 3 });
    manifest.spec.lifecycle = { preDelete: { labelsHandler: { [BLOCK]: 'true' } } };
    manifest.spec.gameServerTemplate.metadata = { labels: { [BLOCK]: 'true' } };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'room', ['room-0', 'room-1', 'room-2']);

    await kubectl(c, ns, ['scale', 'gss', 'room', '--replicas=2']);
    const held = await waitFor(async () => {
      const pod = (await podsOf(c, ns, 'room')).get('room-2');
      return pod?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingDelete' ? pod : undefined;
    }, 'room-2 marked PreparingDelete', WAIT_MS);
    assert.equal(held.metadata.uid, before1.get('room-2')!.metadata.uid, 'the same pod, not deleted');
    await waitFor(async () => (await row(ns, 'gs', 'room-2')).STATE === 'PreDelete', 'kubectl get gs shows PreDelete', WAIT_MS, 200);
    await waitFor(async () => (await row(ns, 'gss', 'room')).PREDELETE === '1', 'kubectl get gss shows PreDelete 1', WAIT_MS, 200);
    const event = await waitFor(async () => (await setEvents(c, ns, 'room')).find((e: Json) => e.reason === 'PreDelete'), 'the PreDelete Event', WAIT_MS);
    assert.match(event.message, /^GameServer room-2 is PreDelete: held by label gs-sync\/delete-block=true/);
    // Still there once the set has seen its own status.
    await waitFor(async () => {
      const s = await getGss(c, ns, 'room');
      return s.status?.observedGeneration === s.metadata.generation && s.status?.preDeleteReplicas === 1;
    }, 'the scale-down observed', WAIT_MS);
    assert.equal((await podsOf(c, ns, 'room')).get('room-2')?.metadata.deletionTimestamp, undefined);

    // The game releases it.
    await kubectl(c, ns, ['label', 'gs', 'room-2', `${BLOCK}=false`, '--overwrite']);
    await waitFor(async () => !(await podsOf(c, ns, 'room')).has('room-2'), 'room-2 deleted once released', WAIT_MS);
    await waitFor(async () => (await row(ns, 'gss', 'room')).PREDELETE === '0', 'PreDelete 0', WAIT_MS, 200);
    const left = await podsOf(c, ns, 'room');
    assert.deepEqual([...left.keys()].sort(), ['room-0', 'room-1']);
    for (const [name, p] of left) assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid, `${name} untouched`);
  });

  it('finalizersHandler: held while the pod carries the finalizer, deleted once it is removed', async () => {
    const ns = await namespace(c, 'gss-predelete-finalizers');
    const manifest = gss('fin', ns, { replicas: 2 });
    manifest.spec.lifecycle = { preDelete: { finalizersHandler: [ROOM] } };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'fin', ['fin-0', 'fin-1']);
    // The game's own controller puts its finalizer on the pod while a room is open.
    await kubectl(c, ns, ['patch', 'pod', 'fin-1', '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [ROOM] } })]);

    await kubectl(c, ns, ['scale', 'gss', 'fin', '--replicas=1']);
    await waitFor(async () => (await row(ns, 'gs', 'fin-1')).STATE === 'PreDelete', 'fin-1 PreDelete', WAIT_MS, 200);
    assert.equal((await podsOf(c, ns, 'fin')).get('fin-1')?.metadata.deletionTimestamp, undefined);

    await kubectl(c, ns, ['patch', 'pod', 'fin-1', '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: null } })]);
    await waitFor(async () => !(await podsOf(c, ns, 'fin')).has('fin-1'), 'fin-1 deleted once its finalizer is gone', WAIT_MS);
  });

  it('preDelete holds a ReCreate update too: the old pod waits in PreDelete, in service, and is recreated once released', async () => {
    const ns = await namespace(c, 'gss-predelete-recreate');
    const manifest = gss('rc', ns, { replicas: 2, policy: 'ReCreate', maxUnavailable: 1 });
    manifest.spec.lifecycle = { preDelete: { labelsHandler: { [BLOCK]: 'true' } } };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'rc', ['rc-0', 'rc-1']);
    // Only rc-1 has a match on: the game holds it.
    await kubectl(c, ns, ['label', 'gs', 'rc-1', `${BLOCK}=true`]);
    await waitFor(async () => (await podsOf(c, ns, 'rc')).get('rc-1')?.metadata.labels[BLOCK] === 'true', 'the label reaches the pod', WAIT_MS);

    await setSidecarImage(c, ns, 'rc', SIDECAR_V2);
    // rc-0 is recreated; rc-1 waits, and costs no budget while in service, so both are reached.
    const pods = await waitFor(async () => {
      const ps = await podsOf(c, ns, 'rc');
      const rc0 = ps.get('rc-0');
      const rc1 = ps.get('rc-1');
      const done = rc0 && rc0.metadata.uid !== before1.get('rc-0')!.metadata.uid && specImage(rc0, 'sidecar') === SIDECAR_V2 && rc1?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingDelete';
      return done ? ps : undefined;
    }, 'rc-0 recreated, rc-1 PreparingDelete', WAIT_MS);
    assert.equal(pods.get('rc-1')!.metadata.uid, before1.get('rc-1')!.metadata.uid, 'rc-1 not deleted');
    assert.equal(specImage(pods.get('rc-1')!, 'sidecar'), SIDECAR_V1);
    assert.equal(pods.get('rc-1')!.metadata.deletionTimestamp, undefined);
    await waitFor(async () => (await row(ns, 'gs', 'rc-1')).STATE === 'PreDelete', 'kubectl get gs shows PreDelete', WAIT_MS, 200);
    const event = await waitFor(async () => (await setEvents(c, ns, 'rc')).find((e: Json) => e.reason === 'PreDelete'), 'the PreDelete Event', WAIT_MS);
    assert.match(event.message, /^pod rc-1 is PreDelete: held by label gs-sync\/delete-block=true/);

    await kubectl(c, ns, ['label', 'gs', 'rc-1', `${BLOCK}=false`, '--overwrite']);
    await waitFor(async () => {
      const p = (await podsOf(c, ns, 'rc')).get('rc-1');
      return p && p.metadata.uid !== before1.get('rc-1')!.metadata.uid && specImage(p, 'sidecar') === SIDECAR_V2 && !p.metadata.deletionTimestamp;
    }, 'rc-1 recreated at the new revision once released', WAIT_MS);
    await waitFor(async () => (await row(ns, 'gs', 'rc-1')).STATE !== 'PreDelete', 'rc-1 no longer PreDelete', WAIT_MS, 200);
  });

  it('inPlaceUpdate.labelsHandler: each server waits in PreUpdate, in service, until released; the others go on', async () => {
    const UPDATE_BLOCK = 'gs-sync/update-block';
    const ns = await namespace(c, 'gss-preupdate');
    const manifest = gss('up', ns, { replicas: 2, maxUnavailable: 1 });
    manifest.spec.lifecycle = { inPlaceUpdate: { labelsHandler: { [UPDATE_BLOCK]: 'true' } } };
    manifest.spec.gameServerTemplate.metadata = { labels: { [UPDATE_BLOCK]: 'true' } };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'up', ['up-0', 'up-1']);

    await setSidecarImage(c, ns, 'up', SIDECAR_V2);
    // maxUnavailable 1, yet both are held: a held server costs no budget, so the second is reached.
    const held = await waitFor(async () => {
      const pods = await podsOf(c, ns, 'up');
      const both = ['up-0', 'up-1'].every((n) => pods.get(n)?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingUpdate');
      return both ? pods : undefined;
    }, 'both pods PreparingUpdate', WAIT_MS);
    for (const [name, p] of held) {
      assert.equal(p.metadata.annotations['game.kruise.io/gs-updating-containers'], '["sidecar"]', `${name} names the container to change`);
      assert.equal(specImage(p, 'sidecar'), SIDECAR_V1, `${name} not updated while held`);
      assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid);
    }
    await waitFor(async () => (await row(ns, 'gs', 'up-1')).STATE === 'PreUpdate', 'kubectl get gs shows PreUpdate', WAIT_MS, 200);
    const event = await waitFor(async () => (await setEvents(c, ns, 'up')).find((e: Json) => e.reason === 'PreUpdate'), 'the PreUpdate Event', WAIT_MS);
    assert.match(event.message, /is PreUpdate: held by label gs-sync\/update-block=true \(spec\.lifecycle\.inPlaceUpdate\)/);

    // The game releases up-1 only: it alone is updated in place.
    await kubectl(c, ns, ['label', 'gs', 'up-1', `${UPDATE_BLOCK}=false`, '--overwrite']);
    const updated = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'up')).get('up-1');
      return p && specImage(p, 'sidecar') === SIDECAR_V2 && container(p, 'sidecar')?.image === SIDECAR_V2 && container(p, 'sidecar')?.ready ? p : undefined;
    }, 'up-1 updated in place once released', WAIT_MS);
    assert.equal(updated.metadata.uid, before1.get('up-1')!.metadata.uid, 'in place: the same pod');
    assert.equal(container(updated, 'sidecar')!.restartCount, 1);
    assert.equal(updated.metadata.labels['lifecycle.apps.kruise.io/state'], 'Updated');
    assert.equal(updated.metadata.annotations['game.kruise.io/gs-updating-containers'], undefined);
    const still = (await podsOf(c, ns, 'up')).get('up-0')!;
    assert.equal(specImage(still, 'sidecar'), SIDECAR_V1, 'up-0 still held');

    await kubectl(c, ns, ['label', 'gs', 'up-0', `${UPDATE_BLOCK}=false`, '--overwrite']);
    await waitFor(async () => specImage((await podsOf(c, ns, 'up')).get('up-0')!, 'sidecar') === SIDECAR_V2, 'up-0 updated once released', WAIT_MS);
  });

  it('inPlaceUpdate: an update called off (the template reverted) takes the held server back to Normal, untouched', async () => {
    const UPDATE_BLOCK = 'gs-sync/update-block';
    const ns = await namespace(c, 'gss-preupdate-revert');
    const manifest = gss('rv', ns, { replicas: 1 });
    manifest.spec.lifecycle = { inPlaceUpdate: { labelsHandler: { [UPDATE_BLOCK]: 'true' } } };
    manifest.spec.gameServerTemplate.metadata = { labels: { [UPDATE_BLOCK]: 'true' } };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'rv', ['rv-0']);
    await setSidecarImage(c, ns, 'rv', SIDECAR_V2);
    await waitFor(async () => (await podsOf(c, ns, 'rv')).get('rv-0')?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingUpdate', 'rv-0 PreparingUpdate', WAIT_MS);

    await setSidecarImage(c, ns, 'rv', SIDECAR_V1);
    const back = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'rv')).get('rv-0');
      return p?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'Normal' ? p : undefined;
    }, 'rv-0 back to Normal', WAIT_MS);
    assert.equal(back.metadata.annotations['game.kruise.io/gs-updating-containers'], undefined);
    assert.equal(back.metadata.uid, before1.get('rv-0')!.metadata.uid);
    assert.equal(specImage(back, 'sidecar'), SIDECAR_V1);
    assert.equal(container(back, 'sidecar')!.restartCount, 0);
    await waitFor(async () => (await row(ns, 'gs', 'rv-0')).STATE === 'Ready', 'kubectl get gs shows Ready again', WAIT_MS, 200);
  });

  it('preNormal: a new pod stays PreparingNormal until hooked; markPodNotReady on preDelete takes a held pod out of service', async () => {
    const READY = 'gs-sync/ready-for-players';
    const ns = await namespace(c, 'gss-prenormal');
    const manifest = gss('pn', ns, { replicas: 2 });
    manifest.spec.lifecycle = { preNormal: { labelsHandler: { [READY]: 'true' } }, preDelete: { labelsHandler: { [BLOCK]: 'true' }, markPodNotReady: true } };
    manifest.spec.gameServerTemplate.metadata = { labels: { [BLOCK]: 'true' } };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'pn', ['pn-0', 'pn-1']);
    const state = async (name: string) => (await podsOf(c, ns, 'pn')).get(name)?.metadata.labels['lifecycle.apps.kruise.io/state'];
    assert.equal(await state('pn-0'), 'PreparingNormal');
    assert.equal(await state('pn-1'), 'PreparingNormal');
    // Whatever registers the server hooks it (here: the gs-sync/ label, copied to the pod).
    await kubectl(c, ns, ['label', 'gs', 'pn-0', `${READY}=true`]);
    await waitFor(async () => (await state('pn-0')) === 'Normal', 'pn-0 Normal once hooked', WAIT_MS);
    assert.equal(await state('pn-1'), 'PreparingNormal', 'pn-1 not hooked yet');

    // Scale-down with markPodNotReady: pn-1 waits in PreDelete, out of service.
    await kubectl(c, ns, ['scale', 'gss', 'pn', '--replicas=1']);
    const out = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'pn')).get('pn-1');
      const ready = p?.status?.conditions?.find((x: Json) => x.type === 'Ready');
      return p?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingDelete' && ready?.status === 'False' ? p : undefined;
    }, 'pn-1 PreparingDelete and not Ready', WAIT_MS);
    assert.equal(out.status.conditions.find((x: Json) => x.type === 'InPlaceUpdateReady').status, 'False');
    await kubectl(c, ns, ['label', 'gs', 'pn-1', `${BLOCK}=false`, '--overwrite']);
    await waitFor(async () => !(await podsOf(c, ns, 'pn')).has('pn-1'), 'pn-1 deleted once released', WAIT_MS);
  });

  it('preNormal.markPodNotReady: a new server stays out of service (not Ready) until hooked', async () => {
    const READY = 'gs-sync/ready-for-players';
    const ns = await namespace(c, 'gss-prenormal-notready');
    const manifest = gss('nr', ns, { replicas: 1 });
    manifest.spec.lifecycle = { preNormal: { labelsHandler: { [READY]: 'true' }, markPodNotReady: true } };
    await applyGss(c, manifest);
    // Its containers run and are ready; the pod is not, until the game hooks it.
    const waiting = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'nr')).get('nr-0');
      return p && (p.status?.containerStatuses ?? []).length > 0 && p.status.containerStatuses.every((x: Json) => x.ready) ? p : undefined;
    }, 'nr-0 containers ready', WAIT_MS);
    assert.equal(waiting.metadata.labels['lifecycle.apps.kruise.io/state'], 'PreparingNormal');
    const s1 = await waitFor(async () => {
      const s = await getGss(c, ns, 'nr');
      return s.status?.observedGeneration === s.metadata.generation && s.status?.replicas === 1 ? s : undefined;
    }, 'the set observed its pod', WAIT_MS);
    assert.equal(s1.status.readyReplicas ?? 0, 0, 'not counted ready');
    const p1 = (await podsOf(c, ns, 'nr')).get('nr-0')!;
    assert.notEqual(p1.status.conditions.find((x: Json) => x.type === 'Ready')?.status, 'True', 'pod not Ready while PreparingNormal');
    assert.equal(s1.status.conditions?.find((x: Json) => x.type === 'FieldsNotActedOn'), undefined, 'markPodNotReady is acted on');

    await kubectl(c, ns, ['label', 'gs', 'nr-0', `${READY}=true`]);
    await waitFor(async () => {
      const p = (await podsOf(c, ns, 'nr')).get('nr-0');
      return p?.metadata.labels['lifecycle.apps.kruise.io/state'] === 'Normal' && p.status?.conditions?.find((x: Json) => x.type === 'Ready')?.status === 'True';
    }, 'nr-0 Normal and Ready once hooked', WAIT_MS);
  });
});
