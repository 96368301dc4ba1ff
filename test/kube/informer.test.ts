// The informer against a real `hotpod up` (persistent, so that a restart loses the watch history
// and turns the informer's resourceVersion into 410 Expired). The informer reaches the server
// through a TCP proxy the test can cut, block or freeze; the test's own writes go direct.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startCluster, kubeConfigFor, ensureNamespace, waitFor, sleep, type Cluster } from '../helpers/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import { Informer } from '../../src/kube/informer.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { startProxy, type NetProxy } from './net-proxy.js';

const NS = 'informer-rt';
const LABEL = 'suite=informer-rt';
const quiet = pino({ level: process.env.HOTPOD_TEST_LOG ?? 'silent' });

interface Tracked {
  informer: Informer;
  log: string[];
}

function track(informer: Informer): Tracked {
  const log: string[] = [];
  const d = (o: KubeObject) => `${o.metadata?.name}`;
  informer.addEventHandler({
    onAdd: (o) => log.push(`add ${d(o)}`),
    onUpdate: (old, now) => log.push(`update ${d(now)} ${old.data?.v ?? '-'}->${now.data?.v ?? '-'}`),
    onDelete: (o, unknown) => log.push(`delete ${d(o)}${unknown ? ' (re-list)' : ''}`),
  });
  return { informer, log };
}

describe('Informer', { timeout: 240_000 }, () => {
  let c: Cluster;
  let proxy: NetProxy;
  let direct: KubeClient;
  let viaProxy: KubeClient;
  let t: Tracked;

  const cm = (name: string, v: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: NS, labels: { suite: 'informer-rt' } },
    data: { v },
  });
  const create = (name: string, v = '1') => direct.createObject(cm(name, v));
  const patch = (name: string, v: string) => direct.patchObject('v1', 'ConfigMap', { namespace: NS, name }, { data: { v } });
  const remove = (name: string) => direct.deleteObject('v1', 'ConfigMap', { namespace: NS, name });
  /** The cache holds exactly the server's objects at the server's resourceVersions. */
  const cacheMatchesServer = async (inf: Informer): Promise<boolean> => {
    const list = await direct.listPage('v1', 'ConfigMap', { namespace: NS, labelSelector: LABEL });
    const want = list.items.map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort();
    const got = inf.cache.list(NS).map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort();
    return JSON.stringify(want) === JSON.stringify(got);
  };

  before(async () => {
    c = await startCluster({ inMemory: false });
    await ensureNamespace(c, NS);
    proxy = await startProxy(() => ({ host: '127.0.0.1', port: c.port }));
    direct = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    viaProxy = new KubeClient({ kubeConfig: proxy.kubeConfig(kubeConfigFor(c)), requestTimeoutMs: 5_000 });
    // A ConfigMap without the label, which the informer must never see.
    await direct.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unlabelled', namespace: NS } });
    for (let i = 0; i < 5; i++) await create(`pre-${i}`);
    t = track(
      new Informer(viaProxy, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        labelSelector: LABEL,
        pageSize: 2, // five objects: the initial list takes three pages
        backoff: { initialMs: 100, maxMs: 1_000 },
        logger: quiet,
      }),
    );
  });
  after(async () => {
    await t?.informer.stop();
    await proxy?.close();
    await c?.cleanup();
  });

  it('lists in pages, syncs, then sees adds, updates (with the old object) and deletes', async () => {
    assert.equal(t.informer.hasSynced(), false);
    t.informer.start();
    await t.informer.waitForSync(20_000);
    assert.equal(t.informer.hasSynced(), true);
    assert.deepEqual(t.log.sort(), ['add pre-0', 'add pre-1', 'add pre-2', 'add pre-3', 'add pre-4']);
    assert.equal(t.informer.stats.lists, 1);
    assert.equal(t.informer.cache.get({ namespace: NS, name: 'unlabelled' }), undefined, 'the label selector applies');
    const listed = t.informer.cache.get(`${NS}/pre-0`)!;
    assert.equal(listed.kind, 'ConfigMap', 'list items carry kind like watched objects');
    assert.equal(typeof listed.metadata?.creationTimestamp, 'string', 'plain JSON, not client-node models');

    t.log.length = 0;
    await create('a');
    await patch('a', '2');
    await remove('pre-0');
    await waitFor(() => t.log.length >= 3, 'three events', 10_000);
    assert.deepEqual(t.log, ['add a', 'update a 1->2', 'delete pre-0']);
    assert.equal(t.informer.cache.get(`${NS}/a`)?.data?.v, '2');
    assert.ok(await cacheMatchesServer(t.informer));
    assert.equal(t.informer.stats.errors, 0, t.informer.stats.lastError);
  });

  it('after a network cut, resumes the watch from its resourceVersion without a re-list', async () => {
    t.log.length = 0;
    const errors = t.informer.stats.errors;
    proxy.block();
    proxy.cut();
    await waitFor(() => t.informer.stats.errors > errors, 'the informer noticed the cut', 10_000);
    // Changes the informer cannot see while it is cut off.
    await create('b');
    await patch('a', '3');
    await remove('pre-1');
    await sleep(300);
    assert.deepEqual(t.log, [], 'nothing reaches a cut-off informer');
    proxy.open();
    await waitFor(() => t.log.length >= 3, 'the missed events after reconnecting', 15_000);
    assert.deepEqual(t.log, ['add b', 'update a 2->3', 'delete pre-1'], 'replayed in order, as watch events');
    assert.equal(t.informer.stats.lists, 1, 'no re-list: the history still reached back');
    assert.equal(t.informer.stats.expired, 0);
    assert.ok(await cacheMatchesServer(t.informer));
  });

  it('on 410 Expired (history lost in a server restart) re-lists and emits exactly the differences', async () => {
    t.log.length = 0;
    const errors = t.informer.stats.errors;
    proxy.block();
    proxy.cut();
    await waitFor(() => t.informer.stats.errors > errors, 'the informer noticed the cut', 10_000);
    await create('c');
    await patch('b', '2');
    await remove('pre-2');
    // A persistent server restarts with no watch history: every older resourceVersion is expired.
    await c.restart();
    proxy.open();
    await waitFor(() => t.log.length >= 3, 'the differences after the re-list', 20_000);
    await sleep(200);
    assert.deepEqual(t.log.sort(), ['add c', 'delete pre-2 (re-list)', 'update b 1->2']);
    assert.ok(t.informer.stats.expired >= 1, 'the server answered 410');
    assert.equal(t.informer.stats.lists, 2, 'one re-list');
    assert.ok(await cacheMatchesServer(t.informer));

    // And it watches again afterwards.
    t.log.length = 0;
    await create('d');
    await waitFor(() => t.log.includes('add d'), 'a write after the re-list', 10_000);
  });

  it('survives a server crash (SIGKILL) and restart without spurious events', async () => {
    t.log.length = 0;
    const errors = t.informer.stats.errors;
    await c.kill9();
    await waitFor(() => t.informer.stats.errors > errors, 'the informer noticed the crash', 10_000);
    await sleep(500);
    await c.restart();
    await create('after-crash');
    await patch('a', '4');
    await waitFor(() => t.log.includes('update a 3->4'), 'writes after the restart', 20_000);
    assert.deepEqual(t.log.filter((l) => !l.startsWith('add after-crash') && !l.startsWith('update a 3->4')), [], 'only the new writes');
    assert.ok(await waitFor(() => cacheMatchesServer(t.informer), 'cache equals server', 10_000));
  });

  it('abandons a watch whose connection went silent (half-open) and reconnects', async () => {
    const stall = track(
      new Informer(viaProxy, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: NS,
        labelSelector: LABEL,
        watchTimeoutSeconds: 1,
        watchStallGraceMs: 1_000,
        backoff: { initialMs: 100, maxMs: 500 },
        logger: quiet,
      }),
    );
    try {
      stall.informer.start();
      await stall.informer.waitForSync(10_000);
      stall.log.length = 0;
      proxy.freeze();
      await create('while-frozen');
      await waitFor(() => /presumed dead/.test(stall.informer.stats.lastError ?? ''), 'the stalled watch abandoned', 15_000);
      assert.deepEqual(stall.log, [], 'a frozen link delivers nothing');
      proxy.open();
      await waitFor(() => stall.log.includes('add while-frozen'), 'the write made while frozen', 15_000);
      assert.ok(await cacheMatchesServer(stall.informer));
    } finally {
      proxy.open();
      await stall.informer.stop();
    }
  });

  it('stop() ends the loop promptly, while waiting to reconnect or while a list hangs', async () => {
    const s = new Informer(viaProxy, { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, backoff: { initialMs: 60_000, maxMs: 60_000 }, logger: quiet });
    proxy.block();
    s.start();
    await waitFor(() => s.stats.errors > 0, 'first list failed', 10_000);
    const t0 = Date.now();
    await s.stop();
    assert.ok(Date.now() - t0 < 1_000, `stop took ${Date.now() - t0} ms`);
    assert.equal(s.hasSynced(), false);
    await assert.rejects(s.waitForSync(100), /not synced within 100 ms \(last error: list:/);

    // A list that gets no answer (its own timeout is 5 s) is cancelled by stop().
    proxy.freeze();
    const hung = new Informer(viaProxy, { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, logger: quiet });
    hung.start();
    await sleep(300);
    const t1 = Date.now();
    await hung.stop();
    assert.ok(Date.now() - t1 < 1_000, `stop during a hung list took ${Date.now() - t1} ms`);
    assert.equal(hung.stats.lists, 0);
    proxy.open();
  });
});
