// The GameServerSet's pure decisions: scale-down order, update order, which ordinals to add and
// remove, Kill, ReserveIds, and new pods' revisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleDownOrder, updateOrder } from '../../src/controller/gameserverset/ordering.js';
import { planScale, replicasAfterKill, reserveIdsWith, type Member } from '../../src/controller/gameserverset/scale-plan.js';
import { ordinalOf } from '../../src/controller/gameserverset/labels.js';
import { BURST_REPLICAS } from '../../src/controller/workload/burst.js';
import { planRollout } from '../../src/update/rollout-plan.js';

function member(ordinal: number, over: Partial<Member> = {}): Member {
  return { name: `gs-${ordinal}`, ordinal, opsState: 'None', deletionPriority: 0, updatePriority: 0, ...over };
}

test('scale-down order: opsState Kill > WaitToBeDeleted > None > Allocated > Maintaining, then deletionPriority, then ordinal', () => {
  const members = [
    member(0, { opsState: 'Maintaining' }),
    member(1, { opsState: 'Allocated' }),
    member(2),
    member(3, { deletionPriority: 5 }),
    member(4, { opsState: 'WaitToBeDeleted' }),
    member(5, { opsState: 'Kill' }),
    member(6),
  ];
  assert.deepEqual([...members].sort(scaleDownOrder).map((m) => m.ordinal), [5, 4, 3, 6, 2, 1, 0]);
});

test('update order: updatePriority, then the higher ordinal', () => {
  const members = [member(0, { updatePriority: 10 }), member(1), member(2), member(3, { updatePriority: 1 })];
  assert.deepEqual([...members].sort(updateOrder).map((m) => m.ordinal), [0, 3, 2, 1]);
});

test('partition 2 of 3 with one server at updatePriority 10: only that server updates', () => {
  const pods = [member(0), member(1, { updatePriority: 10 }), member(2)].map((m) => ({ ...m, updated: false, available: true, terminating: false }));
  const plan = planRollout({ pods, replicas: 3, partition: 2, maxUnavailable: 1, order: updateOrder });
  assert.deepEqual(plan.update.map((p) => p.ordinal), [1]);
});

test('scale up fills the lowest ordinals no member holds, skipping reserved ones; one still going away is planned (made once free)', () => {
  // Ordinal 3's pod is terminating (a ReCreate): it is no member, and it keeps its name.
  const plan = planScale({ members: [member(0), member(2)], replicas: 5, reserved: new Set([1]) });
  assert.deepEqual(plan, { remove: [], create: [3, 4, 5] });
});

test('scale down removes by the scale-down order', () => {
  const plan = planScale({ members: [member(0), member(1, { opsState: 'WaitToBeDeleted' }), member(2), member(3, { opsState: 'Allocated' })], replicas: 2, reserved: new Set() });
  assert.deepEqual(plan.remove.map((r) => [r.member.ordinal, r.reason]), [[1, 'scaleDown'], [2, 'scaleDown']]);
  assert.deepEqual(plan.create, []);
});

test('a server a preDelete hook holds stays first to go, so a held scale-down keeps its choice', () => {
  const members = [member(0, { preparingDelete: true }), member(1, { opsState: 'WaitToBeDeleted' }), member(2)];
  assert.deepEqual(planScale({ members, replicas: 2, reserved: new Set() }).remove.map((r) => r.member.ordinal), [0]);
});

test('allocated-update Wait: an Allocated server is removed only when nothing else can go', () => {
  const members = [member(0, { opsState: 'Allocated' }), member(1, { opsState: 'Maintaining' }), member(2)];
  const plan = (allocatedLast: boolean) => planScale({ members, replicas: 1, reserved: new Set(), allocatedLast }).remove.map((r) => r.member.ordinal);
  assert.deepEqual(plan(false), [2, 0], 'OpenKruiseGame: Allocated before Maintaining');
  assert.deepEqual(plan(true), [2, 1]);
});

test('a newly reserved ordinal is removed and replaced by a free one', () => {
  const plan = planScale({ members: [member(0), member(1), member(2)], replicas: 3, reserved: new Set([1]) });
  assert.deepEqual(plan.remove.map((r) => [r.member.ordinal, r.reason]), [[1, 'reserved']]);
  assert.deepEqual(plan.create, [3]);
});

test('scaleStrategy.maxUnavailable caps the new ordinals of one pass', () => {
  assert.deepEqual(planScale({ members: [], replicas: 5, reserved: new Set(), maxCreate: 2 }).create, [0, 1]);
});

test('Kill lowers replicas once, on a settled set only', () => {
  const members = [member(0), member(1, { opsState: 'Kill' }), member(2)];
  assert.equal(replicasAfterKill({ replicas: 3, members, settling: false }), 2);
  // Already lowered (3 members, 2 replicas): not again.
  assert.equal(replicasAfterKill({ replicas: 2, members, settling: false }), undefined);
  assert.equal(replicasAfterKill({ replicas: 3, members, settling: true }), undefined);
  assert.equal(replicasAfterKill({ replicas: 3, members: [member(0), member(1), member(2)], settling: false }), undefined);
  // After the lowered replicas, the scale-down removes the Kill server first.
  const plan = planScale({ members, replicas: 2, reserved: new Set() });
  assert.deepEqual(plan.remove.map((r) => r.member.ordinal), [1]);
});

test('ReserveIds writes removed ordinals back, keeping entries as written', () => {
  assert.deepEqual(reserveIdsWith([1, '3-4'], [5, 3, 2]), [1, '3-4', 2, 5]);
  assert.deepEqual(reserveIdsWith(undefined, [2]), [2]);
});

test('ordinals come only from <set>-<n> names', () => {
  assert.equal(ordinalOf('mc', 'mc-12'), 12);
  assert.equal(ordinalOf('mc', 'mc-012'), undefined);
  assert.equal(ordinalOf('mc', 'mc-x'), undefined);
  assert.equal(ordinalOf('mc', 'mcx-1'), undefined);
  assert.equal(ordinalOf('mc-1', 'mc-1-2'), 2);
});

test('a huge replicas count plans at most BURST_REPLICAS new ordinals per pass; scale-down too', () => {
  for (const replicas of [2 ** 31 - 1, 1e12]) {
    const plan = planScale({ members: [member(0)], replicas, reserved: new Set() });
    assert.equal(plan.create.length, BURST_REPLICAS, String(replicas));
    assert.deepEqual(plan.create.slice(0, 2), [1, 2]);
  }
  assert.equal(planScale({ members: [], replicas: 2 ** 31 - 1, reserved: new Set(), maxCreate: 3 }).create.length, 3);
  const members = Array.from({ length: BURST_REPLICAS + 5 }, (_, i) => member(i));
  assert.equal(planScale({ members, replicas: 0, reserved: new Set() }).remove.length, BURST_REPLICAS);
});
