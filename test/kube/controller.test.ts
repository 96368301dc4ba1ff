// A whole controller on the runtime against `hotpod up --in-memory`: a toy reconciler keeps
// `spec.replicas` ConfigMaps named <set>-<i> for each ArenaSet (a custom kind), owned by it.
// Checks the wiring (informers → queue → workers → reconcile), owner mapping of child events,
// expectations, retries with backoff, requeue-after, one key never reconciled twice at once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startCluster, kubeConfigFor, ensureNamespace, waitFor, sleep, type Cluster } from '../helpers/cluster.js';
import { installCrd, GROUP } from '../helpers/fixtures.js';
import { Controller, Expectations, Manager, type Reconciler, type ReconcileResult } from '../../src/controller/runtime/index.js';
import { EventRecorder, isAlreadyExists, isNotFound, keyString, KubeClient, type Informer, type KubeObject, type ObjectKey } from '../../src/kube/index.js';

const NS = 'controller-rt';
const API = `${GROUP}/v1`;
const quiet = pino({ level: process.env.HOTPOD_TEST_LOG ?? 'silent' });

class ArenaSetReconciler implements Reconciler {
  creates = 0;
  duplicateCreates = 0;
  deletes = 0;
  deleteAttempts = 0;
  readonly calls = new Map<string, number>();
  readonly inFlight = new Set<string>();
  overlaps = 0;
  failuresLeft = new Map<string, number>();
  skippedForExpectations = 0;

  constructor(
    private readonly clients: KubeClient,
    private readonly sets: Informer,
    private readonly children: Informer,
    private readonly expectations: Expectations,
    private readonly recorder: EventRecorder,
  ) {}

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const k = keyString(key);
    if (this.inFlight.has(k)) this.overlaps++;
    this.inFlight.add(k);
    this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
    try {
      // Long enough that events for the same set pile up while it runs.
      await sleep(15);
      const left = this.failuresLeft.get(k) ?? 0;
      if (left > 0) {
        this.failuresLeft.set(k, left - 1);
        throw new Error(`arenaset ${k}: injected failure (${left} left)`);
      }
      const set = this.sets.cache.get(key);
      if (!set) {
        this.expectations.forget(key);
        return;
      }
      if (!this.expectations.satisfied(key)) {
        this.skippedForExpectations++;
        return;
      }
      const owned = this.children.cache.byController(set.metadata!.uid!);
      const want = set.spec.replicas as number;
      const have = new Set(owned.map((o) => o.metadata!.name!));
      for (let i = 0; i < want; i++) {
        const name = `${key.name}-${i}`;
        if (have.has(name)) continue;
        const child = { namespace: key.namespace, name };
        this.expectations.expectCreate(key, child);
        try {
          await this.clients.createObject({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name,
              namespace: key.namespace,
              labels: { 'arena-set': key.name },
              ownerReferences: [{ apiVersion: API, kind: 'ArenaSet', name: key.name, uid: set.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
            },
            data: { ordinal: String(i) },
          });
          this.creates++;
          this.recorder.event(set, 'Normal', 'SuccessfulCreate', `created ConfigMap ${name}`);
        } catch (err) {
          this.expectations.cancel(key, child);
          if (isAlreadyExists(err)) this.duplicateCreates++;
          throw err;
        }
      }
      for (const o of owned) {
        if (Number(o.data?.ordinal) < want || o.metadata?.deletionTimestamp) continue;
        this.expectations.expectDelete(key, o);
        this.deleteAttempts++;
        try {
          await this.clients.deleteObject('v1', 'ConfigMap', { namespace: key.namespace, name: o.metadata!.name! });
          this.deletes++;
        } catch (err) {
          this.expectations.cancel(key, { namespace: key.namespace, name: o.metadata!.name! });
          if (!isNotFound(err)) throw err;
        }
      }
      if (set.metadata?.labels?.tick === 'true') return { requeueAfterMs: 200 };
    } finally {
      this.inFlight.delete(k);
    }
  }
}

describe('Controller', { timeout: 240_000 }, () => {
  let c: Cluster;
  let clients: KubeClient;
  let manager: Manager;
  let controller: Controller;
  let r: ArenaSetReconciler;
  let recorder: EventRecorder;
  let children: Informer;

  const arenaSet = (name: string, replicas: number, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: API,
    kind: 'ArenaSet',
    metadata: { name, namespace: NS, labels },
    spec: { image: 'registry.example/arena:1', replicas },
  });
  const childNames = (set: string) =>
    children.cache
      .byLabel('arena-set', set)
      .map((o) => o.metadata!.name!)
      .sort();
  const serverChildren = async (set: string) =>
    (await clients.listPage('v1', 'ConfigMap', { namespace: NS, labelSelector: `arena-set=${set}` })).items.map((o) => o.metadata!.name!).sort();

  before(async () => {
    c = await startCluster({ inMemory: true });
    await installCrd(c);
    await ensureNamespace(c, NS);
    clients = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    manager = new Manager({ client: clients, logger: quiet });
    const sets = manager.informers.informerFor({ apiVersion: API, kind: 'ArenaSet', namespace: NS });
    children = manager.informers.informerFor({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, labelSelector: 'arena-set' });
    assert.equal(manager.informers.informerFor({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, labelSelector: 'arena-set' }), children, 'one shared informer per resource');
    const expectations = new Expectations({ cache: children.cache, timeoutMs: 30_000 });
    recorder = manager.recorder;
    r = new ArenaSetReconciler(clients, sets, children, expectations, recorder);
    controller = new Controller({ name: 'arenaset', reconciler: r, workers: 4, logger: quiet })
      .watchObjects(sets)
      .watchOwned(children, { apiVersion: API, kind: 'ArenaSet' });
    manager.add(controller);
    // Sets that exist before the controller starts are reconciled from the initial list.
    await clients.createObject(arenaSet('early', 2));
    await manager.start();
    assert.ok(sets.hasSynced() && children.hasSynced(), 'start() returns once the caches are synced');
  });
  after(async () => {
    await manager?.stop();
    await c?.cleanup();
  });

  it('reconciles sets that existed before start, and new ones, creating each child once', async () => {
    await waitFor(async () => JSON.stringify(await serverChildren('early')) === '["early-0","early-1"]', 'children of early', 15_000);
    await clients.createObject(arenaSet('alpha', 5));
    await waitFor(async () => (await serverChildren('alpha')).length === 5, 'five children of alpha', 15_000);
    await waitFor(() => childNames('alpha').length === 5, 'the cache shows them', 10_000);
    await sleep(300); // let the child events' reconciles run
    assert.equal(r.creates, 7);
    assert.equal(r.duplicateCreates, 0, 'no child was created twice');
    for (const child of children.cache.byLabel('arena-set', 'alpha')) {
      const ref = child.metadata!.ownerReferences![0]!;
      assert.equal(ref.controller, true);
      assert.equal(ref.name, 'alpha');
    }
  });

  it('maps a child event to its owner: a deleted child is recreated', async () => {
    const before = children.cache.get({ namespace: NS, name: 'alpha-3' })!;
    await clients.deleteObject('v1', 'ConfigMap', { namespace: NS, name: 'alpha-3' });
    await waitFor(() => {
      const now = children.cache.get({ namespace: NS, name: 'alpha-3' });
      return now && now.metadata!.uid !== before.metadata!.uid;
    }, 'alpha-3 recreated with a new uid', 15_000);
    assert.deepEqual(await serverChildren('alpha'), ['alpha-0', 'alpha-1', 'alpha-2', 'alpha-3', 'alpha-4']);
  });

  it('scales down through the scale subresource', async () => {
    await clients.patchObject(API, 'ArenaSet', { namespace: NS, name: 'alpha' }, { spec: { replicas: 2 } }, { subresource: 'scale' });
    await waitFor(async () => JSON.stringify(await serverChildren('alpha')) === '["alpha-0","alpha-1"]', 'alpha scaled to 2', 15_000);
    assert.equal(r.deletes, 3);
    assert.equal(r.deleteAttempts, 3, 'no child deleted twice');
  });

  it('retries a failing reconcile with backoff until it succeeds, then forgets the failures', async () => {
    const key = `${NS}/flaky`;
    r.failuresLeft.set(key, 3);
    const errorsBefore = controller.stats.errors;
    await clients.createObject(arenaSet('flaky', 1));
    await waitFor(async () => (await serverChildren('flaky')).length === 1, 'flaky reconciled after its failures', 15_000);
    assert.equal(controller.stats.errors - errorsBefore, 3);
    assert.ok((r.calls.get(key) ?? 0) >= 4);
    await waitFor(() => controller.queue.numRequeues(key) === 0, 'backoff forgotten after success', 5_000);
  });

  it('requeues after the time a reconcile asks for, with nothing changing', async () => {
    const key = `${NS}/ticker`;
    await clients.createObject(arenaSet('ticker', 0, { tick: 'true' }));
    await waitFor(() => (r.calls.get(key) ?? 0) >= 1, 'first reconcile of ticker', 10_000);
    const first = r.calls.get(key)!;
    await sleep(1_500);
    const later = r.calls.get(key)! - first;
    assert.ok(later >= 3 && later <= 9, `about one reconcile per 200 ms (+15 ms each): got ${later} in 1.5 s`);
  });

  it('never ran two reconciles of the same key at once, and recorded events', async () => {
    assert.equal(r.overlaps, 0);
    await recorder.flush();
    const events = await clients.listPage('v1', 'Event', { namespace: NS, fieldSelector: 'involvedObject.name=alpha' });
    const reasons = events.items.map((e) => `${e.reason} ${e.message}`).sort();
    assert.ok(reasons.includes('SuccessfulCreate created ConfigMap alpha-0'), JSON.stringify(reasons));
  });

  it('stop() lets the running reconcile finish and stops the workers', async () => {
    let finished = false;
    const slow: Reconciler = {
      async reconcile() {
        await sleep(300);
        finished = true;
      },
    };
    const ctl = new Controller({ name: 'slow', reconciler: slow, workers: 1, logger: quiet });
    await ctl.start();
    ctl.enqueue({ namespace: NS, name: 'x' });
    await waitFor(() => ctl.queue.stats().processing === 1, 'x is being reconciled', 5_000);
    await ctl.stop();
    assert.equal(finished, true, 'stop resolved only after the reconcile finished');
    ctl.enqueue('y');
    assert.equal(ctl.queue.len(), 0, 'no work accepted after stop');
  });
});
