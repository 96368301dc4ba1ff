// Kubernetes-NodePort as OpenKruiseGame's: a NodePort Service per GameServer, named as its pod
// and selecting it by statefulset.kubernetes.io/pod-name, owned by the pod (or, Fixed, by the
// set); the GameServer's networkStatus gives the node's address and the node ports.
// networkDisabled moves the selector to game.kruise.io/svc-selector-disabled and back; a
// changed networkConf reaches the pods by the rollout and the Service by its hash; a deleted
// pod's Service goes with it unless Fixed. AllowNotReadyContainers keeps a server in its Service
// while an in-place update restarts only such a container.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, rawWatch, waitFor, type Cluster } from '../helpers/cluster.js';
import { SIDECAR_V2, WAIT_MS, applyGss, getGs, gss, kubectl, namespace, patchGs, patchGss, podsOf, podsPath, setSidecarImage, startGssCluster, waitSettled, type Json } from './helpers.js';

const svcPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/services${name ? `/${name}` : ''}`;

async function service(c: Cluster, ns: string, name: string): Promise<Json | undefined> {
  const r = await api(c, 'GET', svcPath(ns, name));
  return r.status === 200 ? r.body : undefined;
}

/**
 * The API server allocates node ports (kube's, and hotpod's once it does); where it has not, the
 * test gives them, as a user may: the plugin reads whatever the Service holds.
 */
async function withNodePorts(c: Cluster, ns: string, name: string, base: number): Promise<Json> {
  const svc = await waitFor(() => service(c, ns, name), `Service ${name}`, WAIT_MS);
  const ports = svc.spec.ports as Json[];
  if (ports.every((p) => p.nodePort)) return svc;
  const patched = ports.map((p, i) => ({ ...p, nodePort: p.nodePort ?? base + i }));
  return apiOk(c, 'PATCH', svcPath(ns, name), { spec: { ports: patched } }, { contentType: 'application/merge-patch+json' });
}

async function nodeInternalIP(c: Cluster, node: string): Promise<string> {
  const n = await apiOk(c, 'GET', `/api/v1/nodes/${node}`);
  return (n.status.addresses as Json[]).find((a) => a.type === 'InternalIP')!.address;
}

async function waitNetwork(c: Cluster, ns: string, name: string, what: string, ok: (s: Json) => boolean): Promise<Json> {
  let last: unknown;
  try {
    return await waitFor(
      async () => {
        const s = (await getGs(c, ns, name)).status?.networkStatus;
        last = s;
        return s && ok(s) ? s : undefined;
      },
      `${ns}/${name} networkStatus ${what}`,
      WAIT_MS,
      250,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast: ${JSON.stringify(last)}`);
  }
}

describe('Kubernetes-NodePort', { timeout: 300_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a Service per GameServer, its node ports in networkStatus, networkDisabled, a networkConf change, a deleted pod', async () => {
    const ns = await namespace(c, 'net-nodeport');
    const manifest = gss('np', ns, { replicas: 2 });
    manifest.spec.network = { networkType: 'Kubernetes-NodePort', networkConf: [{ name: 'PortProtocols', value: '7777/UDP,7778' }] };
    await applyGss(c, manifest);
    const pods = await waitSettled(c, ns, 'np', ['np-0', 'np-1']);

    // The Service as OKG makes it.
    const svc0 = await waitFor(() => service(c, ns, 'np-0'), 'Service np-0', WAIT_MS);
    assert.equal(svc0.spec.type, 'NodePort');
    assert.deepEqual(svc0.spec.selector, { 'statefulset.kubernetes.io/pod-name': 'np-0' });
    assert.deepEqual(
      (svc0.spec.ports as Json[]).map(({ name, port, protocol, targetPort }) => ({ name, port, protocol, targetPort })),
      [
        { name: '7777', port: 7777, protocol: 'UDP', targetPort: 7777 },
        { name: '7778', port: 7778, protocol: 'TCP', targetPort: 7778 },
      ],
    );
    assert.ok(svc0.metadata.annotations['game.kruise.io/svc-hash'], 'the hash of its parameters');
    assert.deepEqual(svc0.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: 'np-0', uid: pods.get('np-0')!.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    // networkStatus: the node's address and the node ports outside, the pod IP and the ports inside, one address per port.
    const withPorts = await withNodePorts(c, ns, 'np-0', 30777);
    const [udp, tcp] = (withPorts.spec.ports as Json[]).map((p) => p.nodePort as number);
    const pod0 = pods.get('np-0')!;
    const nodeIP = await nodeInternalIP(c, pod0.spec.nodeName);
    const ready = await waitNetwork(c, ns, 'np-0', 'Ready', (s) => s.currentNetworkState === 'Ready');
    assert.equal(ready.networkType, 'Kubernetes-NodePort');
    assert.equal(ready.desiredNetworkState, 'Ready');
    assert.deepEqual(ready.externalAddresses, [
      { ip: nodeIP, ports: [{ name: '7777', port: udp, protocol: 'UDP' }] },
      { ip: nodeIP, ports: [{ name: '7778', port: tcp, protocol: 'TCP' }] },
    ]);
    assert.deepEqual(ready.internalAddresses, [
      { ip: pod0.status.podIP, ports: [{ name: '7777', port: 7777, protocol: 'UDP' }] },
      { ip: pod0.status.podIP, ports: [{ name: '7778', port: 7778, protocol: 'TCP' }] },
    ]);
    const out = await kubectl(c, ns, ['get', 'gs', 'np-0', '-o', 'jsonpath={..networkStatus.externalAddresses[0].ports[0].port}']);
    assert.equal(out.trim(), String(udp));

    // networkDisabled: the Service selects on a key no pod carries; desiredNetworkState NotReady.
    await patchGs(c, ns, 'np-0', { spec: { networkDisabled: true } });
    await waitFor(async () => ((await service(c, ns, 'np-0'))?.spec.selector?.['game.kruise.io/svc-selector-disabled'] === 'np-0' ? true : undefined), 'selector moved to svc-selector-disabled', WAIT_MS);
    assert.deepEqual((await service(c, ns, 'np-0'))!.spec.selector, { 'game.kruise.io/svc-selector-disabled': 'np-0' });
    const disabled = await waitNetwork(c, ns, 'np-0', 'desired NotReady', (s) => s.desiredNetworkState === 'NotReady');
    assert.ok(Date.parse(disabled.lastTransitionTime) >= Date.parse(ready.lastTransitionTime), 'lastTransitionTime moves with the desired state');
    assert.equal((await apiOk(c, 'GET', podsPath(ns, 'np-0'))).metadata.labels['game.kruise.io/network-disabled'], 'true');
    await patchGs(c, ns, 'np-0', { spec: { networkDisabled: false } });
    await waitFor(async () => ((await service(c, ns, 'np-0'))?.spec.selector?.['statefulset.kubernetes.io/pod-name'] === 'np-0' ? true : undefined), 'selector back on the pod name', WAIT_MS);
    assert.deepEqual((await service(c, ns, 'np-0'))!.spec.selector, { 'statefulset.kubernetes.io/pod-name': 'np-0' });
    await waitNetwork(c, ns, 'np-0', 'desired Ready again', (s) => s.desiredNetworkState === 'Ready' && s.currentNetworkState === 'Ready');

    // A changed networkConf: the pods take it by the rollout (their template annotation), the
    // Service by its hash; the node port of the port that stays is kept.
    const hash = withPorts.metadata.annotations['game.kruise.io/svc-hash'];
    await patchGss(c, ns, 'np', { spec: { network: { networkType: 'Kubernetes-NodePort', networkConf: [{ name: 'PortProtocols', value: '7777/UDP,7779' }] } } });
    const rewritten = await waitFor(
      async () => {
        const s = await service(c, ns, 'np-0');
        return s && s.metadata.annotations['game.kruise.io/svc-hash'] !== hash ? s : undefined;
      },
      'Service np-0 rewritten for the new parameters',
      WAIT_MS,
    );
    assert.deepEqual(
      (rewritten.spec.ports as Json[]).map(({ port, protocol, nodePort }) => ({ port, protocol, nodePort: port === 7777 ? nodePort : 'any' })),
      [
        { port: 7777, protocol: 'UDP', nodePort: udp },
        { port: 7779, protocol: 'TCP', nodePort: 'any' },
      ],
    );
    assert.equal(rewritten.metadata.uid, svc0.metadata.uid, 'the same Service, changed');
    assert.ok(JSON.parse((await apiOk(c, 'GET', podsPath(ns, 'np-0'))).metadata.annotations['game.kruise.io/network-conf'])[0].value.includes('7779'));

    // A deleted pod's Service goes with it; the new pod gets its own.
    const svc1 = await waitFor(() => service(c, ns, 'np-1'), 'Service np-1', WAIT_MS);
    await apiOk(c, 'DELETE', podsPath(ns, 'np-1'));
    const again = await waitFor(
      async () => {
        const pod = (await podsOf(c, ns, 'np')).get('np-1');
        const s = await service(c, ns, 'np-1');
        return pod && pod.metadata.uid !== pods.get('np-1')!.metadata.uid && s && s.metadata.ownerReferences?.[0]?.uid === pod.metadata.uid ? s : undefined;
      },
      'np-1 made again, with a Service of its own',
      WAIT_MS,
    );
    assert.notEqual(again.metadata.uid, svc1.metadata.uid, 'the old Service was deleted');
  });

  it('Fixed: the Service belongs to the set and outlives the pod', async () => {
    const ns = await namespace(c, 'net-nodeport-fixed');
    const manifest = gss('npf', ns, { replicas: 1 });
    manifest.spec.network = {
      networkType: 'Kubernetes-NodePort',
      networkConf: [
        { name: 'PortProtocols', value: '7777' },
        { name: 'Fixed', value: 'true' },
      ],
    };
    await applyGss(c, manifest);
    const pods = await waitSettled(c, ns, 'npf', ['npf-0']);
    const set = await apiOk(c, 'GET', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameserversets/npf`);
    const svc = await withNodePorts(c, ns, 'npf-0', 31777);
    assert.deepEqual(svc.metadata.ownerReferences, [{ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'npf', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await waitNetwork(c, ns, 'npf-0', 'Ready', (s) => s.currentNetworkState === 'Ready');

    await apiOk(c, 'DELETE', podsPath(ns, 'npf-0'));
    const next = await waitFor(
      async () => {
        const pod = (await podsOf(c, ns, 'npf')).get('npf-0');
        return pod && pod.metadata.uid !== pods.get('npf-0')!.metadata.uid && pod.status?.podIP ? pod : undefined;
      },
      'npf-0 made again',
      WAIT_MS,
    );
    const status = await waitNetwork(c, ns, 'npf-0', 'Ready for the new pod', (s) => s.currentNetworkState === 'Ready' && s.internalAddresses?.[0]?.ip === next.status.podIP);
    const kept = (await service(c, ns, 'npf-0'))!;
    assert.equal(kept.metadata.uid, svc.metadata.uid, 'the same Service');
    assert.equal(status.externalAddresses[0].ports[0].port, svc.spec.ports[0].nodePort, 'the same node port');
  });

  it('AllowNotReadyContainers: an in-place update of the sidecar waits until the Service publishes not-ready addresses, which ends once the pod is Ready', async () => {
    const ns = await namespace(c, 'net-nodeport-allow');
    const manifest = gss('npa', ns, { replicas: 1, policy: 'InPlaceIfPossible' });
    manifest.spec.network = {
      networkType: 'Kubernetes-NodePort',
      networkConf: [
        { name: 'PortProtocols', value: '7777' },
        { name: 'AllowNotReadyContainers', value: 'sidecar' },
      ],
    };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'npa', ['npa-0']);
    const blocker = 'game.kruise.io/inplace-update-not-ready-blocker';
    await waitFor(async () => ((await apiOk(c, 'GET', podsPath(ns, 'npa-0'))).metadata.labels[blocker] === 'true' ? true : undefined), 'the hook label armed on the pod', WAIT_MS);
    const svc = await waitFor(() => service(c, ns, 'npa-0'), 'Service npa-0', WAIT_MS);
    const watch = rawWatch(c, `${svcPath(ns)}?watch=true&resourceVersion=${svc.metadata.resourceVersion}&fieldSelector=${encodeURIComponent('metadata.name=npa-0')}`);
    try {
      await setSidecarImage(c, ns, 'npa', SIDECAR_V2);
      const pod = await waitFor(
        async () => {
          const p = await apiOk(c, 'GET', podsPath(ns, 'npa-0'));
          const updated = (p.status?.containerStatuses ?? []).some((s: Json) => s.name === 'sidecar' && s.image === SIDECAR_V2);
          return updated && p.metadata.labels[blocker] === 'true' && (await service(c, ns, 'npa-0'))?.spec.publishNotReadyAddresses !== true ? p : undefined;
        },
        'the sidecar updated, publishing ended and the hook armed again',
        WAIT_MS,
        250,
      );
      assert.equal(pod.metadata.labels['lifecycle.apps.kruise.io/state'] === 'PreparingUpdate', false);
      const published = watch.events.map((e) => e.object?.spec?.publishNotReadyAddresses === true);
      assert.ok(published.includes(true), 'the Service published not-ready addresses during the update');
      assert.equal(published[published.length - 1], false, 'and stopped once the pod was Ready');
    } finally {
      watch.close();
    }
  });
});
