// The kit's client: where the kubeconfig comes from, client-side QPS limiting, kept-alive
// connections, paged lists, the request observer, and typed errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { relative } from 'node:path';
import { startCluster, kubeConfigFor, type Cluster } from '../helpers/cluster.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.js';
import { KubeApiError, isAlreadyExists, isConflict, isNotFound } from '../../src/kube/errors.js';

describe('KubeClient', { timeout: 90_000 }, () => {
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
    const ns = await new KubeClient().get('v1', 'Namespace', { namespace: '', name: 'default' });
    assert.equal(ns.metadata?.name, 'default');
    assert.throws(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' }), /nonexistent/);
    assert.throws(() => loadKubeConfig({ kubeconfig: c.kubeconfigPath, context: 'no-such-context' }));
  });

  it('limits requests per second when asked, plain requests and watches included', async () => {
    const limited = new KubeClient({ kubeConfig: kubeConfigFor(c), qps: 10, burst: 2 });
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) await limited.get('v1', 'Namespace', { namespace: '', name: 'default' });
    const objMs = Date.now() - t0;
    // 2 at once, then 4 more at 10/s: at least ~400 ms (discovery is a request too).
    assert.ok(objMs >= 380, `6 requests at 10 qps burst 2 took only ${objMs} ms`);
    const t1 = Date.now();
    for (let i = 0; i < 4; i++) await limited.request('GET', '/api/v1/namespaces/default');
    assert.ok(Date.now() - t1 >= 300, `plain requests not limited: ${Date.now() - t1} ms`);
    const t3 = Date.now();
    const watches = [];
    for (let i = 0; i < 4; i++) watches.push(await limited.watch('/api/v1/namespaces', {}, () => {}, () => {}));
    for (const w of watches) w.abort();
    assert.ok(Date.now() - t3 >= 300, `watches not limited: ${Date.now() - t3} ms`);

    const free = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    await free.get('v1', 'Namespace', { namespace: '', name: 'default' });
    const t2 = Date.now();
    for (let i = 0; i < 6; i++) await free.get('v1', 'Namespace', { namespace: '', name: 'default' });
    assert.ok(Date.now() - t2 < objMs, 'unlimited is faster');
    limited.close();
    free.close();
  });

  it('keeps its connections alive and lists every page', async () => {
    const client = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    for (let i = 0; i < 7; i++) await client.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `paged-${i}`, namespace: 'default' } });
    const seen: { method: string; query: Record<string, string> }[] = [];
    const watched = new KubeClient({ kubeConfig: kubeConfigFor(c), onRequest: (r) => seen.push(r) });
    const list = await watched.list('v1', 'ConfigMap', { namespace: 'default', pageSize: 2 });
    assert.deepEqual(
      list.items.filter((i) => i.metadata?.name?.startsWith('paged-')).map((i) => i.metadata?.name),
      [0, 1, 2, 3, 4, 5, 6].map((i) => `paged-${i}`),
    );
    assert.equal(list.metadata.continue, undefined);
    const pages = seen.filter((r) => r.query.limit === '2');
    assert.ok(pages.length >= 4, `${pages.length} pages of 2`);
    assert.ok(pages.slice(1).every((r) => r.query.continue), 'every later page continues the first');
    // Every request on one kept-alive connection: only the first opens one.
    let opened = 0;
    const count = (m: unknown) => void (!(m as { request: { reusedSocket: boolean } }).request.reusedSocket && opened++);
    diagnostics.subscribe('http.client.response.finish', count);
    const fresh = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    for (let i = 0; i < 10; i++) await fresh.get('v1', 'ConfigMap', { namespace: 'default', name: `paged-${i % 7}` });
    diagnostics.unsubscribe('http.client.response.finish', count);
    assert.equal(opened, 1, `${opened} connections for 10 sequential requests`);
    fresh.close();
    for (let i = 0; i < 7; i++) await client.deleteObject('v1', 'ConfigMap', { namespace: 'default', name: `paged-${i}` });
    client.close();
    watched.close();
  });

  it('tells the request observer the status a watch was answered with', async () => {
    const codes: { verb: string; resource: string; code: number | 'error' }[] = [];
    const client = new KubeClient({ kubeConfig: kubeConfigFor(c), onResponse: (r) => codes.push(r) });
    const refused = await new Promise<unknown>((resolve) => void client.watch('/api/v1/namespaces/default/nosuchthings', {}, () => {}, resolve));
    assert.equal((refused as { statusCode?: number }).statusCode, 404);
    assert.deepEqual(codes.at(-1), { verb: 'watch', resource: 'nosuchthings', code: 404 });
    const ok = await client.watch('/api/v1/namespaces/default/configmaps', {}, () => {}, () => {});
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const look = () => (codes.length === 2 ? resolve() : Date.now() - started > 10_000 ? reject(new Error('no answer to the watch')) : setTimeout(look, 20));
      look();
    });
    assert.deepEqual(codes.at(-1), { verb: 'watch', resource: 'configmaps', code: 200 });
    ok.abort();
    client.close();
  });

  it('answers plain JSON and typed errors naming the request', async () => {
    const objects = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    const cm = await objects.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { a: '1' } });
    assert.equal(typeof cm.metadata?.creationTimestamp, 'string');
    await assert.rejects(objects.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }), (e: unknown) => {
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
