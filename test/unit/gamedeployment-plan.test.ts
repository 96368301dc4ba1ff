import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatchSize, planPods, rolloutBudget, type PlanInput, type PlanPod } from '../../src/controller/gamedeployment/plan.js';
import { choosePodsToDelete, compareForUpdate, costSortMethod, costValue, readinessRank, type CostSortMethod } from '../../src/controller/gamedeployment/ordering.js';
import { newPodName, podName, NAME_ALPHABET } from '../../src/controller/gamedeployment/pod-names.js';
import { BURST_REPLICAS } from '../../src/controller/workload/burst.js';
import { fieldsNotActedOn as notActedOn } from '../../src/api/field-support.js';
import { annotationsNotRead } from '../../src/controller/gamedeployment/not-acted-on.js';

type Json = Record<string, any>;

interface PodOpts {
  ready?: boolean;
  node?: string | null;
  phase?: string;
  cost?: number | string;
  created?: string;
  revision?: string;
}

function pod(name: string, o: PodOpts = {}): Json {
  const ready = o.ready ?? true;
  return {
    metadata: {
      name,
      creationTimestamp: o.created ?? '2024-05-01T10:00:00Z',
      labels: { 'controller-revision-hash': o.revision ?? 'old' },
      annotations: o.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } : {},
    },
    spec: { nodeName: o.node === null ? undefined : (o.node ?? 'node-1') },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function planPod(p: Json, updated = false, available = true): PlanPod {
  return { pod: p, name: p.metadata.name, updated, available };
}

const names = (ps: { name: string }[]) => ps.map((p) => p.name);

function base(over: Partial<PlanInput>): PlanInput {
  return { pods: [], replicas: 4, partition: 0, maxUnavailable: 1, maxSurge: 0, type: 'RollingUpdate', paused: false, canCreateOld: true, ...over };
}

// ---- ordering ------------------------------------------------------------------------------

test('update order: unscheduled, pending, unready, ready; then newer; deletion costs play no part', () => {
  const pods = [
    pod('ready-cost-5', { cost: 5 }),
    pod('ready-cost-1', { cost: 1 }),
    pod('unready', { ready: false }),
    pod('pending', { phase: 'Pending', ready: false }),
    pod('unscheduled', { node: null, phase: 'Pending', ready: false }),
    pod('ready-newer', { cost: 1, created: '2024-05-01T11:00:00Z' }),
    pod('ready-negative', { cost: -3 }),
  ];
  assert.deepEqual(
    [...pods].sort(compareForUpdate).map((p) => p.metadata.name),
    ['unscheduled', 'pending', 'unready', 'ready-newer', 'ready-cost-1', 'ready-cost-5', 'ready-negative'],
  );
  assert.equal(readinessRank(pods[4]!), 0);
});

test('deletion costs read as BCS reads them: floats; anything else is no cost', () => {
  const table: [unknown, number | undefined][] = [[' 7 ', 7], ['-2.5', -2.5], ['1e3', 1000], ['not a number', undefined], ['', undefined], [undefined, undefined], ['Infinity', undefined]];
  for (const [raw, want] of table) assert.equal(costValue(raw), want, `cost ${JSON.stringify(raw)}`);
  assert.equal(costSortMethod({ 'io.tencent.bcs.dev/pod-deletion-cost-sort-method': 'descend' }), 'descend');
  assert.equal(costSortMethod({ 'io.tencent.bcs.dev/pod-deletion-cost-sort-method': 'Descend' }), 'ascend', 'only `descend` turns the order');
  assert.equal(costSortMethod(undefined), 'ascend');
});

test('scale-down by deletion cost: node cost first (lower first), then pod cost by the sort method; no cost last', () => {
  const nodes: Record<string, number | undefined> = { cheap: 1, dear: 9, plain: undefined };
  const P = (name: string, node: string, cost?: number, o: PodOpts = {}) => pod(name, { node, cost, revision: 'new', ...o });
  const cases: { what: string; pods: Json[]; method: CostSortMethod; want: string[] }[] = [
    { what: 'pod costs ascend', pods: [P('a', 'plain', 5), P('b', 'plain', 1), P('c', 'plain'), P('d', 'plain', -2)], method: 'ascend', want: ['d', 'b', 'a', 'c'] },
    { what: 'pod costs descend', pods: [P('a', 'plain', 5), P('b', 'plain', 1), P('c', 'plain'), P('d', 'plain', -2)], method: 'descend', want: ['a', 'b', 'd', 'c'] },
    { what: 'node cost before pod cost', pods: [P('a', 'dear', -100), P('b', 'cheap', 100), P('c', 'plain', -1000)], method: 'ascend', want: ['b', 'a', 'c'] },
    { what: 'node cost ascends with descend too', pods: [P('a', 'dear', 100), P('b', 'cheap', 1), P('c', 'cheap', 5)], method: 'descend', want: ['c', 'b', 'a'] },
    { what: 'without costs: unready, then newer', pods: [P('a', 'plain'), P('b', 'plain', undefined, { ready: false }), P('c', 'plain', undefined, { created: '2024-05-01T11:00:00Z' })], method: 'ascend', want: ['b', 'c', 'a'] },
    { what: 'a cost outranks readiness (as BCS sorts)', pods: [P('a', 'plain', 1), P('b', 'plain', undefined, { ready: false })], method: 'ascend', want: ['a', 'b'] },
  ];
  for (const c of cases) {
    const opts = { partition: 0, updateRevision: 'new', revisionOf: (p: Json) => p.metadata.labels['controller-revision-hash'], costSortMethod: c.method, nodeCost: (p: Json) => nodes[p.spec.nodeName] };
    assert.deepEqual(choosePodsToDelete(c.pods, c.pods.length, opts).map((p) => p.metadata.name), c.want, c.what);
  }
});

test('scale-down takes podsToDelete first, then old pods while more than the partition remain, then the least useful', () => {
  const pods = [pod('a', { revision: 'new', cost: 0 }), pod('b', { revision: 'old', cost: 10 }), pod('c', { revision: 'old', cost: 1 }), pod('d', { revision: 'new', ready: false })];
  const opts = { partition: 0, updateRevision: 'new', revisionOf: (p: Json) => p.metadata.labels['controller-revision-hash'] };
  assert.deepEqual(choosePodsToDelete(pods, 1, { ...opts, podsToDelete: ['a'] }).map((p) => p.metadata.name), ['a']);
  assert.deepEqual(choosePodsToDelete(pods, 2, opts).map((p) => p.metadata.name), ['c', 'b']);
  // The partition wants both old pods kept: nothing prefers them, so costs decide (d has none: last).
  assert.deepEqual(choosePodsToDelete(pods, 2, { ...opts, partition: 2 }).map((p) => p.metadata.name), ['a', 'c']);
  assert.deepEqual(choosePodsToDelete(pods, 0, opts), []);
});

test('scale-down takes Allocated pods (allocated-update Wait) last, after every other but the named', () => {
  const pods = [pod('a', { revision: 'old' }), pod('b', { revision: 'new' }), pod('c', { revision: 'new', ready: false })];
  const opts = { partition: 0, updateRevision: 'new', revisionOf: (p: Json) => p.metadata.labels['controller-revision-hash'], allocated: (p: Json) => p.metadata.name === 'a' };
  assert.deepEqual(choosePodsToDelete(pods, 2, opts).map((p) => p.metadata.name), ['c', 'b'], 'the old pod would go first, but it has players');
  assert.deepEqual(choosePodsToDelete(pods, 3, opts).map((p) => p.metadata.name), ['c', 'b', 'a']);
  assert.deepEqual(choosePodsToDelete(pods, 1, { ...opts, podsToDelete: ['a'] }).map((p) => p.metadata.name), ['a']);
});

// ---- budgets -------------------------------------------------------------------------------

test('maxUnavailable and maxSurge default to 25% (BCS\'s latest); maxUnavailable rounds down with maxSurge; never both zero', () => {
  assert.deepEqual(rolloutBudget(8, '20%', 0, 'HotPatchUpdate'), { maxUnavailable: 2, maxSurge: 0 });
  assert.deepEqual(rolloutBudget(8, undefined, undefined, 'RollingUpdate'), { maxUnavailable: 2, maxSurge: 2 });
  assert.deepEqual(rolloutBudget(3, undefined, undefined, 'RollingUpdate'), { maxUnavailable: 0, maxSurge: 1 }, '25% of 3: surge rounds up, unavailable down');
  assert.deepEqual(rolloutBudget(3, undefined, undefined, 'InplaceUpdate'), { maxUnavailable: 1, maxSurge: 0 }, 'no surge in place: unavailable rounds up');
  assert.deepEqual(rolloutBudget(8, '20%', '25%', 'RollingUpdate'), { maxUnavailable: 1, maxSurge: 2 });
  assert.deepEqual(rolloutBudget(4, '20%', 1, 'RollingUpdate'), { maxUnavailable: 0, maxSurge: 1 });
  assert.deepEqual(rolloutBudget(4, 0, 0, 'RollingUpdate'), { maxUnavailable: 1, maxSurge: 0 });
  assert.deepEqual(rolloutBudget(4, 1, 2, 'InplaceUpdate'), { maxUnavailable: 1, maxSurge: 0 }, 'surge is for RollingUpdate only');
});

// ---- scaling -------------------------------------------------------------------------------

test('missing pods are created at the update revision, or the old one while the partition is short', () => {
  const p = planPods(base({ replicas: 5, partition: 3, pods: [planPod(pod('o1')), planPod(pod('u1'), true)] }));
  assert.equal(p.createOld, 2);
  assert.equal(p.createUpdated, 1);
  const noOld = planPods(base({ replicas: 5, partition: 3, canCreateOld: false, pods: [planPod(pod('o1'))] }));
  assert.equal(noOld.createOld, 0);
  assert.equal(noOld.createUpdated, 4);
});

test('excess pods are scaled down before anything is updated', () => {
  const pods = ['a', 'b', 'c', 'd', 'e'].map((n, i) => planPod(pod(n, { cost: i }), n === 'e'));
  const p = planPods(base({ replicas: 3, pods }));
  assert.deepEqual(names(p.deleteExcess), ['a', 'b']);
  assert.deepEqual(p.deleteForUpdate, []);
  assert.equal(p.createUpdated, 0);
});

test('podsToDelete are deleted whatever the budget, and replaced', () => {
  const pods = ['a', 'b', 'c', 'd'].map((n) => planPod(pod(n), true));
  const p = planPods(base({ replicas: 4, podsToDelete: ['b', 'c', 'gone'], pods, maxUnavailable: 1 }));
  assert.deepEqual(names(p.deleteNamed), ['b', 'c']);
  assert.equal(p.createUpdated, 2);
  const down = planPods(base({ replicas: 2, podsToDelete: ['b', 'c'], pods }));
  assert.deepEqual(names(down.deleteNamed), ['b', 'c']);
  assert.equal(down.createUpdated + down.deleteExcess.length, 0, 'scale-down by the named pods only');
});

// ---- RollingUpdate -------------------------------------------------------------------------

test('RollingUpdate without surge deletes up to maxUnavailable old pods, in update order', () => {
  // Costs are for scale-down only: the newer pods go first.
  const at = (h: number) => `2024-05-01T1${h}:00:00Z`;
  const pods = [planPod(pod('a', { cost: 0, created: at(0) })), planPod(pod('b', { cost: 9, created: at(2) })), planPod(pod('c', { created: at(1) })), planPod(pod('d', { cost: 5, created: at(3) }))];
  const p = planPods(base({ pods, maxUnavailable: 2 }));
  assert.deepEqual(names(p.deleteForUpdate), ['d', 'b']);
  assert.equal(p.blocked, 2);
  assert.equal(p.createUpdated, 0, 'replacements come once the deletions are seen');
});

test('RollingUpdate does not replace a held pod (Allocated), nor spend budget on it; in place it stays selected at no cost', () => {
  const pods = [{ ...planPod(pod('a', { cost: 0 })), held: true }, planPod(pod('b', { cost: 1 })), planPod(pod('c', { cost: 2 })), planPod(pod('d', { cost: 3 }))];
  const rolling = planPods(base({ pods, maxUnavailable: 2 }));
  assert.deepEqual(names(rolling.held), ['a']);
  assert.deepEqual(names(rolling.deleteForUpdate), ['b', 'c']);
  const inPlace = planPods(base({ pods, maxUnavailable: 2, type: 'InplaceUpdate' }));
  assert.deepEqual(names(inPlace.updateInPlace), ['a', 'b', 'c']);
  assert.deepEqual(inPlace.held, []);
});

test('RollingUpdate: unavailable old pods go for free, unavailable new ones use the budget', () => {
  const pods = [planPod(pod('a')), planPod(pod('b', { ready: false }), false, false), planPod(pod('n1'), true, false), planPod(pod('c'))];
  const p = planPods(base({ pods, maxUnavailable: 1 }));
  assert.deepEqual(names(p.deleteForUpdate), ['b']);
  assert.equal(p.blocked, 2);
});

test('RollingUpdate with maxSurge creates first and deletes old pods as new ones become available', () => {
  const old = ['a', 'b', 'c', 'd'].map((n) => planPod(pod(n)));
  const first = planPods(base({ pods: old, maxUnavailable: 0, maxSurge: 1 }));
  assert.equal(first.createUpdated, 1);
  assert.deepEqual(first.deleteForUpdate, [], 'no availability to spare before the surge pod is ready');

  const surgeNotReady = planPods(base({ pods: [...old, planPod(pod('n1'), true, false)], maxUnavailable: 0, maxSurge: 1 }));
  assert.equal(surgeNotReady.createUpdated, 0, 'never more than replicas + maxSurge pods');
  assert.deepEqual(surgeNotReady.deleteForUpdate, []);

  const surgeReady = planPods(base({ pods: [...old, planPod(pod('n1'), true, true)], maxUnavailable: 0, maxSurge: 1 }));
  assert.equal(surgeReady.deleteForUpdate.length, 1);
  assert.equal(surgeReady.createUpdated, 0);
});

test('RollingUpdate surge never exceeds what is left to replace, and the partition keeps old pods', () => {
  const pods = [planPod(pod('a')), planPod(pod('b')), planPod(pod('n1'), true), planPod(pod('n2'), true)];
  const p = planPods(base({ pods, partition: 1, maxSurge: 3, maxUnavailable: 0 }));
  assert.equal(p.createUpdated, 1, 'one old pod left to replace: surge 1');
  const done = planPods(base({ pods, partition: 2, maxSurge: 3, maxUnavailable: 1 }));
  assert.equal(done.createUpdated, 0);
  assert.deepEqual(done.deleteForUpdate, []);
});

test('paused: scaling goes on, updates do not', () => {
  const pods = [planPod(pod('a')), planPod(pod('b'))];
  const p = planPods(base({ replicas: 3, pods, paused: true, maxSurge: 1 }));
  assert.equal(p.createUpdated, 1);
  assert.deepEqual(p.deleteForUpdate, []);
  const ip = planPods(base({ replicas: 2, pods, paused: true, type: 'HotPatchUpdate' }));
  assert.deepEqual(ip.updateInPlace, []);
});

// ---- in place and hot-patch ----------------------------------------------------------------

test('HotPatchUpdate with partition 3 of 8 picks 5 pods, limited by maxUnavailable', () => {
  const pods = Array.from({ length: 8 }, (_, i) => planPod(pod(`p${i}`, { cost: i })));
  const all = planPods(base({ replicas: 8, partition: 3, maxUnavailable: 8, type: 'HotPatchUpdate', pods }));
  assert.deepEqual(names(all.updateInPlace), ['p0', 'p1', 'p2', 'p3', 'p4']);
  const limited = planPods(base({ replicas: 8, partition: 3, maxUnavailable: 2, type: 'HotPatchUpdate', pods }));
  assert.deepEqual(names(limited.updateInPlace), ['p0', 'p1']);
  assert.equal(limited.blocked, 3);
  assert.deepEqual(limited.deleteForUpdate, [], 'never recreates');
});

test('InplaceUpdate counts pods mid-update as unavailable', () => {
  const pods = [planPod(pod('a'), true, false), planPod(pod('b')), planPod(pod('c')), planPod(pod('d'))];
  const p = planPods(base({ type: 'InplaceUpdate', maxUnavailable: 2, pods }));
  assert.equal(p.updateInPlace.length, 1);
  assert.equal(p.blocked, 2);
});

// ---- names ---------------------------------------------------------------------------------

test('pod names: <gd>-<5 chars of the generateName alphabet>, at most 63 characters', () => {
  const { name, instanceId } = newPodName('test-gamedeployment', () => false);
  assert.match(name, /^test-gamedeployment-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(name, `test-gamedeployment-${instanceId}`);
  assert.equal(podName('x'.repeat(100), 'abcde').length, 63);
  let calls = 0;
  const taken = newPodName('gd', (n) => calls++ === 0 && n.length > 0, (n) => (calls === 0 ? 0 : n - 1));
  assert.equal(taken.instanceId, NAME_ALPHABET[NAME_ALPHABET.length - 1]!.repeat(5));
});

// ---- burst cap -----------------------------------------------------------------------------

test('a huge replicas count plans at most BURST_REPLICAS creations, and as many deletions', () => {
  for (const replicas of [2 ** 31 - 1, 1e12]) {
    const plan = planPods(base({ replicas, pods: [planPod(pod('a'), true)] }));
    assert.equal(plan.createUpdated + plan.createOld, BURST_REPLICAS, String(replicas));
  }
  const many = Array.from({ length: BURST_REPLICAS + 20 }, (_, i) => planPod(pod(`p${i}`), true));
  assert.equal(planPods(base({ replicas: 0, pods: many })).deleteExcess.length, BURST_REPLICAS);
  // below the cap nothing changes
  assert.equal(planPods(base({ replicas: 30, pods: many.slice(0, 10) })).createUpdated, 20);
});

test('maxSurge on InplaceUpdate/HotPatchUpdate is named as not acted on, unless it is 0 or the default', () => {
  const gd = (type: string, maxSurge: number | string) => ({ spec: { updateStrategy: { type, maxSurge } } });
  const fieldsNotActedOn = (o: unknown) => notActedOn('GameDeployment', o);
  assert.deepEqual(fieldsNotActedOn(gd('InplaceUpdate', 2)), [
    'spec.updateStrategy.maxSurge: extra pods during a RollingUpdate only (default 25%): an InplaceUpdate or HotPatchUpdate keeps its pods and makes no surge pods',
  ]);
  assert.equal(fieldsNotActedOn(gd('HotPatchUpdate', '50%')).length, 1);
  assert.deepEqual(fieldsNotActedOn(gd('InplaceUpdate', '25%')), [], 'the default every object carries');
  assert.deepEqual(fieldsNotActedOn(gd('HotPatchUpdate', 0)), []);
  assert.deepEqual(fieldsNotActedOn(gd('RollingUpdate', 2)), []);
});

test('the pre-2022 pod-deletion-cost annotation is named as not read', () => {
  const p = (name: string, annotations: Record<string, string>) => ({ metadata: { name, annotations } });
  assert.deepEqual(annotationsNotRead([p('a', { 'io.tencent.bcs.dev/pod-deletion-cost': '1' }), p('b', { 'controller.kubernetes.io/pod-deletion-cost': '1' })]), [
    'annotation io.tencent.bcs.dev/pod-deletion-cost (pods a) is not read: BCS reads controller.kubernetes.io/pod-deletion-cost since 2022',
  ]);
});

test('createBatch: a percentage of replicas rounded up, at least 1; replicas or more is no limit; pods still starting fill the batch', () => {
  assert.equal(createBatchSize(10, '100%'), undefined);
  assert.equal(createBatchSize(10, undefined), undefined);
  assert.equal(createBatchSize(10, 20), undefined);
  assert.equal(createBatchSize(10, '25%'), 3);
  assert.equal(createBatchSize(9, '10%'), 1);
  assert.equal(createBatchSize(10, 4), 4);
  const starting = (name: string) => ({ ...planPod(pod(name), true, false), starting: true });
  assert.equal(planPods(base({ replicas: 10, createBatch: 3 })).createUpdated, 3, 'the first batch');
  assert.equal(planPods(base({ replicas: 10, createBatch: 3, pods: [starting('a'), starting('b'), starting('c')] })).createUpdated, 0, 'the batch before still starting');
  assert.equal(planPods(base({ replicas: 10, createBatch: 3, pods: [planPod(pod('a'), true), starting('b'), planPod(pod('c'), true)] })).createUpdated, 2);
  assert.equal(planPods(base({ replicas: 10 })).createUpdated, 10, 'no batch: all at once');
});
