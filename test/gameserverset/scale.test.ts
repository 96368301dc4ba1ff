// GameServerSet scaling: the scale-down order (opsState, deletionPriority, ordinal), opsState
// Kill (removed, not replaced), reserveGameServerIds (skipped ordinals, a reserved live server
// replaced) and the ReserveIds scale-down strategy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable, sleep, waitFor, type Cluster } from '../helpers/cluster.js';
import {
  WAIT_MS,
  applyGss,
  gameServersOf,
  getGs,
  getGss,
  gss,
  kubectl,
  namespace,
  patchGs,
  patchGss,
  podsOf,
  setEvents,
  startGssCluster,
  waitSettled,
} from './helpers.js';

const names = (set: string, ordinals: number[]) => ordinals.map((i) => `${set}-${i}`);

describe('GameServerSet scaling', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('scale-down order: WaitToBeDeleted first, then higher deletionPriority, then higher ordinal; Maintaining last', async () => {
    const ns = await namespace(c, 'gss-scaledown');
    await applyGss(c, gss('sd', ns, { replicas: 6 }));
    await waitSettled(c, ns, 'sd', names('sd', [0, 1, 2, 3, 4, 5]));
    await patchGs(c, ns, 'sd-0', { spec: { opsState: 'WaitToBeDeleted' } });
    await patchGs(c, ns, 'sd-5', { spec: { opsState: 'Maintaining' } });
    await patchGs(c, ns, 'sd-4', { spec: { opsState: 'Allocated' } });
    await patchGs(c, ns, 'sd-1', { spec: { deletionPriority: 5 } });
    // Seen by the controller once the pods mirror them.
    await waitFor(
      async () => {
        const pods = await podsOf(c, ns, 'sd');
        return (
          pods.get('sd-0')?.metadata.labels['game.kruise.io/gs-opsState'] === 'WaitToBeDeleted' &&
          pods.get('sd-5')?.metadata.labels['game.kruise.io/gs-opsState'] === 'Maintaining' &&
          pods.get('sd-4')?.metadata.labels['game.kruise.io/gs-opsState'] === 'Allocated' &&
          pods.get('sd-1')?.metadata.labels['game.kruise.io/gs-delete-priority'] === '5'
        );
      },
      'pod labels mirror the GameServers',
      WAIT_MS,
    );
    const t = parseTable(await kubectl(c, ns, ['get', 'gss', 'sd']));
    assert.equal(t.rows[0]!.MAINTAINING, '1');
    assert.equal(t.rows[0]!.WAITTOBEDELETED, '1');
    const gs = parseTable(await kubectl(c, ns, ['get', 'gs']));
    assert.deepEqual(
      gs.rows.map((r) => [r.NAME, r.OPSSTATE, r.DP]),
      [['sd-0', 'WaitToBeDeleted', '0'], ['sd-1', 'None', '5'], ['sd-2', 'None', '0'], ['sd-3', 'None', '0'], ['sd-4', 'Allocated', '0'], ['sd-5', 'Maintaining', '0']],
    );

    // 6 → 3: sd-0 (WaitToBeDeleted), sd-1 (deletionPriority 5), sd-3 (None, highest ordinal).
    await kubectl(c, ns, ['scale', 'gss', 'sd', '--replicas=3']);
    await waitSettled(c, ns, 'sd', names('sd', [2, 4, 5]), 'scaled to 3');
    // 3 → 1: sd-2 (None), then sd-4 (Allocated); Maintaining stays.
    await kubectl(c, ns, ['scale', 'gss', 'sd', '--replicas=1']);
    await waitSettled(c, ns, 'sd', names('sd', [5]), 'scaled to 1');
    assert.deepEqual([...(await gameServersOf(c, ns, 'sd')).keys()], ['sd-5']);
    const deleted = (await setEvents(c, ns, 'sd')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message as string).sort();
    assert.deepEqual(deleted, names('sd', [0, 1, 2, 3, 4]).map((n) => `delete Pod ${n} in GameServerSet sd successful`));
    // Scaling up fills the lowest free ordinals again.
    await kubectl(c, ns, ['scale', 'gss', 'sd', '--replicas=3']);
    await waitSettled(c, ns, 'sd', names('sd', [0, 1, 5]), 'scaled to 3 again');
  });

  it('opsState Kill: the server is removed and not replaced (replicas drops)', async () => {
    const ns = await namespace(c, 'gss-kill');
    await applyGss(c, gss('kill', ns, { replicas: 3 }));
    const before1 = await waitSettled(c, ns, 'kill', names('kill', [0, 1, 2]));
    await patchGs(c, ns, 'kill-1', { spec: { opsState: 'Kill' } });
    const after1 = await waitSettled(c, ns, 'kill', names('kill', [0, 2]), 'kill-1 gone');
    assert.equal((await getGss(c, ns, 'kill')).spec.replicas, 2);
    await sleep(2000);
    const later = await podsOf(c, ns, 'kill');
    assert.deepEqual([...later.keys()].sort(), names('kill', [0, 2]));
    for (const name of names('kill', [0, 2])) {
      assert.equal(after1.get(name)!.metadata.uid, before1.get(name)!.metadata.uid);
      assert.equal(later.get(name)!.metadata.uid, before1.get(name)!.metadata.uid);
    }
    assert.deepEqual([...(await gameServersOf(c, ns, 'kill')).keys()].sort(), names('kill', [0, 2]));
    assert.equal((await getGss(c, ns, 'kill')).spec.replicas, 2, 'replicas lowered once');
    const killEvent = (await setEvents(c, ns, 'kill')).find((e) => e.reason === 'KillGameServer');
    assert.equal(killEvent?.message, 'scale to 2 replicas: GameServer kill-1 has opsState Kill and is not replaced');
  });

  it('reserveGameServerIds are skipped; reserving a live ordinal replaces that server', async () => {
    const ns = await namespace(c, 'gss-reserve');
    await applyGss(c, gss('res', ns, { replicas: 3, reserve: [1] }));
    const first = await waitSettled(c, ns, 'res', names('res', [0, 2, 3]));
    await patchGss(c, ns, 'res', { spec: { reserveGameServerIds: [1, '2-2'] } });
    const second = await waitSettled(c, ns, 'res', names('res', [0, 3, 4]), 'res-2 reserved');
    assert.equal(second.get('res-0')!.metadata.uid, first.get('res-0')!.metadata.uid);
    assert.equal(second.get('res-3')!.metadata.uid, first.get('res-3')!.metadata.uid);
    await waitFor(async () => (await getGs(c, ns, 'res-2').catch(() => undefined)) === undefined, 'GameServer res-2 gone', WAIT_MS);
  });

  it('a pod deleted by hand comes back under its name; deleting the set removes its pods and GameServers', async () => {
    const ns = await namespace(c, 'gss-lifecycle');
    await applyGss(c, gss('life', ns, { replicas: 2 }));
    const before1 = await waitSettled(c, ns, 'life', names('life', [0, 1]));
    await kubectl(c, ns, ['delete', 'pod', 'life-1', '--wait=false']);
    const after1 = await waitFor(
      async () => {
        const pods = await waitSettled(c, ns, 'life', names('life', [0, 1]), 'life-1 back');
        return pods.get('life-1')!.metadata.uid !== before1.get('life-1')!.metadata.uid ? pods : undefined;
      },
      'life-1 recreated',
      WAIT_MS,
    );
    assert.equal(after1.get('life-0')!.metadata.uid, before1.get('life-0')!.metadata.uid);
    assert.equal((await getGs(c, ns, 'life-1')).metadata.uid, (await gameServersOf(c, ns, 'life')).get('life-1')!.metadata.uid);
    await kubectl(c, ns, ['delete', 'gss', 'life']);
    await waitFor(async () => (await podsOf(c, ns, 'life')).size === 0 && (await gameServersOf(c, ns, 'life')).size === 0, 'pods and GameServers gone', WAIT_MS);
  });

  it('ReserveIds: ordinals removed by a scale-down are written back into reserveGameServerIds and never reused', async () => {
    const ns = await namespace(c, 'gss-reserveids');
    await applyGss(c, gss('rid', ns, { replicas: 3, scaleDown: 'ReserveIds', reserve: [1] }));
    await waitSettled(c, ns, 'rid', names('rid', [0, 2, 3]));
    await kubectl(c, ns, ['scale', 'gss', 'rid', '--replicas=2']);
    await waitSettled(c, ns, 'rid', names('rid', [0, 2]), 'scaled to 2');
    assert.deepEqual((await getGss(c, ns, 'rid')).spec.reserveGameServerIds, [1, 3]);
    await kubectl(c, ns, ['scale', 'gss', 'rid', '--replicas=3']);
    await waitSettled(c, ns, 'rid', names('rid', [0, 2, 4]), 'scaled to 3: the next free ordinal, not 3');
  });
});
