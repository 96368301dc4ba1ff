// The arena example behind OpenKruiseGame's Kubernetes-NodePort plugin, real processes on
// `hotpod up`'s embedded nodes: a player dials the GameServer's networkStatus address (a node's
// IP and the Service's nodePort, forwarded by the node as kube-proxy would); networkDisabled
// takes the server out of rotation (new connections refused) while the player already on it
// plays on, and re-enabling lets players in again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { KubeClient, MERGE_PATCH } from '../../src/kube/index.js';
import { arenaWorkload, buildArenaImages, networkAddress, Player, POLICIES, waitUntil, type Address } from '../../bench/arena.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

type Json = Record<string, any>;

const NS = 'arena-network';
const GSS_API = 'game.kruise.io/v1alpha1';
const WAIT_MS = 120_000;

/** Whether a new TCP connection to the address is accepted (and the engine welcomes a player). */
function accepts(a: Address): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: a.host, port: a.port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write(`${JSON.stringify({ t: 'join', name: 'probe' })}\n`));
    s.once('data', (d) => done(String(d).includes('"welcome"')));
  });
}

describe('arena example: Kubernetes-NodePort and networkDisabled', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let objects: KubeClient;

  before(async () => {
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

  it('new connections refused while networkDisabled, the established session kept; accepted again once enabled', async () => {
    const policy = POLICIES.find((p) => p.label === 'GameServerSet InPlaceIfPossible')!;
    const w = arenaWorkload(policy, 'np', NS, 1, '50%');
    w.manifest.spec.network = { networkType: 'Kubernetes-NodePort', networkConf: [{ name: 'PortProtocols', value: '7777/TCP' }] };
    await objects.createObject(w.manifest);
    const gs = { namespace: NS, name: 'np-0' };
    let address: Address | undefined;
    await waitUntil('np-0: a Ready networkStatus', WAIT_MS, async () => {
      const server = await objects.get(GSS_API, 'GameServer', gs).catch(() => undefined);
      address = networkAddress(server?.status?.networkStatus);
      return address !== undefined;
    });
    const pod = await objects.get('v1', 'Pod', gs);
    assert.ok(address!.port >= 30000 && address!.port <= 32767, `${address!.port}: a nodePort`);
    const nodes = (await objects.listPage('v1', 'Node', {})).items.map((n: Json) => n.status.addresses.find((a: Json) => a.type === 'InternalIP').address as string);
    assert.ok(nodes.includes(address!.host), `${address!.host}: a node's address`);
    assert.notEqual(address!.host, pod.status.podIP);
    // kube-proxy serves a nodePort on every node, the one without the pod too.
    for (const host of nodes) await waitUntil(`${host}:${address!.port} accepts`, WAIT_MS, () => accepts({ host, port: address!.port }));

    const alice = await Player.join(address!, 'alice', 500);
    try {
      await waitUntil('alice gets ticks', WAIT_MS, () => alice.ticks >= 5);

      await objects.patchObject(GSS_API, 'GameServer', gs, { spec: { networkDisabled: true } }, { contentType: MERGE_PATCH });
      await waitUntil('np-0: desiredNetworkState NotReady', WAIT_MS, async () => (await objects.get(GSS_API, 'GameServer', gs)).status?.networkStatus?.desiredNetworkState === 'NotReady');
      await waitUntil('new connections refused', WAIT_MS, async () => !(await accepts(address!)));
      const ticks = alice.ticks;
      await waitUntil('alice still gets ticks', WAIT_MS, () => alice.ticks >= ticks + 20);
      assert.equal(alice.dropped, false, 'the established session is kept');
      for (const host of nodes) assert.equal(await accepts({ host, port: address!.port }), false, `${host}: refused too`);

      await objects.patchObject(GSS_API, 'GameServer', gs, { spec: { networkDisabled: false } }, { contentType: MERGE_PATCH });
      await waitUntil('new connections accepted again', WAIT_MS, () => accepts(address!));
      assert.equal(alice.dropped, false);
    } finally {
      alice.leave();
    }
  });
});
