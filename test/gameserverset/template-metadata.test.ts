// The gameServerTemplate's labels and annotations, as OpenKruiseGame treats them: pods are made
// with them, GameServers get them copied (with game.kruise.io/gsTemplate-metadata-hash, again
// when the template's metadata changes), and gs-sync/ keys are copied from GameServer to pod but
// never taken off the pod (OKG's lifecycle recipe sets a gs-sync/ delete-block label in the
// template and lets the game server clear it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawWatch, waitFor, type Cluster } from '../helpers/cluster.js';
import { WAIT_MS, applyGss, gameServersOf, gss, kubectl, namespace, patchGs, podsOf, startGssCluster, waitSettled, type Json } from './helpers.js';

const HASH = 'game.kruise.io/gsTemplate-metadata-hash';

describe('GameServerSet template metadata, gs-sync/ keys, and the first state of a GameServer', { timeout: 300_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('pods and GameServers carry the template gs-sync/ labels and annotations; the pods keep them', async () => {
    const ns = await namespace(c, 'gss-template-metadata');
    const manifest = gss('meta', ns, { replicas: 2 });
    manifest.spec.gameServerTemplate.metadata = {
      labels: { 'gs-sync/delete-block': 'true', tier: 'gold' },
      annotations: { 'gs-sync/note': 'x' },
    };
    await applyGss(c, manifest);
    const pods = await waitSettled(c, ns, 'meta', ['meta-0', 'meta-1']);
    // Settled is a positive signal that the GameServer controller mirrored each pod at least once
    // (InPlaceUpdateReady and the gs-state label are written after the first mirror).
    const mirrored = await waitFor(async () => {
      const ps = await podsOf(c, ns, 'meta');
      return [...ps.values()].every((p) => p.metadata.labels['game.kruise.io/gs-state'] === 'Ready') ? ps : undefined;
    }, 'pods labelled gs-state Ready', WAIT_MS);
    for (const p of [...pods.values(), ...mirrored.values()]) {
      assert.equal(p.metadata.labels['gs-sync/delete-block'], 'true', p.metadata.name);
      assert.equal(p.metadata.labels.tier, 'gold', p.metadata.name);
      assert.equal(p.metadata.annotations['gs-sync/note'], 'x', p.metadata.name);
    }
    const servers = await gameServersOf(c, ns, 'meta');
    assert.equal(servers.size, 2);
    for (const gs of servers.values()) {
      assert.equal(gs.metadata.labels['gs-sync/delete-block'], 'true', gs.metadata.name);
      assert.equal(gs.metadata.labels.tier, 'gold');
      assert.equal(gs.metadata.labels['game.kruise.io/owner-gss'], 'meta');
      assert.equal(gs.metadata.annotations['gs-sync/note'], 'x');
      assert.match(gs.metadata.annotations[HASH], /^[a-z0-9]{10}$/);
    }
  });

  it('a gs-sync/ label set on a GameServer reaches its pod; taken off the GameServer, it stays on the pod', async () => {
    const ns = 'gss-template-metadata';
    await patchGs(c, ns, 'meta-0', { metadata: { labels: { 'gs-sync/room': 'a' } } });
    await waitFor(async () => (await podsOf(c, ns, 'meta')).get('meta-0')?.metadata.labels['gs-sync/room'] === 'a', 'pod meta-0 labelled gs-sync/room=a', WAIT_MS);
    // Taking it off, and a second change (opsState) the controller must mirror: once the pod shows
    // the opsState, the controller has acted on the GameServer without the gs-sync/ label.
    await kubectl(c, ns, ['label', 'gameserver', 'meta-0', 'gs-sync/room-']);
    await patchGs(c, ns, 'meta-0', { spec: { opsState: 'Maintaining' } });
    const pod = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'meta')).get('meta-0');
      return p?.metadata.labels['game.kruise.io/gs-opsState'] === 'Maintaining' ? p : undefined;
    }, 'pod meta-0 mirrors opsState Maintaining', WAIT_MS);
    assert.equal(pod.metadata.labels['gs-sync/room'], 'a');
    assert.equal(pod.metadata.labels['gs-sync/delete-block'], 'true');
  });

  it('an edit of the template metadata is copied onto the GameServers, merged', async () => {
    const ns = 'gss-template-metadata';
    await kubectl(c, ns, ['patch', 'gameserverset', 'meta', '--type=merge', '-p', JSON.stringify({ spec: { gameServerTemplate: { metadata: { labels: { tier: 'silver', 'gs-sync/season': '2' } } } } })]);
    const servers = await waitFor(async () => {
      const gs = await gameServersOf(c, ns, 'meta');
      return [...gs.values()].every((g: Json) => g.metadata.labels.tier === 'silver') ? gs : undefined;
    }, 'GameServers labelled tier=silver', WAIT_MS);
    for (const gs of servers.values()) {
      assert.equal(gs.metadata.labels['gs-sync/season'], '2');
      assert.equal(gs.metadata.labels['gs-sync/delete-block'], 'true', 'kept from the first template');
    }
    await waitFor(async () => [...(await podsOf(c, ns, 'meta')).values()].every((p) => p.metadata.labels['gs-sync/season'] === '2'), 'pods labelled gs-sync/season=2', WAIT_MS);
  });

  it('a new GameServer has a state from its first status write on (kubectl get gs never shows an empty STATE)', async () => {
    const ns = await namespace(c, 'gss-first-state');
    const watch = rawWatch(c, `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers`);
    try {
      assert.equal(await watch.status, 200);
      await applyGss(c, gss('fresh', ns, { replicas: 2 }));
      await waitSettled(c, ns, 'fresh', ['fresh-0', 'fresh-1']);
      const events = await watch.waitFor((es) => ['fresh-0', 'fresh-1'].every((n) => es.some((e) => e.object.metadata.name === n && e.object.status?.currentState === 'Ready')), WAIT_MS);
      for (const name of ['fresh-0', 'fresh-1']) {
        const withStatus = events.filter((e) => e.object.metadata.name === name && e.object.status && Object.keys(e.object.status).length);
        assert.ok(withStatus.length > 0, name);
        assert.ok(withStatus[0]!.object.status.currentState, `${name}: first status ${JSON.stringify(withStatus[0]!.object.status)}`);
      }
    } finally {
      watch.close();
    }
  });
});
