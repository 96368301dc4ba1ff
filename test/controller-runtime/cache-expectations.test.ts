// The indexed cache, the event → key mappings and expectations, without a server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IndexedCache } from '../../src/controller/runtime/indexed-cache.js';
import { enqueueController, enqueueMapped, enqueueObject } from '../../src/controller/runtime/event-handlers.js';
import { Expectations, resourceVersionAtLeast } from '../../src/controller/runtime/expectations.js';
import { FakeClock } from '../../src/util/clock.js';
import { WorkQueue } from '../../src/controller/runtime/work-queue.js';
import { ItemExponentialRateLimiter } from '../../src/controller/runtime/rate-limit.js';
import { matchesSelector } from '../../src/controller/runtime/label-selector.js';
import { labelSelectorString } from '../../src/util/label-selector.js';
import type { KubeObject } from '../../src/controller/runtime/objects.js';

const GSS = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet' };

function pod(name: string, opts: { ns?: string; rv?: string; uid?: string; owner?: string; ownerUid?: string; labels?: Record<string, string>; deleting?: boolean; ownerKind?: string; ownerApi?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      uid: opts.uid ?? `uid-${name}`,
      resourceVersion: opts.rv ?? '1',
      labels: opts.labels,
      deletionTimestamp: opts.deleting ? '2026-01-01T00:00:00Z' : undefined,
      ownerReferences: opts.owner
        ? [{ apiVersion: opts.ownerApi ?? 'game.kruise.io/v1alpha1', kind: opts.ownerKind ?? 'GameServerSet', name: opts.owner, uid: opts.ownerUid ?? `uid-${opts.owner}`, controller: true }]
        : undefined,
    },
  };
}

describe('IndexedCache', () => {
  it('indexes by namespace, controller uid, owner uid and label, and keeps indexes right on updates and removes', () => {
    const c = new IndexedCache();
    c.upsert(pod('a-0', { owner: 'a', labels: { app: 'arena', tier: 'x' } }));
    c.upsert(pod('a-1', { owner: 'a', labels: { app: 'arena' } }));
    c.upsert(pod('b-0', { owner: 'b', labels: { app: 'lobby' } }));
    c.upsert(pod('lone', { ns: 'other', labels: { app: 'arena' } }));
    const names = (xs: KubeObject[]) => xs.map((o) => o.metadata!.name).sort();
    assert.deepEqual(names(c.byController('uid-a')), ['a-0', 'a-1']);
    assert.deepEqual(names(c.byOwner('uid-b')), ['b-0']);
    assert.deepEqual(names(c.list('other')), ['lone']);
    assert.deepEqual(names(c.byLabel('app', 'arena')), ['a-0', 'a-1', 'lone']);
    assert.deepEqual(names(c.select('default', { matchLabels: { app: 'arena' } })), ['a-0', 'a-1']);
    assert.deepEqual(names(c.select('default', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] })), ['a-0']);
    assert.equal(c.get({ namespace: 'default', name: 'a-1' })?.metadata?.name, 'a-1');
    assert.equal(c.get('other/lone')?.metadata?.name, 'lone');

    // a-1 is released by a and adopted by b; its label changes.
    c.upsert(pod('a-1', { owner: 'b', labels: { app: 'lobby' }, rv: '2' }));
    assert.deepEqual(names(c.byController('uid-a')), ['a-0']);
    assert.deepEqual(names(c.byController('uid-b')), ['a-1', 'b-0']);
    assert.deepEqual(names(c.byLabel('app', 'arena')), ['a-0', 'lone']);
    c.remove('default/a-0');
    assert.deepEqual(c.byController('uid-a'), []);
    assert.equal(c.size, 3);

    c.addIndexer('by-rv', (o) => [o.metadata?.resourceVersion ?? '']);
    assert.deepEqual(names(c.byIndex('by-rv', '2')), ['a-1'], 'a late index covers existing objects');
    assert.throws(() => c.byIndex('nope', 'x'), /no cache index named nope/);
  });

  it('replace() reports exactly what a re-list changed', () => {
    const c = new IndexedCache();
    c.upsert(pod('same', { rv: '5' }));
    c.upsert(pod('changed', { rv: '5' }));
    c.upsert(pod('gone', { rv: '5' }));
    c.upsert(pod('recreated', { rv: '5', uid: 'old' }));
    const diff = c.replace([pod('same', { rv: '5' }), pod('changed', { rv: '9' }), pod('new', { rv: '9' }), pod('recreated', { rv: '9', uid: 'new' })]);
    const n = (xs: KubeObject[]) => xs.map((o) => `${o.metadata!.name}@${o.metadata!.uid}`).sort();
    assert.deepEqual(n(diff.added), ['new@uid-new', 'recreated@new']);
    assert.deepEqual(n(diff.deleted), ['gone@uid-gone', 'recreated@old']);
    assert.deepEqual(
      diff.updated.map(([a, b]) => `${a.metadata!.name} ${a.metadata!.resourceVersion}->${b.metadata!.resourceVersion}`),
      ['changed 5->9'],
    );
    assert.deepEqual(c.keys().sort(), ['default/changed', 'default/new', 'default/recreated', 'default/same']);
  });
});

describe('label selectors', () => {
  it('match as the API server does', () => {
    const l = { app: 'arena', tier: 'a' };
    assert.equal(matchesSelector(l, {}), true);
    assert.equal(matchesSelector(l, undefined), false);
    assert.equal(matchesSelector(l, { matchLabels: { app: 'arena' } }), true);
    assert.equal(matchesSelector(l, { matchLabels: { app: 'lobby' } }), false);
    assert.equal(matchesSelector(l, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }), true);
    assert.equal(matchesSelector(l, { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] }), false);
    assert.equal(matchesSelector(l, { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] }), true);
    assert.equal(matchesSelector(l, { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }), true);
    assert.equal(matchesSelector(l, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }), false);
    assert.equal(
      labelSelectorString({ matchLabels: { app: 'arena' }, matchExpressions: [{ key: 't', operator: 'In', values: ['b', 'a'] }, { key: 'x', operator: 'DoesNotExist' }] }),
      'app=arena,t in (a,b),!x',
    );
  });
});

describe('event handlers', () => {
  it('map a pod to its controlling GameServerSet, both owners when it moves, nothing for other kinds', async () => {
    const keys: string[] = [];
    const h = enqueueController({ add: (k) => keys.push(k) }, GSS);
    h.onAdd!(pod('a-0', { ns: 'games', owner: 'a' }));
    h.onAdd!(pod('x', { ns: 'games', owner: 'rs', ownerKind: 'ReplicaSet', ownerApi: 'apps/v1' }));
    h.onAdd!(pod('y', { ns: 'games', owner: 'a', ownerApi: 'other.io/v1' }));
    h.onAdd!(pod('orphan', { ns: 'games' }));
    h.onUpdate!(pod('a-1', { ns: 'games', owner: 'a' }), pod('a-1', { ns: 'games', owner: 'b' }));
    h.onUpdate!(pod('a-2', { ns: 'games', owner: 'a' }), pod('a-2', { ns: 'games' }));
    h.onDelete!(pod('b-0', { ns: 'games', owner: 'b' }), false);
    h.onAdd!(pod('v2', { ns: 'games', owner: 'c', ownerApi: 'game.kruise.io/v1beta1' }));
    assert.deepEqual(keys, ['games/a', 'games/a', 'games/b', 'games/a', 'games/b', 'games/c']);

    const own: string[] = [];
    const o = enqueueObject({ add: (k) => own.push(k) });
    o.onAdd!(pod('s', { ns: 'games' }));
    o.onDelete!({ kind: 'Namespace', metadata: { name: 'cluster-wide' } }, true);
    assert.deepEqual(own, ['games/s', 'cluster-wide']);

    // On a real queue: a status-only update waits out a failure's backoff, a spec change does not.
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(1000, 1_000_000) });
    const onSet = enqueueObject(q);
    const set = (generation: number, status: string, labels?: Record<string, string>): KubeObject => ({
      ...pod('s', { ns: 'games', labels }),
      metadata: { ...pod('s', { ns: 'games', labels }).metadata, generation },
      status: { message: status },
    });
    q.addRateLimited('games/s');
    onSet.onUpdate!(set(1, 'failed to create pod s-abcde'), set(1, 'failed to create pod s-fghij'));
    assert.equal(q.len(), 0, 'status only: the retry comes after the backoff');
    onSet.onUpdate!(set(1, 'x'), set(1, 'x', { team: 'b' }));
    assert.equal(q.len(), 1, 'a label change is queued at once');
    await q.get();
    q.done('games/s');
    q.addRateLimited('games/s');
    onSet.onUpdate!(set(1, 'x'), set(2, 'x'));
    assert.equal(q.len(), 1, 'a spec change (new generation) is queued at once');

    const mapped: string[] = [];
    const m = enqueueMapped<KubeObject>({ add: (k) => mapped.push(k) }, (x) => [{ namespace: 'n', name: x.metadata!.labels?.set ?? 'none' }]);
    m.onUpdate!(pod('p', { labels: { set: 'one' } }), pod('p', { labels: { set: 'two' } }));
    assert.deepEqual(mapped, ['n/one', 'n/two']);
  });
});

describe('Expectations', () => {
  const setup = () => {
    const cache = new IndexedCache();
    const clock = new FakeClock();
    const timedOut: string[] = [];
    const exp = new Expectations({ cache, clock, timeoutMs: 60_000, onTimeout: (owner, p) => timedOut.push(`${owner} ${p.kind} ${p.key}`) });
    return { cache, clock, exp, timedOut };
  };

  it('a create is satisfied when the cache shows the object, not a terminating predecessor of the same name', () => {
    const { cache, exp } = setup();
    assert.equal(exp.satisfied('default/a'), true, 'nothing recorded');
    cache.upsert(pod('a-0', { uid: 'old', deleting: true }));
    exp.expectCreate('default/a', 'default/a-0');
    exp.expectCreate('default/a', { namespace: 'default', name: 'a-1' });
    assert.equal(exp.satisfied('default/a'), false);
    assert.deepEqual(exp.pending('default/a').map((p) => `${p.kind} ${p.key}`).sort(), ['create default/a-0', 'create default/a-1']);
    cache.upsert(pod('a-1'));
    assert.equal(exp.satisfied('default/a'), false, 'a-0 is still the old pod');
    cache.upsert(pod('a-0', { uid: 'new' }));
    assert.equal(exp.satisfied('default/a'), true);
    assert.equal(exp.satisfied('default/b'), true, 'other owners unaffected');
  });

  it('a delete is satisfied by the object gone, replaced, or terminating', () => {
    const { cache, exp } = setup();
    const p0 = pod('a-0');
    const p1 = pod('a-1');
    const p2 = pod('a-2');
    for (const p of [p0, p1, p2]) cache.upsert(p);
    for (const p of [p0, p1, p2]) exp.expectDelete('default/a', p);
    assert.equal(exp.pending('default/a').length, 3);
    cache.remove('default/a-0');
    cache.upsert(pod('a-1', { uid: 'successor' }));
    assert.equal(exp.pending('default/a').length, 1);
    cache.upsert(pod('a-2', { deleting: true, rv: '2' }));
    assert.equal(exp.satisfied('default/a'), true);
  });

  it('an update is satisfied when the cache has that resourceVersion or a newer one', () => {
    const { cache, exp } = setup();
    cache.upsert(pod('a-0', { rv: '10' }));
    exp.expectUpdate('default/a', pod('a-0', { rv: '12' }));
    assert.equal(exp.satisfied('default/a'), false);
    cache.upsert(pod('a-0', { rv: '11' }));
    assert.equal(exp.satisfied('default/a'), false);
    cache.upsert(pod('a-0', { rv: '13' }));
    assert.equal(exp.satisfied('default/a'), true, 'a later write also shows ours was seen');
    // The watch event came before the write's answer: satisfied the moment it is recorded.
    exp.expectUpdate('default/a', pod('a-0', { rv: '13' }));
    assert.equal(exp.satisfied('default/a'), true);
    assert.equal(resourceVersionAtLeast('9', '10'), false);
    assert.equal(resourceVersionAtLeast('100', '99'), true);
    assert.equal(resourceVersionAtLeast('abc', 'abd'), false, 'opaque versions only match exactly');
  });

  it('cancel() drops a failed write; unconfirmed expectations expire after the timeout', () => {
    const { exp, clock, timedOut } = setup();
    exp.expectCreate('default/a', 'default/a-0');
    exp.expectCreate('default/a', 'default/a-1');
    exp.cancel('default/a', 'default/a-1');
    assert.deepEqual(exp.pending('default/a').map((p) => p.key), ['default/a-0']);
    clock.advance(59_999);
    assert.equal(exp.satisfied('default/a'), false);
    clock.advance(1);
    assert.equal(exp.satisfied('default/a'), true);
    assert.deepEqual(timedOut, ['default/a create default/a-0']);
    exp.expectCreate('default/b', 'default/b-0');
    exp.forget('default/b');
    assert.equal(exp.satisfied('default/b'), true);
  });
});
