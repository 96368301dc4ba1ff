// The network plugins' pure parts, as OpenKruiseGame's: the host port allocator (least used,
// lowest first, same number reusable), ContainerPorts parsing and how ports reach containers,
// the node address order, Kubernetes-NodePort's steps, Kubernetes-Ingress's objects, and the
// GameServer's networkStatus and wait.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IndexedCache, type Informer, type KubeObject } from '../../src/kube/index.js';
import { NETWORK_TYPES } from '../../src/api/index.js';
import { HostPortAllocator, HostPortPlugin, parseContainerPorts, parsePortRange } from '../../src/controller/network/host-port.js';
import { NodePortPlugin } from '../../src/controller/network/node-port.js';
import { IngressPlugin, parseIngressConfig, serverIngress } from '../../src/controller/network/ingress.js';
import { nodeAddress, paramsHash, type NetworkConfParam, type NetworkView } from '../../src/controller/network/plugin.js';
import { allowNotReadyStep, inPlaceUpdateHook } from '../../src/controller/network/allow-not-ready.js';
import { encodeNetworkStatus, gameServerNetworkStatus, networkWait, networkWaitFromEnv } from '../../src/controller/network/status.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A pod cache the allocator indexes (the informer's own store; nothing is listed). */
function podInformer(): Informer {
  const handlers: Json[] = [];
  return { cache: new IndexedCache(), handlers, addEventHandler: (h: Json) => (handlers.push(h), () => undefined) } as unknown as Informer;
}

/** Puts the pod in the cache and tells the handlers, as the informer does. */
function add(pods: Informer, pod: KubeObject): void {
  pods.cache.upsert(pod);
  for (const h of (pods as unknown as { handlers: Json[] }).handlers) h.onAdd(pod);
}

function hostPortPod(name: string, hostPorts: number[], extra: Json = {}): KubeObject {
  return {
    metadata: { name, namespace: 'g', annotations: { 'game.kruise.io/network-type': 'Kubernetes-HostPort' }, ...extra },
    spec: { containers: [{ name: 'engine', ports: hostPorts.map((hostPort) => ({ containerPort: 7777, hostPort, protocol: 'UDP' })) }] },
  };
}

function view(pod: Json, more: Partial<NetworkView> = {}): NetworkView {
  return { pod, conf: [], disabled: false, status: undefined, node: undefined, set: undefined, service: () => undefined, ingress: () => undefined, ...more };
}

const node = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.1.1' }, { type: 'Hostname', address: 'n1' }] } };

describe('the plugins', () => {
  it('are the networkTypes src/api says hotpod has (field-support names any other)', () => {
    const plugins = [new HostPortPlugin(new HostPortAllocator(podInformer(), { min: 1, max: 2 })), new NodePortPlugin(), new IngressPlugin()];
    assert.deepEqual(plugins.map((p) => p.name), [...NETWORK_TYPES]);
  });
});

describe('Kubernetes-HostPort', () => {
  it('hands out the least used ports, lowest first, and counts the pods the cache shows (live ones only)', () => {
    const pods = podInformer();
    const a = new HostPortAllocator(pods, { min: 8000, max: 8002 });
    assert.deepEqual(a.allocate('g/a', 2), [8000, 8001]);
    assert.deepEqual(a.allocate('g/b', 1), [8002]);
    // All used once: the same numbers again (a host port is per node), least used first.
    assert.deepEqual(a.allocate('g/c', 2), [8000, 8001]);
    a.release('g/c');
    // The cache shows a and b: their holds end, the index counts them.
    add(pods, hostPortPod('a', [8000, 8001]));
    add(pods, hostPortPod('b', [8002]));
    assert.deepEqual([8000, 8001, 8002].map((p) => a.usage(p)), [1, 1, 1]);
    // A terminating pod frees its ports; a restarted allocator reads the cache as it is.
    pods.cache.upsert(hostPortPod('a', [8000, 8001], { deletionTimestamp: '2024-01-01T00:00:00Z' }));
    const restarted = new HostPortAllocator(pods, { min: 8000, max: 8002 });
    assert.deepEqual(restarted.allocate('g/d', 1), [8000]);
    assert.throws(() => restarted.allocate('g/e', 4), /insufficient port range: need 4 ports but range only has 3/);
  });

  it('parses ContainerPorts as OKG: containers the pod has, TCP by default, SameAsHost, bad ports skipped', () => {
    const conf = [{ name: 'ContainerPorts', value: 'engine:7777/UDP,x,SameAsHost/TCPUDP,80' }, { name: 'ContainerPorts', value: 'ghost:1' }];
    const parsed = parseContainerPorts(conf, ['engine']);
    assert.equal(parsed.count, 3);
    assert.deepEqual(parsed.ports.get('engine'), [
      { port: 7777, protocol: 'UDP' },
      { port: -1, protocol: 'TCPUDP' },
      { port: 80, protocol: 'TCP' },
    ]);
  });

  it('adds the ports to the containers from the last allocated backwards; status from pod IP and node address', () => {
    const pods = podInformer();
    const plugin = new HostPortPlugin(new HostPortAllocator(pods, { min: 9000, max: 9010 }));
    const pod: Json = { metadata: { name: 'a-0', namespace: 'g' }, spec: { containers: [{ name: 'engine', ports: [{ containerPort: 1 }] }, { name: 'side' }] } };
    plugin.onPodAdded(pod, [{ name: 'ContainerPorts', value: 'engine:7777/UDP,SameAsHost/TCPUDP' }]);
    assert.deepEqual(pod.spec.containers[0].ports, [
      { containerPort: 1 },
      { containerPort: 7777, hostPort: 9001, protocol: 'UDP' },
      { containerPort: 9000, hostPort: 9000, protocol: 'TCP' },
      { containerPort: 9000, hostPort: 9000, protocol: 'UDP' },
    ]);
    assert.equal(pod.spec.containers[1].ports, undefined);
    assert.deepEqual(plugin.onPodUpdated(view(pod)), {}, 'no node: the finding stays');
    assert.deepEqual(plugin.onPodUpdated(view(pod, { node })), { status: { currentNetworkState: 'NotReady' } }, 'no pod IP yet');
    const ready = plugin.onPodUpdated(view({ ...pod, status: { podIP: '127.100.1.5' } }, { node })).status!;
    assert.equal(ready.currentNetworkState, 'Ready');
    assert.deepEqual(ready.externalAddresses, [
      {
        ip: '127.0.1.1',
        ports: [
          { name: 'engine-7777', port: 9001, protocol: 'UDP' },
          { name: 'engine-9000', port: 9000, protocol: 'TCP' },
          { name: 'engine-9000', port: 9000, protocol: 'UDP' },
        ],
      },
    ]);
    assert.deepEqual(ready.internalAddresses![0]!.ports![0], { name: 'engine-7777', port: 7777, protocol: 'UDP' });
  });

  it('takes the range as min-max with 0 < min < max', () => {
    assert.deepEqual(parsePortRange('8000-9000'), { min: 8000, max: 9000 });
    for (const bad of ['9000-8000', '0-10', '8000', '1-70000']) assert.throws(() => parsePortRange(bad));
  });
});

describe('the node address', () => {
  it('is ExternalIP, an ExternalDNS name over it, else InternalIP, an InternalDNS name over that', () => {
    const n = (...addresses: [string, string][]) => ({ status: { addresses: addresses.map(([type, address]) => ({ type, address })) } });
    assert.equal(nodeAddress(n(['InternalIP', '10.0.0.1'], ['ExternalIP', '34.1.2.3'])), '34.1.2.3');
    assert.equal(nodeAddress(n(['ExternalIP', '34.1.2.3'], ['ExternalDNS', 'n.example.com'], ['InternalDNS', 'n.internal'])), 'n.example.com');
    assert.equal(nodeAddress(n(['InternalIP', '10.0.0.1'], ['Hostname', 'n'])), '10.0.0.1');
    assert.equal(nodeAddress(n(['InternalIP', '10.0.0.1'], ['InternalDNS', 'n.internal'])), 'n.internal');
    assert.equal(nodeAddress(n(['ExternalIP', 'not-an-ip'])), '');
  });
});

describe('Kubernetes-NodePort', () => {
  const conf: NetworkConfParam[] = [{ name: 'PortProtocols', value: '7777/UDP,80' }];
  const pod = { metadata: { name: 'np-0', namespace: 'g', uid: 'u-pod' }, spec: { nodeName: 'n1' }, status: { podIP: '127.100.1.2' } };
  const plugin = new NodePortPlugin();

  it('goes step by step: Service made, rewritten for new parameters (node ports kept), selector swapped, then Ready', () => {
    const made = plugin.onPodUpdated(view(pod, { conf, node }));
    assert.equal(made.status?.currentNetworkState, 'NotReady');
    const svc = (made.writes![0] as { object: Json }).object;
    assert.deepEqual(svc.spec, {
      type: 'NodePort',
      selector: { 'statefulset.kubernetes.io/pod-name': 'np-0' },
      ports: [
        { name: '7777', port: 7777, protocol: 'UDP', targetPort: 7777 },
        { name: '80', port: 80, protocol: 'TCP', targetPort: 80 },
      ],
    });
    assert.deepEqual(svc.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: 'np-0', uid: 'u-pod', controller: true, blockOwnerDeletion: true }]);

    const allocated = { ...svc, spec: { ...svc.spec, ports: svc.spec.ports.map((p: Json, i: number) => ({ ...p, nodePort: 30000 + i })) } };
    const newConf = [{ name: 'PortProtocols', value: '7777/UDP,81' }];
    const rewrite = plugin.onPodUpdated(view(pod, { conf: newConf, node, service: () => allocated })).writes![0] as Json;
    assert.deepEqual(rewrite.patch.spec.ports, [
      { name: '7777', port: 7777, protocol: 'UDP', targetPort: 7777, nodePort: 30000 },
      { name: '81', port: 81, protocol: 'TCP', targetPort: 81 },
    ]);

    const swap = plugin.onPodUpdated(view(pod, { conf, node, disabled: true, service: () => allocated })).writes![0] as Json;
    assert.deepEqual(swap.patch.spec.selector, { 'statefulset.kubernetes.io/pod-name': null, 'game.kruise.io/svc-selector-disabled': 'np-0' });

    const ready = plugin.onPodUpdated(view(pod, { conf, node, service: () => allocated }));
    assert.equal(ready.writes, undefined);
    assert.deepEqual(ready.status, {
      currentNetworkState: 'Ready',
      internalAddresses: [
        { ip: '127.100.1.2', ports: [{ name: '7777', port: 7777, protocol: 'UDP' }] },
        { ip: '127.100.1.2', ports: [{ name: '80', port: 80, protocol: 'TCP' }] },
      ],
      externalAddresses: [
        { ip: '127.0.1.1', ports: [{ name: '7777', port: 30000, protocol: 'UDP' }] },
        { ip: '127.0.1.1', ports: [{ name: '80', port: 30001, protocol: 'TCP' }] },
      ],
    });
  });

  it('says Waiting for an unscheduled pod with a finding; Fixed owns the Service by the set and keeps it', () => {
    const unscheduled = { ...pod, spec: {} };
    assert.deepEqual(plugin.onPodUpdated(view(unscheduled, { conf })), {});
    assert.equal(plugin.onPodUpdated(view(unscheduled, { conf, status: { currentNetworkState: 'Ready' } })).status?.currentNetworkState, 'Waiting');
    const set = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 'np', uid: 'u-set' } };
    const fixed = [...conf, { name: 'Fixed', value: 'true' }];
    const svc = (plugin.onPodUpdated(view(pod, { conf: fixed, node, set })).writes![0] as { object: Json }).object;
    assert.deepEqual(svc.metadata.ownerReferences, [{ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'np', uid: 'u-set', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(plugin.onPodDeleted(view(pod, { conf: fixed, service: () => svc })), []);
    assert.equal(plugin.onPodDeleted(view(pod, { conf, service: () => svc }))[0]?.verb, 'delete');
    assert.equal(plugin.onPodUpdated(view(pod, { conf: [{ name: 'Fixed', value: 'yes' }] })).error?.type, 'parameterError');
  });
});

describe('AllowNotReadyContainers', () => {
  const conf = [{ name: 'AllowNotReadyContainers', value: 'sidecar' }];
  const blocked = (state: string, updating: string[], ready = true) => ({
    metadata: { labels: { 'lifecycle.apps.kruise.io/state': state }, annotations: { 'game.kruise.io/gs-updating-containers': JSON.stringify(updating) } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const svc = (publish: boolean) => ({ spec: { publishNotReadyAddresses: publish } });

  it("adds OKG's hook label to the set's inPlaceUpdate hook, and only then", () => {
    assert.deepEqual(inPlaceUpdateHook({ markPodNotReady: true }, { networkConf: conf }), { markPodNotReady: true, labelsHandler: { 'game.kruise.io/inplace-update-not-ready-blocker': 'true' } });
    assert.equal(inPlaceUpdateHook(undefined, { networkConf: [] }), undefined);
  });

  it('publishes not-ready addresses before releasing an update of an allowed container, and stops once Ready', () => {
    assert.deepEqual(allowNotReadyStep(conf, blocked('PreparingUpdate', ['sidecar']), svc(false)), { publishNotReadyAddresses: true });
    assert.deepEqual(allowNotReadyStep(conf, blocked('PreparingUpdate', ['sidecar']), svc(true)), { blocker: 'false' });
    assert.deepEqual(allowNotReadyStep(conf, blocked('PreparingUpdate', ['engine']), svc(false)), { blocker: 'false' }, 'another container: released at once');
    assert.deepEqual(allowNotReadyStep(conf, blocked('Updated', [], false), svc(true)), { blocker: 'true' });
    assert.deepEqual(allowNotReadyStep(conf, blocked('Updated', []), svc(true)), { blocker: 'true', publishNotReadyAddresses: false });
    assert.deepEqual(allowNotReadyStep([], blocked('PreparingUpdate', ['sidecar']), svc(false)), {});
  });
});

describe('Kubernetes-Ingress', () => {
  const pod = { metadata: { name: 'ing-12', namespace: 'g', uid: 'u' }, status: { podIP: '127.100.0.9' } };

  it("builds the manual's Ingress: <id> in paths and host, extra paths take the first type and port, tls, annotations", () => {
    const ic = parseIngressConfig(
      [
        { name: 'Path', value: '/game<id>(/|$)(.*)' },
        { name: 'Path', value: '/test-<id>' },
        { name: 'PathType', value: 'Prefix' },
        { name: 'Port', value: '80' },
        { name: 'Host', value: 's<id>.example.com' },
        { name: 'TlsSecretName', value: 'cert' },
        { name: 'Annotation', value: 'a: b' },
      ],
      'ing-12',
    );
    const ing = serverIngress(ic, pod, undefined);
    assert.deepEqual(ing.spec, {
      rules: [
        {
          host: 's12.example.com',
          http: {
            paths: ['/game12(/|$)(.*)', '/test-12'].map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: 'ing-12', port: { number: 80 } } } })),
          },
        },
      ],
      tls: [{ secretName: 'cert' }],
    });
    assert.deepEqual(ing.metadata!.annotations, { a: 'b', 'game.kruise.io/ingress-hash': paramsHash(ic) });
    for (const bad of [[{ name: 'Path', value: '/a' }], [{ name: 'Path', value: '/<id>/<id>' }, { name: 'PathType', value: 'Prefix' }, { name: 'Port', value: '1' }], [{ name: 'Annotation', value: 'no-space:x' }]]) {
      assert.throws(() => parseIngressConfig(bad, 'ing-1'), /Network Config Params Error/);
    }
  });

  it('makes the Service, then the Ingress, then reports the paths inside at the pod IP and outside at the host', () => {
    const conf = [
      { name: 'Path', value: '/g<id>' },
      { name: 'PathType', value: 'Exact' },
      { name: 'Port', value: '8080' },
      { name: 'Host', value: 'h.example.com' },
    ];
    const plugin = new IngressPlugin();
    const first = plugin.onPodUpdated(view(pod, { conf }));
    const svc = (first.writes![0] as { object: Json }).object;
    assert.equal(svc.kind, 'Service');
    assert.deepEqual(svc.spec.ports, [{ port: 8080, name: '8080' }]);
    const second = plugin.onPodUpdated(view(pod, { conf, service: () => svc }));
    const ing = (second.writes![0] as { object: Json }).object;
    assert.equal(ing.kind, 'Ingress');
    const ready = plugin.onPodUpdated(view(pod, { conf, service: () => svc, ingress: () => ing })).status!;
    assert.deepEqual(ready, {
      currentNetworkState: 'Ready',
      internalAddresses: [{ ip: '127.100.0.9', ports: [{ name: '/g12', port: 8080 }] }],
      externalAddresses: [{ ip: '', endPoint: 'h.example.com', ports: [{ name: '/g12', port: 8080 }] }],
    });
  });
});

describe('GameServer networkStatus', () => {
  const t0 = '2024-05-01T10:00:00Z';
  const t1 = '2024-05-01T10:00:30Z';

  it('is made with createTime, copies the finding, and moves lastTransitionTime with the desired state only', () => {
    const first = gameServerNetworkStatus(undefined, { type: 'Kubernetes-HostPort', status: undefined, disabled: false }, t0)!;
    assert.deepEqual(first, { networkType: 'Kubernetes-HostPort', desiredNetworkState: 'Ready', currentNetworkState: 'NotReady', createTime: t0, lastTransitionTime: t0 });
    const finding = { currentNetworkState: 'Ready', externalAddresses: [{ ip: '1.2.3.4', ports: [{ name: 'p', port: 8000 }] }] };
    const ready = gameServerNetworkStatus(first, { type: 'Kubernetes-HostPort', status: finding, disabled: false }, t1)!;
    assert.deepEqual(ready, { ...first, currentNetworkState: 'Ready', externalAddresses: finding.externalAddresses });
    assert.deepEqual(gameServerNetworkStatus(ready, { type: 'Kubernetes-HostPort', status: finding, disabled: false }, t1), ready, 'the same finding: the same status');
    const disabled = gameServerNetworkStatus(ready, { type: 'Kubernetes-HostPort', status: finding, disabled: true }, t1)!;
    assert.equal(disabled.desiredNetworkState, 'NotReady');
    assert.equal(disabled.lastTransitionTime, t1);
    assert.equal(gameServerNetworkStatus(ready, { type: undefined, status: undefined, disabled: false }, t1), undefined, 'no network');
  });

  it("waits as OKG: every interval while desired and current differ, up to the total since lastTransitionTime", () => {
    const config = { totalWaitMs: 60_000, intervalMs: 5_000 };
    const s = { desiredNetworkState: 'Ready', currentNetworkState: 'NotReady', lastTransitionTime: t0 };
    assert.deepEqual(networkWait(s, Date.parse(t0) + 10_000, config), { recheckInMs: 5_000 });
    assert.deepEqual(networkWait(s, Date.parse(t0) + 61_000, config), { timedOutAfterMs: 61_000 });
    assert.deepEqual(networkWait({ ...s, currentNetworkState: 'Ready' }, Date.parse(t0), config), {});
    assert.deepEqual(networkWaitFromEnv({ NETWORK_TOTAL_WAIT_TIME: '120', NETWORK_PROBE_INTERVAL_TIME: '1' }), { totalWaitMs: 120_000, intervalMs: 1_000 });
    assert.throws(() => networkWaitFromEnv({ NETWORK_TOTAL_WAIT_TIME: '1m' }), /NETWORK_TOTAL_WAIT_TIME/);
  });

  it("the pod annotation is OKG's JSON: its field order, empty fields left out, unset times null", () => {
    assert.equal(
      encodeNetworkStatus({ currentNetworkState: 'Ready', externalAddresses: [{ ip: '1.2.3.4', ports: [{ name: 'p', port: 8000, protocol: 'UDP' }] }], internalAddresses: [] }),
      '{"externalAddresses":[{"ip":"1.2.3.4","ports":[{"name":"p","protocol":"UDP","port":8000}]}],"currentNetworkState":"Ready","createTime":null,"lastTransitionTime":null}',
    );
  });
});
