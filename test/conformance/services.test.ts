// Services' node ports as kube-apiserver allocates them, through real kubectl and the HTTP API:
// given from 30000-32767 when not asked for, kept across patches and apply, refused when taken
// or out of range (kube's 422 and field cause), one number for TCP and UDP of one Service,
// freed when the Service goes or leaves NodePort; cluster IPs on loopback.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, ensureNamespace, kubectlOk, runKubectl, startCluster, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';

type Json = Record<string, any>;

const NS = 'svc';
const path = (name = '') => `/api/v1/namespaces/${NS}/services${name ? `/${name}` : ''}`;

function nodePortService(name: string, ports: Json[]): Json {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { type: 'NodePort', selector: { app: name }, ports } };
}

describe('Service node ports (kubectl 1.35)', { timeout: 120_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const kubectl = (args: string[], input?: string) => kubectlOk(k, c, args, input === undefined ? {} : { input });
  const get = (name: string): Promise<Json> => apiOk(c, 'GET', path(name));

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster({ inMemory: true });
    await ensureNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('gives a free node port, keeps it across patches and apply, shows it in PORT(S); the cluster IP is loopback', async () => {
    // (`kubectl create service` sends protobuf, which the embedded API server reads for a few kinds only.)
    await kubectl(['apply', '-f', '-'], JSON.stringify(nodePortService('game', [{ name: '7777-7777', port: 7777, targetPort: 7777 }])));
    const svc = await get('game');
    const nodePort = svc.spec.ports[0].nodePort as number;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    assert.match(svc.spec.clusterIP, /^127\./);
    assert.match(await kubectl(['get', 'svc', 'game', '-n', NS, '--no-headers']), new RegExp(`7777:${nodePort}/TCP`));
    await kubectl(['patch', 'svc', 'game', '-n', NS, '--type=merge', '-p', '{"metadata":{"labels":{"a":"b"}}}']);
    await kubectl(['patch', 'svc', 'game', '-n', NS, '-p', '{"spec":{"selector":{"app":"other"}}}']);
    assert.equal((await get('game')).spec.ports[0].nodePort, nodePort);
    // A manifest without nodePort (what a user keeps in git) applied over it keeps the number.
    await kubectl(['apply', '-f', '-'], JSON.stringify(nodePortService('applied', [{ port: 80, targetPort: 8080 }])));
    const applied = (await get('applied')).spec.ports[0].nodePort;
    await kubectl(['apply', '-f', '-'], JSON.stringify({ ...nodePortService('applied', [{ port: 80, targetPort: 8080 }]), metadata: { name: 'applied', namespace: NS, labels: { v: '2' } } }));
    assert.equal((await get('applied')).spec.ports[0].nodePort, applied);
    // A PUT that leaves it out keeps it too.
    const current = await get('applied');
    delete current.spec.ports[0].nodePort;
    assert.equal((await apiOk(c, 'PUT', path('applied'), current)).spec.ports[0].nodePort, applied);
  });

  it('refuses a taken node port or one out of range with kube\'s 422 and field cause', async () => {
    await apiOk(c, 'POST', path(), nodePortService('first', [{ port: 80, nodePort: 30080 }]));
    const taken = await runKubectl(k, c, ['apply', '-f', '-'], { input: JSON.stringify(nodePortService('second', [{ port: 80, nodePort: 30080 }])) });
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /The Service "second" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
    const r = await api(c, 'POST', path(), nodePortService('third', [{ port: 80 }, { port: 81, nodePort: 80 }]));
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.ports[1].nodePort', message: 'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767' }]);
    assert.equal((await api(c, 'GET', path('third'))).status, 404, 'nothing stored');
  });

  it('one number for TCP and UDP of one port; freed when the Service goes or leaves NodePort', async () => {
    const both = await apiOk(c, 'POST', path(), nodePortService('both', [{ name: 'tcp', port: 7000, protocol: 'TCP' }, { name: 'udp', port: 7000, protocol: 'UDP' }]));
    assert.equal(both.spec.ports[0].nodePort, both.spec.ports[1].nodePort);
    await apiOk(c, 'POST', path(), nodePortService('fixed', [{ port: 80, nodePort: 30999 }]));
    await kubectl(['delete', 'svc', 'fixed', '-n', NS]);
    await apiOk(c, 'POST', path(), nodePortService('again', [{ port: 80, nodePort: 30999 }]));
    await apiOk(c, 'PATCH', path('again'), { spec: { type: 'ClusterIP' } }, { contentType: 'application/merge-patch+json' });
    assert.equal((await get('again')).spec.ports[0].nodePort, undefined, 'dropped with the type');
    await apiOk(c, 'POST', path(), nodePortService('takes-it', [{ port: 80, nodePort: 30999 }]));
  });
});
