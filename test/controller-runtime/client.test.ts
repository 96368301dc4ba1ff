// The client factory: where the kubeconfig comes from, client-side QPS limiting, and the
// plain-JSON object client's errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startCluster, kubeConfigFor, type Cluster } from '../helpers/cluster.js';
import { createClients, loadKubeConfig } from '../../src/controller/runtime/client.js';
import { KubeApiError, isAlreadyExists, isConflict, isNotFound } from '../../src/controller/runtime/object-client.js';

describe('client factory', { timeout: 90_000 }, () => {
  let c: Cluster;
  const savedEnv = process.env.KUBECONFIG;

  before(async () => {
    c = await startCluster({ inMemory: true });
  });
  after(async () => {
    if (savedEnv === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedEnv;
    await c?.cleanup();
  });

  it('loads --kubeconfig PATH (relative too), else KUBECONFIG', async () => {
    const fromFlag = loadKubeConfig({ kubeconfig: relative(process.cwd(), c.kubeconfigPath) });
    assert.equal(fromFlag.getCurrentCluster()?.server, c.url);
    process.env.KUBECONFIG = c.kubeconfigPath;
    const fromEnv = loadKubeConfig();
    assert.equal(fromEnv.getCurrentCluster()?.server, c.url);
    const ns = await createClients().objects.get('v1', 'Namespace', { namespace: '', name: 'default' });
    assert.equal(ns.metadata?.name, 'default');
    assert.throws(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' }), /nonexistent/);
    assert.throws(() => loadKubeConfig({ kubeconfig: c.kubeconfigPath, context: 'no-such-context' }));
  });

  it('limits requests per second when asked, typed clients included', async () => {
    const limited = createClients({ kubeConfig: kubeConfigFor(c), qps: 10, burst: 2 });
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) await limited.objects.get('v1', 'Namespace', { namespace: '', name: 'default' });
    const objMs = Date.now() - t0;
    // 2 at once, then 4 more at 10/s: at least ~400 ms (discovery is a request too).
    assert.ok(objMs >= 380, `6 requests at 10 qps burst 2 took only ${objMs} ms`);
    const core = limited.makeApiClient(CoreV1Api);
    const t1 = Date.now();
    for (let i = 0; i < 4; i++) await core.readNamespace({ name: 'default' });
    assert.ok(Date.now() - t1 >= 300, `typed client not limited: ${Date.now() - t1} ms`);

    const free = createClients({ kubeConfig: kubeConfigFor(c) });
    await free.objects.get('v1', 'Namespace', { namespace: '', name: 'default' });
    const t2 = Date.now();
    for (let i = 0; i < 6; i++) await free.objects.get('v1', 'Namespace', { namespace: '', name: 'default' });
    assert.ok(Date.now() - t2 < objMs, 'unlimited is faster');
  });

  it('answers plain JSON and typed errors naming the request', async () => {
    const { objects } = createClients({ kubeConfig: kubeConfigFor(c) });
    const cm = await objects.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { a: '1' } });
    assert.equal(typeof cm.metadata?.creationTimestamp, 'string');
    await assert.rejects(objects.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }), (e) => {
      assert.ok(e instanceof KubeApiError);
      assert.ok(isAlreadyExists(e) && !isConflict(e));
      assert.match(e.message, /^POST \/api\/v1\/namespaces\/default\/configmaps: 409 AlreadyExists/);
      return true;
    });
    const stale = { ...cm, data: { a: '2' } };
    await objects.updateObject({ ...cm, data: { a: '3' } });
    await assert.rejects(objects.updateObject(stale), (e) => isConflict(e) && /^PUT .*\/configmaps\/x: 409 Conflict/.test((e as Error).message));
    await assert.rejects(objects.get('v1', 'ConfigMap', { namespace: 'default', name: 'nope' }), (e) => isNotFound(e));
    await assert.rejects(objects.listPage('v1', 'NoSuchKind'), /serves no kind NoSuchKind in v1/);
  });
});
