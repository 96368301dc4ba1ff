// The seed walk-through (OpenKruiseGame's hot update of a sidecar), with the seed's manifest
// applied unchanged by kubectl right after `hotpod up`: three servers Ready; after the sidecar
// image change every pod keeps its uid and creationTimestamp, the sidecar restarted once, the
// engine never. Then the set's columns, scale subresource and events.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixturePath, parseTable, waitFor, type Cluster } from '../helpers/cluster.js';
import { container, isReady, kubectl, podsOf, setEvents, specImage, startGssCluster, waitSettled, WAIT_MS, type Json } from './helpers.js';

const NS = 'default';
const SIDECAR_V1 = 'registry.cn-hangzhou.aliyuncs.com/gs-demo/sidecar:v0.1';
const SIDECAR_V2 = 'registry.cn-hangzhou.aliyuncs.com/gs-demo/sidecar:v0.2';
const ENGINE = 'registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2';
const NAMES = ['minecraft-0', 'minecraft-1', 'minecraft-2'];

describe('the seed: hot update of a sidecar in place', { timeout: 300_000 }, () => {
  let c: Cluster;
  const k = (args: string[], env?: Record<string, string>) => kubectl(c, NS, args, { env });
  let before1: Map<string, Json>;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('kubectl apply of the seed manifest right after hotpod up: three servers Ready None 0 0', async () => {
    const out = await k(['apply', '-f', fixturePath('gameserverset-minecraft.yaml')]);
    assert.match(out, /gameserverset.game.kruise.io\/minecraft created/);
    before1 = await waitSettled(c, NS, 'minecraft', NAMES);
    const gs = await waitFor(
      async () => {
        const t = parseTable(await k(['get', 'gs']));
        return t.rows.length === 3 && t.rows.every((r) => r.STATE === 'Ready') ? t : undefined;
      },
      'kubectl get gs: three Ready',
      WAIT_MS,
    );
    assert.deepEqual(gs.headers, ['NAME', 'STATE', 'OPSSTATE', 'DP', 'UP', 'AGE']);
    assert.deepEqual(
      gs.rows.map((r) => [r.NAME, r.STATE, r.OPSSTATE, r.DP, r.UP]),
      NAMES.map((n) => [n, 'Ready', 'None', '0', '0']),
    );
    const pods = parseTable(await k(['get', 'pod']));
    assert.deepEqual(
      pods.rows.map((r) => [r.NAME, r.READY, r.STATUS, r.RESTARTS]),
      NAMES.map((n) => [n, '2/2', 'Running', '0']),
    );
    for (const pod of before1.values()) {
      assert.equal(pod.metadata.labels['game.kruise.io/owner-gss'], 'minecraft');
      assert.match(pod.metadata.labels['controller-revision-hash'], /^minecraft-[a-z0-9]{10}$/);
      assert.equal(pod.metadata.labels['game.kruise.io/gs-opsState'], 'None');
      assert.equal(pod.metadata.labels['game.kruise.io/gs-update-priority'], '0');
      assert.equal(pod.metadata.labels['game.kruise.io/gs-delete-priority'], '0');
      assert.deepEqual(pod.spec.readinessGates, [{ conditionType: 'InPlaceUpdateReady' }]);
      assert.deepEqual(
        pod.metadata.ownerReferences.map((r: Json) => [r.kind, r.name, r.controller]),
        [['GameServerSet', 'minecraft', true]],
      );
    }
  });

  it('kubectl edit of the sidecar image updates every pod in place: same uid and age, RESTARTS 1 (sidecar only)', async () => {
    // The seed's `kubectl edit gss minecraft`, with an editor that changes the sidecar's tag.
    const editor = `sed -i -e 's|gs-demo/sidecar:v0.1|gs-demo/sidecar:v0.2|'`;
    const out = await k(['edit', 'gss', 'minecraft'], { KUBE_EDITOR: editor });
    assert.match(out, /gameserverset.game.kruise.io\/minecraft edited/);

    const after1 = await waitFor(
      async () => {
        const pods = await podsOf(c, NS, 'minecraft');
        const done =
          pods.size === 3 &&
          [...pods.values()].every((p) => container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && p.status.conditions.some((x: Json) => x.type === 'InPlaceUpdateReady' && x.status === 'True'));
        return done ? pods : undefined;
      },
      'every pod runs sidecar v0.2, Ready and back in service',
      WAIT_MS,
    );
    for (const name of NAMES) {
      const a = before1.get(name)!;
      const b = after1.get(name)!;
      assert.equal(b.metadata.uid, a.metadata.uid, `${name} kept its uid`);
      assert.equal(b.metadata.creationTimestamp, a.metadata.creationTimestamp, `${name} kept its creationTimestamp`);
      assert.equal(container(b, 'sidecar')!.restartCount, 1, `${name}: the sidecar restarted once`);
      assert.equal(container(b, 'minecraft')!.restartCount, 0, `${name}: the engine never restarted`);
      assert.equal(container(b, 'minecraft')!.containerID, container(a, 'minecraft')!.containerID, `${name}: the engine is the same container`);
      assert.equal(specImage(b, 'sidecar'), SIDECAR_V2);
      assert.equal(specImage(b, 'minecraft'), ENGINE);
      assert.notEqual(b.metadata.labels['controller-revision-hash'], a.metadata.labels['controller-revision-hash']);
    }
    assert.notEqual(SIDECAR_V1, SIDECAR_V2);

    const pods = parseTable(await k(['get', 'pod']));
    for (const name of NAMES) {
      const row = pods.rows.find((r) => r.NAME === name)!;
      assert.equal(row.READY, '2/2');
      assert.equal(row.STATUS, 'Running');
      assert.match(row.RESTARTS, /^1 \(\d+s ago\)$/);
    }
    const gs = parseTable(await k(['get', 'gs']));
    assert.deepEqual(
      gs.rows.map((r) => [r.NAME, r.STATE, r.OPSSTATE, r.DP, r.UP]),
      NAMES.map((n) => [n, 'Ready', 'None', '0', '0']),
    );
  });

  it('kubectl get gss shows the reference columns; status has observedGeneration and labelSelector', async () => {
    const t = await waitFor(
      async () => {
        const t = parseTable(await k(['get', 'gss']));
        return t.rows[0]?.UPDATED === '3' && t.rows[0]?.READY === '3' ? t : undefined;
      },
      'gss UPDATED 3 READY 3',
      WAIT_MS,
    );
    // The CRD's printer columns (Maintaining, WaitToBeDeleted, PreDelete), upper-cased by kubectl.
    assert.deepEqual(t.headers, ['NAME', 'DESIRED', 'CURRENT', 'UPDATED', 'READY', 'MAINTAINING', 'WAITTOBEDELETED', 'PREDELETE', 'AGE']);
    const r = t.rows[0]!;
    assert.deepEqual([r.NAME, r.DESIRED, r.CURRENT, r.UPDATED, r.READY, r.MAINTAINING, r.WAITTOBEDELETED, r.PREDELETE], ['minecraft', '3', '3', '3', '3', '0', '0', '0']);
    const s = JSON.parse(await k(['get', 'gss', 'minecraft', '-o', 'json']));
    assert.equal(s.status.observedGeneration, s.metadata.generation);
    assert.equal(s.status.labelSelector, 'game.kruise.io/owner-gss=minecraft');
    assert.equal(s.status.updatedReadyReplicas, 3);
    assert.equal(s.status.availableReplicas, 3);
  });

  it('records Events from component hotpod: SuccessfulCreate and SuccessfulUpdatePodInPlace per pod', async () => {
    const events = await waitFor(
      async () => {
        const ev = await setEvents(c, NS, 'minecraft');
        return ev.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace').length >= 3 ? ev : undefined;
      },
      'three SuccessfulUpdatePodInPlace events',
      WAIT_MS,
    );
    const messages = (reason: string) =>
      events
        .filter((e) => e.reason === reason)
        .map((e) => e.message as string)
        .sort();
    assert.deepEqual(messages('SuccessfulCreate'), NAMES.map((n) => `create Pod ${n} in GameServerSet minecraft successful`));
    assert.equal(messages('SuccessfulUpdatePodInPlace').length, 3);
    for (const [i, m] of messages('SuccessfulUpdatePodInPlace').entries()) assert.match(m, new RegExp(`^successfully update pod ${NAMES[i]} in-place\\(revision minecraft-[a-z0-9]{10}\\)$`));
    for (const e of events) {
      assert.equal(e.source?.component, 'hotpod');
      assert.equal(e.type, 'Normal');
    }
    const described = await k(['describe', 'gss', 'minecraft']);
    assert.match(described, /SuccessfulUpdatePodInPlace\s+\S+\s+hotpod\s+successfully update pod minecraft-\d in-place/);
  });

  it('kubectl scale gss works through the scale subresource (up adds minecraft-3, down removes it)', async () => {
    assert.match(await k(['scale', 'gss', 'minecraft', '--replicas=4']), /gameserverset.game.kruise.io\/minecraft scaled/);
    const grown = await waitSettled(c, NS, 'minecraft', [...NAMES, 'minecraft-3'], 'scaled to 4');
    // A new pod starts at the update revision.
    assert.equal(specImage(grown.get('minecraft-3')!, 'sidecar'), SIDECAR_V2);
    assert.equal(container(grown.get('minecraft-3')!, 'sidecar')!.restartCount, 0);
    await k(['scale', 'gss', 'minecraft', '--replicas=3']);
    const shrunk = await waitSettled(c, NS, 'minecraft', NAMES, 'scaled back to 3');
    for (const name of NAMES) assert.equal(shrunk.get(name)!.metadata.uid, before1.get(name)!.metadata.uid);
    const gs = parseTable(await k(['get', 'gs']));
    assert.deepEqual(gs.rows.map((r) => r.NAME), NAMES);
  });
});
