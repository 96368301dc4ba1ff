// BCS's updateStrategy.inPlaceUpdateStrategy.policy against `hotpod up --no-controller` and a
// `hotpod controller` process: a GameDeployment of three containers whose images all change.
// A watch on the pod records every version of it; the order of the image writes is read off
// those versions, never off the clock. OrderedReady patches a container only once the one before
// it runs its new image and is ready; OrderedUpdated once it runs its new image (the first
// container is made never ready, so only OrderedUpdated can go on); DisOrdered patches all three
// in one write. The pods carry BCS's markers (inplace-update-state, hotpatch-update-state) in
// BCS's JSON shape. A controller killed mid-sequence is followed by one that finishes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, rawWatch, type Cluster } from '../helpers/cluster.js';
import { ensureNs, gdEvents, getGd, kubectl, startControllerProcess, startGdCluster, waitGd, waitPods, type ControllerProcess, type Json } from './helpers.js';

const NS = 'gd-inplace-policy';
const CONTAINERS = ['c1', 'c2', 'c3'] as const;
const image = (c: string, tag: string) => `game/${c}:${tag}`;
const IN_PLACE_STATE = 'inplace-update-state';
const HOT_PATCH_STATE = 'hotpatch-update-state';

function manifest(name: string, type: 'InplaceUpdate' | 'HotPatchUpdate', policy: string | undefined, podAnnotations: Record<string, string> = {}): Json {
  return {
    apiVersion: 'tkex.tencent.com/v1alpha1',
    kind: 'GameDeployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: podAnnotations },
        spec: { containers: CONTAINERS.map((c) => ({ name: c, image: image(c, 'v1') })) },
      },
      updateStrategy: { type, maxUnavailable: 1, ...(policy ? { inPlaceUpdateStrategy: { policy } } : {}) },
    },
  };
}

/** kubectl 1.35 apply with strict field validation: every field must be known to the schema. */
const apply = (c: Cluster, m: Json) => kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(m) });

/** The new images for all three containers, plus template annotations (they go in place too). */
function setImages(c: Cluster, name: string, annotations: Record<string, string> = {}): Promise<string> {
  const ops: Json[] = CONTAINERS.map((n, i) => ({ op: 'replace', path: `/spec/template/spec/containers/${i}/image`, value: image(n, 'v2') }));
  for (const [k, v] of Object.entries(annotations)) ops.push({ op: 'add', path: `/spec/template/metadata/annotations/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: v });
  return kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', `-p=${JSON.stringify(ops)}`]);
}

const specImage = (p: Json, n: string) => (p.spec.containers as Json[]).find((x) => x.name === n)?.image;
const status = (p: Json, n: string): Json => ((p.status?.containerStatuses ?? []) as Json[]).find((s) => s.name === n) ?? {};
const inPlaceReady = (p: Json) => ((p.status?.conditions ?? []) as Json[]).find((x) => x.type === 'InPlaceUpdateReady')?.status;

/** Every version of the GameDeployment's pod the watch delivers, from now on. */
async function podVersions(c: Cluster, name: string): Promise<{ versions: () => Json[]; stop: () => void }> {
  const selector = encodeURIComponent(`app=${name}`);
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${selector}`);
  const w = rawWatch(c, `/api/v1/namespaces/${NS}/pods?labelSelector=${selector}&resourceVersion=${list.metadata.resourceVersion}`);
  return { versions: () => [...(list.items as Json[]), ...w.events.filter((e) => e.type !== 'DELETED').map((e) => e.object as Json)], stop: () => w.close() };
}

/** Index of the first version whose spec has container `n` at v2. */
function firstPatched(versions: Json[], n: string): number {
  const i = versions.findIndex((p) => specImage(p, n) === image(n, 'v2'));
  assert.ok(i >= 0, `container ${n} was never patched`);
  return i;
}

/** The one pod, at v2 in all three containers, each running; the update over (InPlaceUpdateReady True). */
async function waitUpdated(c: Cluster, name: string): Promise<Json> {
  const [p] = await waitPods(
    c,
    NS,
    name,
    (ps) => ps.length === 1 && inPlaceReady(ps[0]!) === 'True' && CONTAINERS.every((n) => status(ps[0]!, n).image === image(n, 'v2') && status(ps[0]!, n).state?.running),
    'all three containers on v2, InPlaceUpdateReady True',
    180_000,
  );
  return p!;
}

async function podJson(c: Cluster, name: string): Promise<Json> {
  const out = JSON.parse(await kubectl(c, ['get', 'pods', '-n', NS, '-l', `app=${name}`, '-o', 'json']));
  assert.equal(out.items.length, 1);
  return out.items[0];
}

/** BCS's InPlaceUpdateState / HotPatchUpdateState: exactly revision, updateTimestamp, lastContainerStatuses{name: {imageID}}. */
function parseBcsState(raw: string | undefined): { revision: string; updateTimestamp: string; lastContainerStatuses: Record<string, { imageID?: string }> } {
  assert.ok(raw, 'the BCS marker is on the pod');
  const s = JSON.parse(raw);
  assert.deepEqual(Object.keys(s).sort(), ['lastContainerStatuses', 'revision', 'updateTimestamp']);
  assert.match(s.updateTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'metav1.Time');
  for (const v of Object.values(s.lastContainerStatuses) as Json[]) assert.deepEqual(Object.keys(v), ['imageID']);
  return s;
}

/** Settled on v1: the pod and its containers' image IDs before the update. */
async function created(c: Cluster, name: string): Promise<Json> {
  await waitGd(c, NS, name, (g) => g.status?.readyReplicas === 1 && g.status?.updatedReadyReplicas === 1, 'one ready pod');
  return podJson(c, name);
}

/** The status of the current generation, its one pod updated and ready (not the status before the change). */
function updatedGd(c: Cluster, name: string): Promise<Json> {
  return waitGd(c, NS, name, (g) => g.status?.observedGeneration === g.metadata.generation && g.status.updatedReadyReplicas === 1 && g.status.updatedReplicas === 1, 'updated and ready');
}

describe('GameDeployment inPlaceUpdateStrategy.policy', { timeout: 900_000 }, () => {
  let c: Cluster;
  let ctl: ControllerProcess | undefined;

  before(async () => {
    c = await startGdCluster({ nodes: 1, controller: false });
    await ensureNs(c, NS);
    ctl = await startControllerProcess(c);
  });
  after(async () => {
    await ctl?.stop('SIGKILL');
    await c?.cleanup();
  });

  it('kubectl 1.35 applies the policy under strict validation; it defaults to DisOrdered; other values are refused', async () => {
    await apply(c, manifest('schema', 'InplaceUpdate', 'OrderedUpdated'));
    assert.equal((await getGd(c, NS, 'schema')).spec.updateStrategy.inPlaceUpdateStrategy.policy, 'OrderedUpdated');
    const m = manifest('schema', 'InplaceUpdate', undefined);
    m.spec.updateStrategy.inPlaceUpdateStrategy = { gracePeriodSeconds: 0 };
    await apply(c, m);
    assert.equal((await getGd(c, NS, 'schema')).spec.updateStrategy.inPlaceUpdateStrategy.policy, 'DisOrdered', "BCS's default");
    const bad = await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(manifest('schema', 'InplaceUpdate', 'Sequential')) }).then(
      () => '',
      (err: Error) => err.message,
    );
    assert.match(bad, /spec\.updateStrategy\.inPlaceUpdateStrategy\.policy: Unsupported value: "Sequential": supported values: "DisOrdered", "OrderedReady", "OrderedUpdated"/);
    await kubectl(c, ['delete', 'gamedeployment', 'schema', '-n', NS, '--wait=false']);
  });

  it('OrderedReady: each container restarts only once the one before it runs its new image and is ready', async () => {
    const name = 'ordered-ready';
    await apply(c, manifest(name, 'InplaceUpdate', 'OrderedReady', { 'sim.hotpod.dev/ready-delay-ms': '400' }));
    const before0 = await created(c, name);
    const watch = await podVersions(c, name);
    await setImages(c, name);
    const after0 = await waitUpdated(c, name);
    watch.stop();
    const versions = watch.versions();

    const at = CONTAINERS.map((n) => firstPatched(versions, n));
    assert.ok(at[0]! < at[1]! && at[1]! < at[2]!, `one container per write, in template order (versions ${at.join(', ')})`);
    for (const i of [1, 2]) {
      const prev = CONTAINERS[i - 1]!;
      const p = versions[at[i]!]!;
      assert.equal(status(p, prev).image, image(prev, 'v2'), `${CONTAINERS[i]} patched once ${prev} runs v2`);
      assert.equal(status(p, prev).ready, true, `${CONTAINERS[i]} patched once ${prev} is ready`);
      assert.equal(specImage(p, CONTAINERS[i + 1] ?? 'none'), i === 1 ? image('c3', 'v1') : undefined, 'the next one still waits');
    }
    // Out of service from the first image write until the last container runs its new image.
    for (const p of versions.slice(at[0]!)) {
      if (status(p, 'c3').image !== image('c3', 'v2')) assert.equal(inPlaceReady(p), 'False', 'InPlaceUpdateReady False while containers wait');
    }
    // During the update, BCS's marker lists the containers patched so far.
    const mid = parseBcsState(versions[at[1]! - 1]!.metadata.annotations?.[IN_PLACE_STATE]);
    assert.deepEqual(Object.keys(mid.lastContainerStatuses), ['c1']);

    const gd = await updatedGd(c, name);
    const final = await podJson(c, name);
    for (const n of CONTAINERS) {
      assert.equal(status(final, n).restartCount, 1, `${n} restarted once`);
      assert.notEqual(status(final, n).containerID, status(before0, n).containerID);
    }
    assert.equal(final.metadata.uid, before0.metadata.uid, 'the same pod');
    const startedAt = CONTAINERS.map((n) => Date.parse(status(after0, n).state.running.startedAt));
    assert.ok(startedAt[0]! <= startedAt[1]! && startedAt[1]! <= startedAt[2]!, `started in order: ${startedAt.join(', ')}`);
    const s = parseBcsState(final.metadata.annotations?.[IN_PLACE_STATE]);
    assert.equal(s.revision, gd.status.updateRevision);
    assert.deepEqual(s.lastContainerStatuses, Object.fromEntries(CONTAINERS.map((n) => [n, { imageID: status(before0, n).imageID }])));
    const updates = (await gdEvents(c, NS, name)).filter((e) => e.reason === 'SuccessfulUpdatePodInPlace');
    assert.equal(updates.length, 1, 'one update Event for the pod, not one per container');
  });

  it('OrderedUpdated: the next container goes once the one before it runs its new image, ready or not', async () => {
    const name = 'ordered-updated';
    await apply(c, manifest(name, 'InplaceUpdate', 'OrderedUpdated'));
    await created(c, name);
    const watch = await podVersions(c, name);
    // The new revision makes c1 never ready: OrderedReady would stop after it, OrderedUpdated does not.
    await setImages(c, name, { 'sim.hotpod.dev/never-ready.c1': 'true' });
    await waitUpdated(c, name);
    watch.stop();
    const versions = watch.versions();
    const at = CONTAINERS.map((n) => firstPatched(versions, n));
    assert.ok(at[0]! < at[1]! && at[1]! < at[2]!, `one container per write, in template order (versions ${at.join(', ')})`);
    assert.equal(status(versions[at[1]!]!, 'c1').image, image('c1', 'v2'));
    assert.equal(status(versions[at[1]!]!, 'c1').ready, false, 'c2 did not wait for c1 to be ready');
    assert.equal(status(versions[at[2]!]!, 'c2').image, image('c2', 'v2'));
  });

  it('DisOrdered: all three images in one write', async () => {
    const name = 'disordered';
    await apply(c, manifest(name, 'InplaceUpdate', 'DisOrdered'));
    await created(c, name);
    const watch = await podVersions(c, name);
    await setImages(c, name);
    await waitUpdated(c, name);
    watch.stop();
    const at = CONTAINERS.map((n) => firstPatched(watch.versions(), n));
    assert.deepEqual(new Set(at).size, 1, `the same write patched all three (versions ${at.join(', ')})`);
  });

  it("HotPatchUpdate ignores the order (nothing restarts): one write, BCS's hotpatch-update-state", async () => {
    const name = 'hot';
    await apply(c, manifest(name, 'HotPatchUpdate', 'OrderedReady'));
    const before0 = await created(c, name);
    const watch = await podVersions(c, name);
    await setImages(c, name);
    const gd = await updatedGd(c, name);
    const [p] = await waitPods(c, NS, name, (ps) => CONTAINERS.every((n) => status(ps[0]!, n).image === image(n, 'v2')), 'the node runs v2');
    watch.stop();
    const at = CONTAINERS.map((n) => firstPatched(watch.versions(), n));
    assert.equal(new Set(at).size, 1, `one write (versions ${at.join(', ')})`);
    for (const n of CONTAINERS) assert.equal(status(p!, n).restartCount, 0, `${n} not restarted`);
    const final = await podJson(c, name);
    const s = parseBcsState(final.metadata.annotations?.[HOT_PATCH_STATE]);
    assert.equal(s.revision, gd.status.updateRevision);
    assert.deepEqual(s.lastContainerStatuses, Object.fromEntries(CONTAINERS.map((n) => [n, { imageID: status(before0, n).imageID }])));
    assert.equal(final.metadata.annotations?.[IN_PLACE_STATE], undefined, 'no in-place marker for a hot-patch');
  });

  it('a controller killed mid-sequence: the next one continues with the next container, in order', async () => {
    const name = 'restart';
    // c1 takes long to be ready after its restart: the controller is killed meanwhile.
    await apply(c, manifest(name, 'InplaceUpdate', 'OrderedReady'));
    await created(c, name);
    const watch = await podVersions(c, name);
    await setImages(c, name, { 'sim.hotpod.dev/ready-delay-ms.c1': '5000' });
    await waitPods(c, NS, name, (ps) => specImage(ps[0]!, 'c1') === image('c1', 'v2'), 'c1 patched');
    await ctl!.stop('SIGKILL');
    ctl = undefined;
    const frozen = await podJson(c, name);
    assert.equal(specImage(frozen, 'c2'), image('c2', 'v1'), 'the controller died before c2 was patched');
    ctl = await startControllerProcess(c);
    await waitUpdated(c, name);
    watch.stop();
    const versions = watch.versions();
    const at = CONTAINERS.map((n) => firstPatched(versions, n));
    assert.ok(at[0]! < at[1]! && at[1]! < at[2]!, `in template order (versions ${at.join(', ')})`);
    assert.equal(status(versions[at[1]!]!, 'c1').ready, true, 'c2 waited for c1 to be ready across the restart');
    assert.equal(status(versions[at[2]!]!, 'c2').ready, true);
    const final = await podJson(c, name);
    for (const n of CONTAINERS) assert.equal(status(final, n).restartCount, 1, `${n} restarted once`);
  });
});
