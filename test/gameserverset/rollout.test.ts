// GameServerSet updates: partition with updatePriority, maxUnavailable watched at every event,
// InPlaceOnly refusal, InPlaceIfPossible falling back to recreate, paused, and a GameServer's own
// image applied in place to its pod alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, waitFor, type Cluster } from '../helpers/cluster.js';
import {
  SIDECAR_V1,
  SIDECAR_V2,
  WAIT_MS,
  applyGss,
  cond,
  container,
  getGs,
  getGss,
  gss,
  isReady,
  namespace,
  patchGs,
  patchGss,
  podsOf,
  recordPods,
  setEvents,
  setSidecarImage,
  specImage,
  startGssCluster,
  waitSettled,
  type Json,
} from './helpers.js';

/** Waits until every pod of the set runs `image` in its sidecar, is Ready and back in service. */
async function waitAllOn(c: Cluster, ns: string, set: string, count: number, image: string): Promise<Map<string, Json>> {
  return waitFor(
    async () => {
      const pods = await podsOf(c, ns, set);
      const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
      const ok = live.length === count && live.every((p) => container(p, 'sidecar')?.image === image && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True');
      return ok ? pods : undefined;
    },
    `${ns}/${set}: ${count} pods on ${image}, ready`,
    WAIT_MS,
    250,
  );
}

describe('GameServerSet rollouts', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('partition 2 of 3 with one server at updatePriority 10: only that server updates', async () => {
    const ns = await namespace(c, 'gss-partition');
    await applyGss(c, gss('arena', ns, { replicas: 3, partition: 2 }));
    const before1 = await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2']);
    await patchGs(c, ns, 'arena-0', { spec: { updatePriority: 10 } });
    // The controller has seen it once it reports it (UP column).
    await waitFor(async () => (await getGs(c, ns, 'arena-0')).status?.updatePriority === 10, 'arena-0 status.updatePriority 10', WAIT_MS);
    await setSidecarImage(c, ns, 'arena', SIDECAR_V2);

    const updated = await waitFor(
      async () => {
        const pods = await podsOf(c, ns, 'arena');
        const p = pods.get('arena-0')!;
        return container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True' ? pods : undefined;
      },
      'arena-0 updated',
      WAIT_MS,
    );
    const s = await waitFor(async () => {
      const s = await getGss(c, ns, 'arena');
      return s.status?.updatedReadyReplicas === 1 && s.status?.observedGeneration === s.metadata.generation ? s : undefined;
    }, 'status updatedReadyReplicas 1', WAIT_MS);
    // Give a wrong controller time to update more, then look again.
    await sleep(3000);
    const later = await podsOf(c, ns, 'arena');
    assert.equal(updated.get('arena-0')!.metadata.uid, before1.get('arena-0')!.metadata.uid);
    assert.equal(container(later.get('arena-0')!, 'sidecar')!.restartCount, 1);
    for (const name of ['arena-1', 'arena-2']) {
      assert.equal(specImage(later.get(name)!, 'sidecar'), SIDECAR_V1, `${name} stays on the old revision`);
      assert.equal(container(later.get(name)!, 'sidecar')!.restartCount, 0);
      assert.equal(later.get(name)!.metadata.labels['controller-revision-hash'], before1.get(name)!.metadata.labels['controller-revision-hash']);
    }
    assert.equal(later.get('arena-0')!.metadata.labels['controller-revision-hash'], s.status.updateRevision);
    const final = await getGss(c, ns, 'arena');
    assert.equal(final.status.updatedReplicas, 1);
    assert.equal(final.status.replicas, 3);

    // Partition 0: the rest follow, highest ordinal first.
    await patchGss(c, ns, 'arena', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    const all = await waitAllOn(c, ns, 'arena', 3, SIDECAR_V2);
    for (const [name, p] of all) assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid);
  });

  it('maxUnavailable 2 of 5 is never exceeded at any observed moment, and is used', async () => {
    const ns = await namespace(c, 'gss-maxunavailable');
    // Each sidecar start takes 1 s to become ready, so updates overlap.
    await applyGss(c, gss('wave', ns, { replicas: 5, maxUnavailable: 2, annotations: { 'sim.hotpod.dev/ready-delay-ms.sidecar': '1000' } }));
    const names = [0, 1, 2, 3, 4].map((i) => `wave-${i}`);
    const before1 = await waitSettled(c, ns, 'wave', names);
    const history = await recordPods(c, ns, 5);
    try {
      await setSidecarImage(c, ns, 'wave', SIDECAR_V2);
      const after1 = await waitAllOn(c, ns, 'wave', 5, SIDECAR_V2);
      await waitFor(() => [...history.latest.values()].every((p) => specImage(p, 'sidecar') === SIDECAR_V2 && isReady(p)), 'the watch saw the end', WAIT_MS);
      assert.equal(history.maxUnavailable(), 2, 'at most 2 unavailable at once, and 2 used');
      for (const name of names) {
        assert.equal(after1.get(name)!.metadata.uid, before1.get(name)!.metadata.uid);
        assert.deepEqual(history.gate.get(name), ['True', 'False', 'True'], `${name} left service once and came back`);
      }
    } finally {
      history.close();
    }
  });

  it('InPlaceOnly refuses a change beyond images: condition and Warning event with the reason; pods untouched', async () => {
    const ns = await namespace(c, 'gss-inplaceonly');
    const manifest = gss('strict', ns, { replicas: 2, policy: 'InPlaceOnly' });
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'strict', ['strict-0', 'strict-1']);
    const withEnv = structuredClone(manifest);
    withEnv.spec.gameServerTemplate.spec.containers[0].env = [{ name: 'MODE', value: 'ranked' }];
    await applyGss(c, withEnv);

    const blocked = await waitFor(
      async () => {
        const s = await getGss(c, ns, 'strict');
        return (s.status?.conditions ?? []).find((x: Json) => x.type === 'InPlaceUpdateBlocked' && x.status === 'True');
      },
      'condition InPlaceUpdateBlocked',
      WAIT_MS,
    );
    assert.equal(blocked.reason, 'NotInPlaceUpdatable');
    assert.match(blocked.message, /^podUpdatePolicy InPlaceOnly: pods of revision strict-\w+ cannot be updated to strict-\w+ in place: fields other than container images changed: spec\.containers\[0\]\.env$/);
    const warning = await waitFor(async () => (await setEvents(c, ns, 'strict')).find((e) => e.reason === 'InPlaceUpdateBlocked'), 'Warning event', WAIT_MS);
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.message, blocked.message);
    await sleep(2000);
    const still = await podsOf(c, ns, 'strict');
    for (const [name, p] of still) {
      assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid);
      assert.equal(p.metadata.labels['controller-revision-hash'], before1.get(name)!.metadata.labels['controller-revision-hash']);
      assert.equal(container(p, 'sidecar')!.restartCount, 0);
      assert.equal(p.spec.containers[0].env, undefined);
    }

    // Back to the old spec with only a new image: allowed, done in place, condition gone.
    const imageOnly = structuredClone(manifest);
    imageOnly.spec.gameServerTemplate.spec.containers[1].image = SIDECAR_V2;
    await applyGss(c, imageOnly);
    const after1 = await waitAllOn(c, ns, 'strict', 2, SIDECAR_V2);
    for (const [name, p] of after1) assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid);
    await waitFor(async () => !((await getGss(c, ns, 'strict')).status?.conditions ?? []).some((x: Json) => x.type === 'InPlaceUpdateBlocked'), 'condition cleared', WAIT_MS);
  });

  it('InPlaceIfPossible recreates pods when the env changes (same names, new uids, the new env)', async () => {
    const ns = await namespace(c, 'gss-fallback');
    const manifest = gss('fallback', ns, { replicas: 2, policy: 'InPlaceIfPossible' });
    await applyGss(c, manifest);
    const before1 = await waitSettled(c, ns, 'fallback', ['fallback-0', 'fallback-1']);
    const history = await recordPods(c, ns, 2);
    const withEnv = structuredClone(manifest);
    withEnv.spec.gameServerTemplate.spec.containers[0].env = [{ name: 'MODE', value: 'ranked' }];
    await applyGss(c, withEnv);
    const after1 = await waitFor(
      async () => {
        const pods = await waitSettled(c, ns, 'fallback', ['fallback-0', 'fallback-1'], 'recreated');
        return [...pods.values()].every((p) => p.spec.containers[0].env?.[0]?.value === 'ranked') ? pods : undefined;
      },
      'both pods recreated with the env',
      WAIT_MS,
    );
    await waitFor(() => [...history.latest.values()].filter((p) => isReady(p) && p.spec.containers[0].env).length === 2, 'the watch saw the end', WAIT_MS);
    history.close();
    // maxUnavailable 1 (the default): one pod away (terminating, missing or not ready yet) at a time.
    assert.equal(history.maxUnavailable(), 1);
    assert.equal(history.uids.get('fallback-0')!.size, 2);
    assert.equal(history.uids.get('fallback-1')!.size, 2);
    for (const [name, p] of after1) {
      assert.notEqual(p.metadata.uid, before1.get(name)!.metadata.uid, `${name} was recreated`);
      assert.equal(container(p, 'engine')!.restartCount, 0);
    }
    const events = await setEvents(c, ns, 'fallback');
    const recreated = events.filter((e) => e.reason === 'SuccessfulUpdatePodReCreate').map((e) => e.message as string);
    assert.equal(recreated.length, 2);
    for (const m of recreated) assert.match(m, /recreate\(revision fallback-\w+\): fields other than container images changed: spec\.containers\[0\]\.env$/);
  });

  it('ReCreate keeps the names: a server whose GameServer is still going away is waited for, never replaced by a new ordinal', async () => {
    const ns = await namespace(c, 'gss-names');
    await applyGss(c, gss('names', ns, { replicas: 2, policy: 'ReCreate' }));
    await waitSettled(c, ns, 'names', ['names-0', 'names-1']);
    // A finalizer holds names-1's GameServer (Cascade: it goes with its pod) after its pod is gone.
    const hold = (finalizers: string[] | null) => patchGs(c, ns, 'names-1', { metadata: { finalizers } });
    await hold(['hotpod.test/hold']);
    const history = await recordPods(c, ns, 2);
    await setSidecarImage(c, ns, 'names', SIDECAR_V2);
    // The pass that saw the old names-1 pod gone wrote replicas 1; its GameServer is still there, deleting.
    await waitFor(async () => {
      const [set, gs] = await Promise.all([getGss(c, ns, 'names'), getGs(c, ns, 'names-1')]);
      return set.status?.replicas === 1 && gs.metadata.deletionTimestamp ? true : undefined;
    }, 'names-1 recreated: its pod gone, its GameServer deleting', WAIT_MS);
    assert.deepEqual([...(await podsOf(c, ns, 'names')).keys()].sort(), ['names-0']);
    await hold(null);
    await waitAllOn(c, ns, 'names', 2, SIDECAR_V2);
    history.close();
    assert.deepEqual([...history.uids.keys()].sort(), ['names-0', 'names-1']);
    assert.equal(history.uids.get('names-1')!.size, 2);
  });

  it('paused holds the rollout; unpausing resumes it', async () => {
    const ns = await namespace(c, 'gss-paused');
    await applyGss(c, gss('hold', ns, { replicas: 2, paused: true }));
    const before1 = await waitSettled(c, ns, 'hold', ['hold-0', 'hold-1']);
    await setSidecarImage(c, ns, 'hold', SIDECAR_V2);
    await waitFor(async () => {
      const s = await getGss(c, ns, 'hold');
      return s.status?.observedGeneration === s.metadata.generation;
    }, 'the change observed', WAIT_MS);
    await sleep(2000);
    for (const p of (await podsOf(c, ns, 'hold')).values()) assert.equal(specImage(p, 'sidecar'), SIDECAR_V1);
    assert.equal((await getGss(c, ns, 'hold')).status.updatedReplicas, 0);
    await patchGss(c, ns, 'hold', { spec: { updateStrategy: { rollingUpdate: { paused: false } } } });
    const after1 = await waitAllOn(c, ns, 'hold', 2, SIDECAR_V2);
    for (const [name, p] of after1) assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid);
  });

  it("a GameServer's spec.containers image is applied in place to its pod alone", async () => {
    const ns = await namespace(c, 'gss-override');
    await applyGss(c, gss('solo', ns, { replicas: 3, policy: 'ReCreate' }));
    const before1 = await waitSettled(c, ns, 'solo', ['solo-0', 'solo-1', 'solo-2']);
    const hotfix = 'registry.example.com/game/sidecar:hotfix';
    await patchGs(c, ns, 'solo-1', { spec: { containers: [{ name: 'sidecar', image: hotfix }] } });
    const pods = await waitFor(
      async () => {
        const pods = await podsOf(c, ns, 'solo');
        const p = pods.get('solo-1')!;
        return container(p, 'sidecar')?.image === hotfix && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True' ? pods : undefined;
      },
      'solo-1 runs the hotfix',
      WAIT_MS,
    );
    assert.equal(pods.get('solo-1')!.metadata.uid, before1.get('solo-1')!.metadata.uid, 'in place, though the set recreates on updates');
    assert.equal(container(pods.get('solo-1')!, 'sidecar')!.restartCount, 1);
    assert.equal(container(pods.get('solo-1')!, 'engine')!.restartCount, 0);
    for (const name of ['solo-0', 'solo-2']) {
      assert.equal(specImage(pods.get(name)!, 'sidecar'), SIDECAR_V1);
      assert.equal(container(pods.get(name)!, 'sidecar')!.restartCount, 0);
    }
    // Dropping the override brings the template's image back, in place again.
    await patchGs(c, ns, 'solo-1', { spec: { containers: null } });
    await waitFor(
      async () => {
        const p = (await podsOf(c, ns, 'solo')).get('solo-1')!;
        return container(p, 'sidecar')?.image === SIDECAR_V1 && isReady(p) && p.metadata.uid === before1.get('solo-1')!.metadata.uid;
      },
      'solo-1 back on the template image, same pod',
      WAIT_MS,
    );
  });
});
