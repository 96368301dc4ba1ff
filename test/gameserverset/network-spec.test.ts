// spec.network as OpenKruiseGame's webhook and manual have it: the manual's example manifests
// apply with kubectl 1.35 (strict field validation); a networkType hotpod has no plugin for (a
// cloud provider's) still makes the servers, and the set and each GameServer name it in the
// FieldsNotActedOn condition and a Warning Event; changing networkType is refused with 422 and
// a field cause ("change network type is not allowed"), a network without one too, while a
// changed networkConf is taken. Parameters a plugin cannot read are a Warning Event on the pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, runKubectl, waitFor, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';
import { WAIT_MS, applyGss, getGs, getGss, gss, gssPath, kubectl, namespace, podsOf, startGssCluster, waitSettled, type Json } from './helpers.js';

const NOT_ACTED_ON = 'FieldsNotActedOn';

/** The manual's two examples (docs/en/user_manuals/network.md), as written but for the namespace. */
const manualHostPort = (ns: string) => `apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: gs-hostport
  namespace: ${ns}
spec:
  replicas: 1
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  network:
    networkType: Kubernetes-HostPort
    networkConf:
    # The network configuration is specified in the form of a key-value pair. The network configuration is determined by the network plugin. Different network plugins correspond to different network configurations.
    - name: ContainerPorts
      # The value of ContainerPorts is in the following format: {containerName}:{port1}/{protocol1},{port2}/{protocol2},...
      value: "gameserver:80"
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:network
          name: gameserver
`;

const manualNatgw = (ns: string) => `apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: gs-natgw
  namespace: ${ns}
spec:
  replicas: 1
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  network:
    networkType: AlibabaCloud-NATGW
    networkConf:
    - name: Ports
      # The ports to be exposed. The value is in the following format: {port1},{port2}...
      value: "80"
    - name: Protocol
      # The protocol. The value is TCP by default.
      value: "TCP"
#   - name: Fixed
# Specify whether the mapping relationship is fixed. By default, the mapping relationship is not fixed, that is, a new external IP address and port are generated after the pod is deleted.
#     value: true
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:network
          name: gameserver
`;

async function gsEvents(c: Cluster, ns: string, name: string, kind: string): Promise<Json[]> {
  const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},involvedObject.kind=${kind}`)}`);
  return list.items as Json[];
}

describe('GameServerSet spec.network', { timeout: 300_000 }, () => {
  let c: Cluster;
  let ns: string;

  before(async () => {
    c = await startGssCluster();
    ns = await namespace(c, 'net-spec');
  });
  after(async () => {
    await c?.cleanup();
  });

  it("the manual's HostPort example applies strictly and gets a host port of the default range", async () => {
    await kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: manualHostPort(ns) });
    await waitSettled(c, ns, 'gs-hostport', ['gs-hostport-0']);
    const status = await waitFor(async () => {
      const s = (await getGs(c, ns, 'gs-hostport-0')).status?.networkStatus;
      return s?.currentNetworkState === 'Ready' ? s : undefined;
    }, 'gs-hostport-0 network Ready', WAIT_MS);
    const port = status.externalAddresses[0].ports[0];
    assert.equal(port.name, 'gameserver-80');
    assert.ok(port.port >= 8000 && port.port <= 9000, `host port ${port.port} in OKG's default 8000-9000`);
    assert.deepEqual(status.internalAddresses[0].ports, [{ name: 'gameserver-80', port: 80, protocol: 'TCP' }]);
  });

  it("a cloud provider's networkType (the manual's NATGW example): servers made, no address, named on the set and each GameServer", async () => {
    await kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: manualNatgw(ns) });
    const pods = await waitSettled(c, ns, 'gs-natgw', ['gs-natgw-0']);
    assert.equal(pods.get('gs-natgw-0')!.metadata.annotations['game.kruise.io/network-type'], 'AlibabaCloud-NATGW');
    const said = "spec.network.networkType: networkType AlibabaCloud-NATGW is a cloud provider's plugin hotpod does not have; no address is given";

    const setCondition = await waitFor(async () => ((await getGss(c, ns, 'gs-natgw')).status?.conditions ?? []).find((x: Json) => x.type === NOT_ACTED_ON), 'FieldsNotActedOn on the set', WAIT_MS);
    assert.equal(setCondition.status, 'True');
    assert.equal(setCondition.message, said);
    const setWarning = await waitFor(async () => (await gsEvents(c, ns, 'gs-natgw', 'GameServerSet')).find((e) => e.reason === NOT_ACTED_ON), 'a Warning Event on the set', WAIT_MS);
    assert.equal(setWarning.type, 'Warning');
    assert.equal(setWarning.message, said);

    const gs = await waitFor(async () => {
      const g = await getGs(c, ns, 'gs-natgw-0');
      return (g.status?.conditions ?? []).some((x: Json) => x.type === NOT_ACTED_ON) && g.status?.networkStatus ? g : undefined;
    }, 'FieldsNotActedOn and networkStatus on the GameServer', WAIT_MS);
    const gsCondition = (gs.status.conditions as Json[]).find((x) => x.type === NOT_ACTED_ON)!;
    assert.equal(gsCondition.status, 'True');
    assert.equal(gsCondition.message, said);
    const gsWarning = await waitFor(async () => (await gsEvents(c, ns, 'gs-natgw-0', 'GameServer')).find((e) => e.reason === NOT_ACTED_ON), 'a Warning Event on the GameServer', WAIT_MS);
    assert.equal(gsWarning.type, 'Warning');
    assert.equal(gsWarning.message, said);
    const { createTime, lastTransitionTime, ...network } = gs.status.networkStatus;
    assert.ok(createTime && lastTransitionTime);
    assert.deepEqual(network, { networkType: 'AlibabaCloud-NATGW', desiredNetworkState: 'Ready', currentNetworkState: 'NotReady' });
  });

  it('changing networkType is refused with 422 and a field cause; networkConf changes are taken', async () => {
    const r = await api(c, 'PATCH', gssPath(ns, 'gs-hostport'), { spec: { network: { networkType: 'Kubernetes-NodePort' } } }, { contentType: 'application/merge-patch+json' });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'Invalid');
    assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "string": change network type is not allowed', field: 'spec.network.networkType' }]);

    const changed = manualHostPort(ns).replace('networkType: Kubernetes-HostPort', 'networkType: Kubernetes-NodePort');
    const applied = await runKubectl(newestKubectl(), c, ['-n', ns, 'apply', '-f', '-'], { input: changed });
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /spec\.network\.networkType: Invalid value: "string": change network type is not allowed/);

    const missing = await api(c, 'PATCH', gssPath(ns, 'gs-natgw'), { spec: { network: { networkType: null } } }, { contentType: 'application/merge-patch+json' });
    assert.equal(missing.status, 422, missing.text);
    assert.deepEqual(
      (missing.body.details.causes as Json[]).map((x) => ({ reason: x.reason, field: x.field })),
      [{ reason: 'FieldValueRequired', field: 'spec.network.networkType' }],
    );

    await kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: manualHostPort(ns).replace('"gameserver:80"', '"gameserver:80/UDP"') });
    const set = await getGss(c, ns, 'gs-hostport');
    assert.equal(set.spec.network.networkConf[0].value, 'gameserver:80/UDP');
    // Taken as upstream: in the pods' template, so new pods get it (this one by the rollout).
    await waitFor(async () => ((await podsOf(c, ns, 'gs-hostport')).get('gs-hostport-0')?.metadata.annotations['game.kruise.io/network-conf'] ?? '').includes('80/UDP'), 'the pod takes the new networkConf', WAIT_MS);
  });

  it("parameters the plugin cannot read: OKG's Warning Event on the pod, nothing made, the network NotReady", async () => {
    const manifest = gss('bad', ns, { replicas: 1 });
    manifest.spec.network = {
      networkType: 'Kubernetes-NodePort',
      networkConf: [
        { name: 'PortProtocols', value: '7777' },
        { name: 'Fixed', value: 'maybe' },
      ],
    };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'bad', ['bad-0']);
    const warning = await waitFor(async () => (await gsEvents(c, ns, 'bad-0', 'Pod')).find((e) => e.reason === 'parameterError'), 'a parameterError Event on the pod', WAIT_MS);
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.message, `Failed to UPDATE pod ${ns}/bad-0 ,because of strconv.ParseBool: parsing "maybe": invalid syntax`);
    assert.equal((await api(c, 'GET', `/api/v1/namespaces/${ns}/services/bad-0`)).status, 404);
    const status = await waitFor(async () => (await getGs(c, ns, 'bad-0')).status?.networkStatus, 'networkStatus', WAIT_MS);
    assert.equal(status.currentNetworkState, 'NotReady');
  });
});
