// Kubernetes-HostPort as OpenKruiseGame's: each new pod gets host ports from the controller's
// range (--host-port-range, least used first), added to its ContainerPorts; the GameServer's
// networkStatus (read with kubectl 1.35) gives the node's address and the host port outside,
// the pod IP and container port inside. A pod that goes frees its port for the next; a
// restarted controller reads the ports in use back from the pods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, apiOk, cliPath, waitFor, type Cluster } from '../helpers/cluster.js';
import { WAIT_MS, applyGss, getGs, gss, gsPath, kubectl, namespace, podsOf, podsPath, startControllerProcess, startGssCluster, waitSettled, type ControllerProcess, type Json } from './helpers.js';

const RANGE = { min: 8100, max: 8110 };

function hostPortsOf(pod: Json): { container: string; containerPort: number; hostPort: number; protocol: string }[] {
  return (pod.spec.containers as Json[]).flatMap((c) => ((c.ports ?? []) as Json[]).filter((p) => p.hostPort).map((p) => ({ container: c.name, containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol })));
}

async function networkStatusByKubectl(c: Cluster, ns: string, name: string): Promise<Json | undefined> {
  const out = await kubectl(c, ns, ['get', 'gs', name, '-o', 'jsonpath={..networkStatus}']);
  return out.trim() ? (JSON.parse(out) as Json) : undefined;
}

async function nodeInternalIP(c: Cluster, node: string): Promise<string> {
  const n = await apiOk(c, 'GET', `/api/v1/nodes/${node}`);
  return (n.status.addresses as Json[]).find((a) => a.type === 'InternalIP')!.address;
}

/** The GameServer's networkStatus once Ready for the pod as it is now (its IP, node, host port). */
async function readyNetwork(c: Cluster, ns: string, name: string): Promise<{ status: Json; pod: Json }> {
  return waitFor(
    async () => {
      const pod = (await podsOf(c, ns, name.replace(/-\d+$/, ''))).get(name);
      const status = await networkStatusByKubectl(c, ns, name);
      if (!pod?.status?.podIP || status?.currentNetworkState !== 'Ready') return undefined;
      const hostPort = hostPortsOf(pod)[0]?.hostPort;
      return status.externalAddresses?.[0]?.ports?.[0]?.port === hostPort && status.internalAddresses?.[0]?.ip === pod.status.podIP ? { status, pod } : undefined;
    },
    `${ns}/${name} networkStatus Ready`,
    WAIT_MS,
    250,
  );
}

describe('Kubernetes-HostPort', { timeout: 300_000 }, () => {
  let c: Cluster;
  let controller: ControllerProcess | undefined;

  before(async () => {
    c = await startGssCluster({ controller: false });
    controller = await startControllerProcess(c, ['--host-port-range', `${RANGE.min}-${RANGE.max}`]);
  });
  after(async () => {
    await controller?.stop();
    await c?.cleanup();
  });

  it('gives each pod a host port from the range, reports it with the node address, frees it when the pod goes, and keeps allocations over a restart', async () => {
    const ns = await namespace(c, 'net-hostport');
    const manifest = gss('hp', ns, { replicas: 3 });
    manifest.spec.network = { networkType: 'Kubernetes-HostPort', networkConf: [{ name: 'ContainerPorts', value: 'engine:7777/UDP' }] };
    await applyGss(c, manifest);
    const pods = await waitSettled(c, ns, 'hp', ['hp-0', 'hp-1', 'hp-2']);

    // Host ports from the range, one per pod, distinct while the range has unused ones (least used first).
    const ports = new Map<string, number>();
    for (const [name, pod] of pods) {
      const hp = hostPortsOf(pod);
      assert.equal(hp.length, 1, `${name}: one host port`);
      assert.deepEqual({ ...hp[0], hostPort: 0 }, { container: 'engine', containerPort: 7777, hostPort: 0, protocol: 'UDP' });
      assert.ok(hp[0]!.hostPort >= RANGE.min && hp[0]!.hostPort <= RANGE.max, `${name}: ${hp[0]!.hostPort} in ${RANGE.min}-${RANGE.max}`);
      ports.set(name, hp[0]!.hostPort);
      assert.equal(pod.metadata.annotations['game.kruise.io/network-type'], 'Kubernetes-HostPort');
      assert.deepEqual(JSON.parse(pod.metadata.annotations['game.kruise.io/network-conf']), manifest.spec.network.networkConf);
    }
    assert.deepEqual([...ports.values()].sort(), [RANGE.min, RANGE.min + 1, RANGE.min + 2], 'the three least used ports, lowest first');

    // networkStatus as OKG's manual shows it: node address and host port outside, pod IP and container port inside.
    for (const name of pods.keys()) {
      const { status, pod } = await readyNetwork(c, ns, name);
      const nodeIP = await nodeInternalIP(c, pod.spec.nodeName);
      assert.equal(status.networkType, 'Kubernetes-HostPort');
      assert.equal(status.desiredNetworkState, 'Ready');
      assert.ok(status.createTime && status.lastTransitionTime, 'createTime and lastTransitionTime');
      assert.deepEqual(status.externalAddresses, [{ ip: nodeIP, ports: [{ name: 'engine-7777', port: ports.get(name), protocol: 'UDP' }] }]);
      assert.deepEqual(status.internalAddresses, [{ ip: pod.status.podIP, ports: [{ name: 'engine-7777', port: 7777, protocol: 'UDP' }] }]);
      // The pod carries the plugin's finding, in OKG's JSON.
      const finding = JSON.parse(pod.metadata.annotations['game.kruise.io/network-status']);
      assert.equal(finding.currentNetworkState, 'Ready');
      assert.deepEqual(finding.externalAddresses, status.externalAddresses);
    }

    // Nothing changed, nothing written: changes the controller acts on elsewhere (gs-sync/ labels
    // it copies to the pod) leave the GameServer's status where it was. The second label's copy
    // shows that the pass over the first has ended (a key is never reconciled twice at once).
    const steady = await getGs(c, ns, 'hp-0');
    let rv = '';
    for (const label of ['gs-sync/probe-a', 'gs-sync/probe-b']) {
      const r = await api(c, 'PATCH', gsPath(ns, 'hp-0'), { metadata: { labels: { [label]: 'x' } } }, { contentType: 'application/merge-patch+json' });
      assert.equal(r.status, 200);
      rv = r.body.metadata.resourceVersion;
      await waitFor(async () => (await apiOk(c, 'GET', podsPath(ns, 'hp-0'))).metadata.labels[label] === 'x', `${label} copied to the pod`, WAIT_MS);
    }
    const after1 = await getGs(c, ns, 'hp-0');
    assert.equal(after1.metadata.resourceVersion, rv, 'no status write for an unchanged network');
    assert.deepEqual(after1.status.networkStatus, steady.status.networkStatus);

    // A pod that goes frees its port: the new hp-1 gets the same one (now the least used, lowest).
    const old = pods.get('hp-1')!;
    await apiOk(c, 'DELETE', podsPath(ns, 'hp-1'));
    const recreated = await waitFor(
      async () => {
        const p = (await podsOf(c, ns, 'hp')).get('hp-1');
        return p && p.metadata.uid !== old.metadata.uid ? p : undefined;
      },
      'hp-1 made again',
      WAIT_MS,
    );
    assert.deepEqual(hostPortsOf(recreated).map((p) => p.hostPort), [ports.get('hp-1')], 'the released port is handed out again');
    await readyNetwork(c, ns, 'hp-1');

    // A restarted controller rebuilds what is in use from the pods: a fourth server gets an unused port.
    await controller!.kill9();
    controller = await startControllerProcess(c, ['--host-port-range', `${RANGE.min}-${RANGE.max}`]);
    await kubectl(c, ns, ['scale', 'gss', 'hp', '--replicas=4']);
    const four = await waitSettled(c, ns, 'hp', ['hp-0', 'hp-1', 'hp-2', 'hp-3'], 'scaled up after the restart');
    assert.deepEqual(hostPortsOf(four.get('hp-3')!).map((p) => p.hostPort), [RANGE.min + 3]);
    for (const name of ['hp-0', 'hp-1', 'hp-2']) assert.deepEqual(hostPortsOf(four.get(name)!).map((p) => p.hostPort), [ports.get(name)], `${name} keeps its port`);
    await readyNetwork(c, ns, 'hp-3');
  });

  it('a bad --host-port-range, or a wait time that is no number of seconds: one line, exit code 2', () => {
    for (const [args, env] of [
      [['--host-port-range=9000-8000'], {}],
      [['--host-port-range=8000'], {}],
      [[], { NETWORK_TOTAL_WAIT_TIME: '1m' }],
    ] as [string[], Record<string, string>][]) {
      const r = spawnSync(process.execPath, [cliPath(), 'controller', '--kubeconfig', c.kubeconfigPath, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  });
});
