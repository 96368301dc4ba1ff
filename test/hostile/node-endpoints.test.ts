// The nodes' kubelet endpoints asked directly, as anyone on the host can: no token or an unknown
// one is 401, a token whose user may not use nodes/proxy is 403 (kubelet's webhook answers), and
// only then the containers and logs. `kubectl logs` and `hotpod node ps` keep working, as the API
// server and the CLI present credentials that may.
process.env.HOTPOD_NO_CONTROLLER = 'true';

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { apiOk, kubectlOk, runKubectl, type Cluster } from '../helpers/cluster.js';
import { createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod, type Json } from '../helpers/pods.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';
import { runHotpod } from '../helpers/cli.js';
import { assertControllerBecomesReady, assertStillServes, snapshot, type StoreSnapshot } from './helpers.js';

const NS = 'hostile-node';

/** The node's kubelet endpoint: its InternalIP (a loopback address of its own) and port. */
let host = '';

function kubeletGet(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    http
      .get({ host, port, path, headers, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('node kubelet endpoints need the API server credentials', { timeout: 180_000 }, () => {
  let c: Cluster;
  let port: number;
  let before0: StoreSnapshot;
  let nobody: string;
  const k = newestKubectl();
  const logsPath = `/containerLogs/${NS}/p/main`;

  before(async () => {
    c = await startNodeCluster({ nodes: 1 });
    await createNamespace(c, NS);
    await createPod(c, podManifest('p', NS, [{ name: 'main', image: 'registry.example.com/game/engine:v1' }]));
    await waitPod(c, NS, 'p', isReady, 'Ready');
    const node: Json = await apiOk(c, 'GET', '/api/v1/nodes/node-1');
    port = node.status.daemonEndpoints.kubeletEndpoint.Port;
    host = node.status.addresses.find((a: Json) => a.type === 'InternalIP').address;
    assert.match(host, /^127\.\d+\.1\.1$/);
    nobody = (await serviceAccountKubeconfig(c, NS, 'nobody')).token;
    before0 = await snapshot(c);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('answers 401 without a token, with an unknown one, or with a malformed header', async () => {
    for (const path of ['/containers', logsPath, '/healthz', '/nothing']) {
      const r = await kubeletGet(port, path);
      assert.deepEqual(r, { status: 401, body: 'Unauthorized' }, path);
    }
    assert.equal((await kubeletGet(port, '/containers', 'not-a-token')).status, 401);
    assert.equal((await kubeletGet(port, '/containers', `${c.token}x`)).status, 401);
    assert.equal((await kubeletGet(port, '/containers', '')).status, 401);
    await assertStillServes(c, before0);
  });

  it('answers 403 to a user without nodes/proxy, naming the user and the check', async () => {
    for (const path of ['/containers', logsPath]) {
      const r = await kubeletGet(port, path, nobody);
      assert.equal(r.status, 403, `${path}: ${r.body}`);
      assert.equal(r.body, `Forbidden (user=system:serviceaccount:${NS}:nobody, verb=get, resource=nodes, subresource(s)=[proxy])`);
    }
    const health = await kubeletGet(port, '/healthz', nobody);
    assert.equal(health.status, 403);
    assert.match(health.body, /subresource\(s\)=\[healthz\]/);
    await assertStillServes(c, before0);
  });

  it('serves a user RBAC allows nodes/proxy, and the admin', async () => {
    const reader = await serviceAccountKubeconfig(c, NS, 'node-reader');
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'hostile-node-proxy' },
      rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
    });
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'hostile-node-proxy' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'hostile-node-proxy' },
      subjects: [{ kind: 'ServiceAccount', name: 'node-reader', namespace: NS }],
    });
    const listed = await kubeletGet(port, '/containers', reader.token);
    assert.equal(listed.status, 200, listed.body);
    assert.ok((JSON.parse(listed.body) as Json[]).some((x) => x.pod?.name === 'p' && x.name === 'main'));
    const logs = await kubeletGet(port, logsPath, reader.token);
    assert.equal(logs.status, 200, logs.body);
    assert.equal((await kubeletGet(port, '/containers', c.token)).status, 200);
    // nodes/proxy does not reach nodes/healthz.
    assert.equal((await kubeletGet(port, '/healthz', reader.token)).status, 403);
    assert.equal((await kubeletGet(port, '/healthz', c.token)).status, 200);
  });

  it('kubectl logs works through the API server, which checks pods/log of the caller', async () => {
    assert.equal(await kubectlOk(k, c, ['-n', NS, 'logs', 'p']), '');
    // May read the pod, not its log: the API server refuses, whatever it may ask of the node.
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    });
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pod-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: NS }],
    });
    const denied = await runKubectl(k, c, ['--token', nobody, '-n', NS, 'logs', 'p']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Forbidden.*pods "p" is forbidden: User "system:serviceaccount:hostile-node:nobody" cannot get resource "pods\/log"/s);
  });

  it('hotpod node ps still lists the containers', async () => {
    const ps = await runHotpod(['node', 'ps', '--data-dir', c.dataDir]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal(ps.stderr, '');
    assert.match(ps.stdout, /k8s_main_p_hostile-node_/);
  });

  it('a controller started afterwards becomes ready', async () => {
    await assertStillServes(c, before0);
    await assertControllerBecomesReady(c);
  });
});
