// `hotpod.dev/allocated-update: Wait` through kubectl: a rollout of 10 servers, 3 of them
// Allocated, updates the 7 and leaves the 3 untouched (same pod, no restart), telling them with
// `hotpod.dev/update-pending` and the set with a condition; each updates once it leaves
// Allocated. Both a ReCreate rollout and an in-place engine-image rollout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitFor, type Cluster } from '../helpers/cluster.js';
import { ENGINE, SIDECAR_V2, WAIT_MS, applyGss, container, getGss, gss, gssPath, kubectl, namespace, patchGs, podsOf, gameServersOf, setEvents, setSidecarImage, specImage, startGssCluster, waitSettled, type Json } from './helpers.js';

const PENDING = 'hotpod.dev/update-pending';
const ENGINE_V2 = 'registry.example.com/game/engine:2.0';
const ALLOCATED = ['al-1', 'al-4', 'al-7'];
const NAMES = Array.from({ length: 10 }, (_, i) => `al-${i}`);

describe('GameServerSet hotpod.dev/allocated-update: Wait', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  async function allocate(ns: string): Promise<void> {
    for (const name of ALLOCATED) await patchGs(c, ns, name, { spec: { opsState: 'Allocated' } });
    await waitFor(async () => {
      const pods = await podsOf(c, ns, 'al');
      return ALLOCATED.every((n) => pods.get(n)?.metadata.labels['game.kruise.io/gs-opsState'] === 'Allocated');
    }, 'pods mirror opsState Allocated', WAIT_MS);
  }

  async function checkHeld(ns: string, before1: Map<string, Json>, image: (p: Json) => string | undefined, want: string, sameUid: boolean): Promise<void> {
    const pods = await waitFor(async () => {
      const ps = await podsOf(c, ns, 'al');
      const others = NAMES.filter((n) => !ALLOCATED.includes(n));
      const done = others.every((n) => ps.get(n) && image(ps.get(n)!) === want && !ps.get(n)!.metadata.deletionTimestamp && ps.get(n)!.status?.conditions?.some((x: Json) => x.type === 'Ready' && x.status === 'True'));
      return done ? ps : undefined;
    }, 'the 7 servers not Allocated updated', WAIT_MS);
    for (const n of NAMES.filter((x) => !ALLOCATED.includes(x))) {
      assert.equal(pods.get(n)!.metadata.uid === before1.get(n)!.metadata.uid, sameUid, `${n}: ${sameUid ? 'in place' : 'recreated'}`);
    }
    const gss1 = await waitFor(async () => {
      const s = await getGss(c, ns, 'al');
      return s.status?.conditions?.find((x: Json) => x.type === 'AllocatedUpdateWaiting') ? s : undefined;
    }, 'condition AllocatedUpdateWaiting', WAIT_MS);
    const cond = gss1.status.conditions.find((x: Json) => x.type === 'AllocatedUpdateWaiting');
    assert.equal(cond.message, `3 GameServers wait to leave opsState Allocated before their update: ${ALLOCATED.join(', ')}`);
    const gameServers = await gameServersOf(c, ns, 'al');
    for (const n of ALLOCATED) {
      const p = (await podsOf(c, ns, 'al')).get(n)!;
      assert.equal(p.metadata.uid, before1.get(n)!.metadata.uid, `${n}: the same pod`);
      assert.notEqual(image(p), want, `${n}: not updated`);
      for (const s of p.status.containerStatuses) assert.equal(s.restartCount, 0, `${n}/${s.name}: no restart`);
      assert.equal(p.metadata.annotations[PENDING], gss1.status.updateRevision, `${n}: pod says an update is pending`);
      assert.equal(gameServers.get(n)!.metadata.annotations[PENDING], gss1.status.updateRevision, `${n}: GameServer says so too`);
    }
  }

  async function release(ns: string, image: (p: Json) => string | undefined, want: string): Promise<void> {
    await patchGs(c, ns, 'al-4', { spec: { opsState: 'None' } });
    await waitFor(async () => {
      const p = (await podsOf(c, ns, 'al')).get('al-4');
      return p && image(p) === want && !p.metadata.annotations?.[PENDING];
    }, 'al-4 updated once it left Allocated', WAIT_MS);
    assert.notEqual(image((await podsOf(c, ns, 'al')).get('al-1')!), want, 'al-1 still Allocated, still waiting');
    for (const n of ['al-1', 'al-7']) await patchGs(c, ns, n, { spec: { opsState: 'None' } });
    await waitFor(async () => {
      const ps = await podsOf(c, ns, 'al');
      return NAMES.every((n) => ps.get(n) && image(ps.get(n)!) === want && !ps.get(n)!.metadata.annotations?.[PENDING]);
    }, 'all updated', WAIT_MS);
    await waitFor(async () => !(await getGss(c, ns, 'al')).status?.conditions?.some((x: Json) => x.type === 'AllocatedUpdateWaiting'), 'condition gone', WAIT_MS);
    const gameServers = await gameServersOf(c, ns, 'al');
    for (const n of ALLOCATED) assert.equal(gameServers.get(n)!.metadata.annotations?.[PENDING], undefined, `${n}: GameServer annotation removed`);
  }

  it('ReCreate: the 7 are recreated, the 3 Allocated wait untouched, then go one by one', async () => {
    const ns = await namespace(c, 'gss-allocated-recreate');
    const manifest = gss('al', ns, { replicas: 10, policy: 'ReCreate', maxUnavailable: '50%' });
    manifest.metadata.annotations = { 'hotpod.dev/allocated-update': 'Wait' };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'al', NAMES);
    await allocate(ns);
    await kubectl(c, ns, ['patch', 'gss', 'al', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/1/image', value: SIDECAR_V2 }])]);
    const sidecar = (p: Json) => specImage(p, 'sidecar');
    await checkHeld(ns, before1, sidecar, SIDECAR_V2, false);
    await release(ns, sidecar, SIDECAR_V2);
  });

  it('InPlaceIfPossible engine image: the 7 restart in place, the 3 Allocated keep their engine running', async () => {
    const ns = await namespace(c, 'gss-allocated-inplace');
    const manifest = gss('al', ns, { replicas: 10, policy: 'InPlaceIfPossible', maxUnavailable: '50%' });
    manifest.metadata.annotations = { 'hotpod.dev/allocated-update': 'Wait' };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'al', NAMES);
    await allocate(ns);
    const r = await api(c, 'PATCH', gssPath(ns, 'al'), [{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/0/image', value: ENGINE_V2 }], { contentType: 'application/json-patch+json' });
    assert.equal(r.status, 200, r.text);
    const engine = (p: Json) => (container(p, 'engine')?.image === ENGINE_V2 ? ENGINE_V2 : specImage(p, 'engine') === ENGINE ? ENGINE : 'moving');
    await checkHeld(ns, before1, engine, ENGINE_V2, true);
    await release(ns, engine, ENGINE_V2);
  });

  it('allocated-update-deadline: an Allocated server waits that long, then updates with a Warning Event', async () => {
    const ns = await namespace(c, 'gss-allocated-deadline');
    const manifest = gss('dl', ns, { replicas: 2, policy: 'ReCreate', maxUnavailable: '50%' });
    manifest.metadata.annotations = { 'hotpod.dev/allocated-update': 'Wait', 'hotpod.dev/allocated-update-deadline': '4s' };
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'dl', ['dl-0', 'dl-1']);
    await patchGs(c, ns, 'dl-1', { spec: { opsState: 'Allocated' } });
    await waitFor(async () => (await podsOf(c, ns, 'dl')).get('dl-1')?.metadata.labels['game.kruise.io/gs-opsState'] === 'Allocated', 'pod mirrors Allocated', WAIT_MS);
    await setSidecarImage(c, ns, 'dl', SIDECAR_V2);

    // First it waits, as without a deadline, and the clock is on the pod.
    const held = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'dl')).get('dl-1');
      return p?.metadata.annotations?.[PENDING] ? p : undefined;
    }, 'dl-1 waits with update-pending', WAIT_MS);
    assert.equal(held.metadata.uid, before1.get('dl-1')!.metadata.uid);
    const since = Date.parse(held.metadata.annotations['hotpod.dev/update-pending-since']);
    assert.ok(Number.isFinite(since), 'update-pending-since is a time');

    // Then the deadline ends the wait: recreated at the new revision, marks gone, and said.
    const updated = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'dl')).get('dl-1');
      return p && p.metadata.uid !== before1.get('dl-1')!.metadata.uid && specImage(p, 'sidecar') === SIDECAR_V2 ? p : undefined;
    }, 'dl-1 recreated after its deadline', WAIT_MS);
    assert.equal(updated.metadata.annotations?.[PENDING], undefined);
    const events = await waitFor(async () => {
      const es = (await setEvents(c, ns, 'dl')).filter((e) => e.reason === 'AllocatedUpdateDeadline');
      return es.length ? es : undefined;
    }, 'Warning AllocatedUpdateDeadline', WAIT_MS);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'Warning');
    assert.match(events[0].message, /^GameServer dl-1 waited \d+(\.\d+)?s in opsState Allocated, past hotpod.dev\/allocated-update-deadline 4s: its update goes ahead$/);
    assert.ok(Date.parse(events[0].lastTimestamp ?? events[0].eventTime) >= since + 3000, 'not before the deadline (whole seconds)');
  });

  it('an unknown value is named in FieldsNotActedOn and read as Proceed', async () => {
    const ns = await namespace(c, 'gss-allocated-typo');
    const manifest = gss('al', ns, { replicas: 1 });
    manifest.metadata.annotations = { 'hotpod.dev/allocated-update': 'wait' };
    await applyGss(c, manifest);
    const cond = await waitFor(async () => (await getGss(c, ns, 'al')).status?.conditions?.find((x: Json) => x.type === 'FieldsNotActedOn'), 'condition FieldsNotActedOn', WAIT_MS);
    assert.equal(cond.message, 'annotation hotpod.dev/allocated-update: unsupported value "wait": supported values: "Wait", "Proceed" (read as Proceed)');
  });
});
