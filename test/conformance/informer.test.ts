// A client-node informer (list + watch) keeps an exact cache through a 410 Expired and through a
// server restart (the caller restarts it on `error`, as client-node's docs say).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi, makeInformer, type V1ConfigMap, type KubernetesObject, type Informer, type ObjectCache } from '@kubernetes/client-node';
import { startCluster, kubeConfigFor, ensureNamespace, api, apiOk, rawWatch, waitFor, sleep, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, configMap, GROUP } from '../helpers/fixtures.js';

const MERGE = 'application/merge-patch+json';

interface Tracked<T extends KubernetesObject> {
  informer: Informer<T> & ObjectCache<T>;
  log: string[];
  errors: unknown[];
  lists: number;
  /** stop on purpose (errors from the aborted watch are not restarted) */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** An informer that is restarted 500 ms after any error, the way controllers run it. */
function track<T extends KubernetesObject>(make: (listCounter: () => void) => Informer<T> & ObjectCache<T>): Tracked<T> {
  let paused = false;
  let closed = false;
  const t: Tracked<T> = {
    informer: undefined as unknown as Informer<T> & ObjectCache<T>,
    log: [],
    errors: [],
    lists: 0,
    async pause() {
      paused = true;
      await t.informer.stop();
    },
    async resume() {
      paused = false;
      await t.informer.start();
    },
    async close() {
      closed = true;
      await t.informer.stop();
    },
  };
  t.informer = make(() => t.lists++);
  const name = (o: T) => o.metadata?.name ?? '?';
  t.informer.on('add', (o) => t.log.push(`add ${name(o)}`));
  t.informer.on('update', (o) => t.log.push(`update ${name(o)}`));
  t.informer.on('delete', (o) => t.log.push(`delete ${name(o)}`));
  t.informer.on('error', (e) => {
    t.errors.push(e);
    if (paused || closed) return;
    setTimeout(() => {
      if (!paused && !closed) t.informer.start().catch((err) => t.errors.push(err));
    }, 500);
  });
  return t;
}

describe('client-node informer', { timeout: 600_000 }, () => {
  let c: Cluster;
  const ns = 'informer';
  const cm = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
  let cms: Tracked<V1ConfigMap>;
  let sets: Tracked<KubernetesObject>;

  const cacheNames = (t: Tracked<KubernetesObject> | Tracked<V1ConfigMap>) => t.informer.list(ns).map((o) => o.metadata!.name!).sort();
  const serverNames = async (path: string) => (await apiOk(c, 'GET', path)).items.map((o: { metadata: { name: string } }) => o.metadata.name).sort();
  const cacheMatchesServer = async (t: Tracked<KubernetesObject> | Tracked<V1ConfigMap>, path: string) => {
    const want = await serverNames(path);
    const got = cacheNames(t);
    if (JSON.stringify(want) !== JSON.stringify(got)) return false;
    const list = await apiOk(c, 'GET', path);
    for (const o of list.items) {
      if (t.informer.get(o.metadata.name, ns)?.metadata?.resourceVersion !== o.metadata.resourceVersion) return false;
    }
    return true;
  };

  before(async () => {
    c = await startCluster({ inMemory: false });
    await installCrd(c);
    await ensureNamespace(c, ns);
    await ensureNamespace(c, 'informer-churn');
    const kc = kubeConfigFor(c);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    cms = track((counted) =>
      makeInformer(kc, cm(), async () => {
        counted();
        return core.listNamespacedConfigMap({ namespace: ns });
      }),
    );
    sets = track((counted) =>
      makeInformer(kc, arenaPath(ns), async () => {
        counted();
        return custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: ns, plural: 'arenasets' });
      }),
    );
    await cms.informer.start();
    await sets.informer.start();
  });
  after(async () => {
    await cms?.close();
    await sets?.close();
    await c?.cleanup();
  });

  it('sees adds, updates and deletes of built-in and custom objects', async () => {
    await apiOk(c, 'POST', cm(), configMap('a', ns, { v: '1' }));
    await apiOk(c, 'POST', cm(), configMap('b', ns, { v: '1' }));
    await apiOk(c, 'PATCH', cm('a'), { data: { v: '2' } }, { contentType: MERGE });
    await apiOk(c, 'DELETE', cm('b'));
    await waitFor(() => cms.log.includes('delete b'), 'informer saw delete b', 15_000);
    assert.deepEqual(cms.log, ['add a', 'add b', 'update a', 'delete b']);
    assert.equal(cms.informer.get('a', ns)?.data?.v, '2');
    assert.ok(await cacheMatchesServer(cms, cm()));

    await apiOk(c, 'POST', arenaPath(ns), arenaSet('alpha', ns, { replicas: 1 }));
    await apiOk(c, 'PATCH', `${arenaPath(ns, 'alpha')}/scale`, { spec: { replicas: 4 } }, { contentType: MERGE });
    await waitFor(() => sets.log.includes('update alpha'), 'informer saw the scale of alpha', 15_000);
    assert.deepEqual(sets.log, ['add alpha', 'update alpha']);
    assert.equal((sets.informer.get('alpha', ns) as unknown as { spec: { replicas: number } }).spec.replicas, 4);
    assert.deepEqual(cms.errors, []);
  });

  it('re-lists after 410 Expired and emits exactly the differences', async () => {
    await cms.pause();
    let resumed = false;
    try {
      const oldRv = (cms.informer as unknown as { latestResourceVersion(): string }).latestResourceVersion();
      assert.match(oldRv, /^\d+$/);
      const listsBefore = cms.lists;
      cms.log.length = 0;
      // Changes the informer misses while it is away.
      await apiOk(c, 'POST', cm(), configMap('c', ns, { v: '1' }));
      await apiOk(c, 'DELETE', cm('a'));

      // Make the old resourceVersion expire. A real API server forgets old revisions when its
      // watch cache restarts or rolls over: first try a restart, then, if the server still
      // resumes from there, write until its history no longer reaches back (bounded).
      const probeExpired = async () => {
        const probe = rawWatch(c, `${cm()}?resourceVersion=${oldRv}&timeoutSeconds=1`);
        const status = await probe.status;
        await probe.ended;
        if (status === 410) return true;
        const first = probe.events[0];
        if (first?.type === 'ERROR' && first.object?.code === 410) {
          assert.equal(first.object.kind, 'Status');
          assert.equal(first.object.reason, 'Expired');
          return true;
        }
        return false;
      };
      await c.restart();
      let expired = await probeExpired();
      let writes = 0;
      if (!expired) {
        await apiOk(c, 'POST', '/api/v1/namespaces/informer-churn/configmaps', configMap('churn', 'informer-churn', { n: '0' }));
        for (let round = 0; round < 30 && !expired; round++) {
          await Promise.all(
            [0, 1, 2, 3, 4, 5, 6, 7].map(async (w) => {
              for (let i = 0; i < 128; i++) {
                await apiOk(c, 'PATCH', '/api/v1/namespaces/informer-churn/configmaps/churn', { data: { [`w${w}`]: String(round * 128 + i) } }, { contentType: MERGE });
                writes++;
              }
            }),
          );
          expired = await probeExpired();
        }
      }
      assert.ok(expired, `a watch from resourceVersion ${oldRv} was still accepted after a restart and ${writes} later writes: the server never answers 410 Expired`);

      resumed = true;
      await cms.resume();
      await waitFor(() => cms.log.includes('delete a') && cms.log.includes('add c'), 'informer re-listed after 410', 20_000);
      assert.equal(cms.lists, listsBefore + 1, 'one re-list');
      assert.deepEqual([...cms.log].sort(), ['add c', 'delete a']);
      assert.ok(await cacheMatchesServer(cms, cm()));

      // And it keeps watching afterwards.
      await apiOk(c, 'POST', cm(), configMap('d', ns));
      await waitFor(() => cms.log.includes('add d'), 'informer watches again after the re-list', 15_000);
    } finally {
      if (!resumed) await cms.resume();
    }
  });

  it('survives a server crash and restart (SIGKILL, same data dir and port)', async () => {
    // Start from a cache in sync with the server (whatever the previous test left).
    await waitFor(() => cacheMatchesServer(cms, cm()), 'configmap cache in sync before the crash', 20_000);
    cms.log.length = 0;
    sets.log.length = 0;
    const errorsBefore = cms.errors.length;
    await c.kill9();
    await sleep(1500);
    await c.restart();
    await apiOk(c, 'POST', cm(), configMap('after-restart', ns));
    await apiOk(c, 'PATCH', arenaPath(ns, 'alpha'), { spec: { replicas: 2 } }, { contentType: MERGE });
    await waitFor(() => cms.log.includes('add after-restart'), 'configmap informer saw a write made after the restart', 30_000);
    await waitFor(() => sets.log.includes('update alpha'), 'custom object informer saw a write made after the restart', 30_000);
    assert.ok(cms.errors.length > errorsBefore, 'the informer reported the lost connection');
    assert.ok(!cms.log.some((l) => l.startsWith('delete ')), `no spurious deletes: ${cms.log.join(', ')}`);
    assert.ok(await waitFor(() => cacheMatchesServer(cms, cm()), 'configmap cache equals the server', 10_000));
    assert.ok(await waitFor(() => cacheMatchesServer(sets, arenaPath(ns)), 'custom object cache equals the server', 10_000));

    // A plain SIGTERM restart as well.
    cms.log.length = 0;
    await c.restart();
    await apiOk(c, 'PATCH', cm('after-restart'), { data: { x: 'y' } }, { contentType: MERGE });
    await waitFor(() => cms.log.includes('update after-restart'), 'informer saw an update after a SIGTERM restart', 30_000);
    const r = await api(c, 'GET', cm('after-restart'));
    assert.equal(cms.informer.get('after-restart', ns)?.metadata?.resourceVersion, r.body.metadata.resourceVersion);
  });
});
