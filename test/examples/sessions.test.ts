// The arena example (examples/arena) with players connected while its scripts roll from v1 to
// v2, small: 2 game servers, 6 players, real processes on `hotpod up`'s embedded nodes. In-place
// update of the scripts sidecar and hot-patch keep every session and the v2 rules reach them;
// ReCreate drops every session (which shows the drop count can see a drop).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from '../../src/kube/index.js';
import { buildArenaImages, measureSessions, POLICIES, type Policy } from '../../bench/arena.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

const SERVERS = 2;
const PLAYERS = 6;
const NS = 'arena-test';

describe('arena example: sessions across a scripts rollout', { timeout: 900_000 }, () => {
  let cluster: Cluster;
  let objects: KubeClient;
  const policy = (p: string): Policy => POLICIES.find((x) => x.label === p)!;
  const run = (p: string) =>
    measureSessions({ objects, policy: policy(p), namespace: NS, servers: SERVERS, players: PLAYERS, maxUnavailable: '50%', waitMs: 180_000, progress: () => {} });

  before(async () => {
    delete process.env.HOTPOD_NO_HOT_PATCH;
    delete process.env.HOTPOD_NO_CONTROLLER;
    process.env.HOTPOD_NODES = '2';
    cluster = await startCluster();
    buildArenaImages(cluster.dataDir);
    objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => {
    await cluster?.cleanup();
  });

  it('GameServerSet ReCreate with allocated-update Wait: the Allocated server keeps its players, who are told an update is pending', async () => {
    const r = await run('GameServerSet ReCreate + Allocated wait');
    assert.equal(r.dropped, 0, 'sessions dropped');
    assert.equal(r.heldOnV1, PLAYERS, 'sessions kept on v1 while Allocated');
    assert.equal(r.toldPending, PLAYERS, 'players told, from the pod annotation the engine reads in its downwardAPI volume');
    assert.equal(r.containersRestarted, 2, 'the empty server recreated (2 containers), the Allocated one untouched');
    assert.ok(r.afterReleaseSeconds !== undefined, 'updated once released');
  });

  it('GameServerSet InPlaceIfPossible restarts only the sidecar: no session dropped, all on v2', async () => {
    const r = await run('GameServerSet InPlaceIfPossible');
    // The players dialled each GameServer's networkStatus address: its node's IP and a host port
    // (Kubernetes-HostPort), which the node forwards to the pod's IP; never the pod directly.
    for (const d of r.dialled) {
      assert.equal(d.host, d.hostIP, `${JSON.stringify(d)}: the node's address`);
      assert.notEqual(d.host, d.podIP);
      assert.ok(d.port >= 8000 && d.port <= 9000, `${d.port}: a host port of the range`);
    }
    assert.equal(r.dropped, 0, 'sessions dropped');
    assert.equal(r.onV2, PLAYERS, 'sessions scoring by the v2 rules');
    assert.equal(r.containersRestarted, SERVERS, 'one container (the sidecar) per server');
  });

  it('GameDeployment HotPatchUpdate restarts nothing: no session dropped, all on v2', async () => {
    const r = await run('GameDeployment HotPatchUpdate');
    assert.equal(r.dropped, 0, 'sessions dropped');
    assert.equal(r.onV2, PLAYERS, 'sessions scoring by the v2 rules');
    assert.equal(r.containersRestarted, 0);
  });

  it('GameServerSet ReCreate drops every session', async () => {
    const r = await run('GameServerSet ReCreate');
    assert.equal(r.dropped, PLAYERS);
    assert.equal(r.containersRestarted, 2 * SERVERS);
  });
});
