import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRollout, type PodState } from '../../src/update/rollout-plan.js';
import { scaledValue } from '../../src/update/availability.js';

interface Pod extends PodState {
  ordinal: number;
  priority: number;
}

function pods(n: number, over: Partial<Pod>[] = []): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `gs-${i}`,
    ordinal: i,
    priority: 0,
    updated: false,
    available: true,
    terminating: false,
    ...(over[i] ?? {}),
  }));
}

const byPriorityThenOrdinal = (a: Pod, b: Pod) => b.priority - a.priority || b.ordinal - a.ordinal;

test('partition 2 of 3 with one priority-10 server updates only that server', () => {
  const plan = planRollout({ pods: pods(3, [{ priority: 10 }]), replicas: 3, partition: 2, maxUnavailable: 1, order: byPriorityThenOrdinal });
  assert.deepEqual(plan.update.map((p) => p.name), ['gs-0']);
  assert.equal(plan.pending, 1);
});

test('highest ordinal first without priorities, limited by maxUnavailable', () => {
  const plan = planRollout({ pods: pods(5), replicas: 5, partition: 0, maxUnavailable: 2, order: byPriorityThenOrdinal });
  assert.deepEqual(plan.update.map((p) => p.name), ['gs-4', 'gs-3']);
  assert.equal(plan.blocked, 3);
});

test('unavailable pods use up the budget; already-unavailable candidates update for free', () => {
  const input = pods(4, [{ available: false }, {}, {}, {}]);
  const plan = planRollout({ pods: input, replicas: 4, partition: 0, maxUnavailable: 1, order: byPriorityThenOrdinal });
  // gs-0 is unavailable (budget used), so only it may be updated now.
  assert.deepEqual(plan.update.map((p) => p.name), ['gs-0']);
});

test('updated pods count towards the target and are never picked again', () => {
  const input = pods(4, [{}, {}, { updated: true }, { updated: true }]);
  const plan = planRollout({ pods: input, replicas: 4, partition: 1, maxUnavailable: 4, order: byPriorityThenOrdinal });
  assert.deepEqual(plan.update.map((p) => p.name), ['gs-1']);
  assert.equal(plan.pending, 1);
});

test('missing replicas count as unavailable', () => {
  const plan = planRollout({ pods: pods(2), replicas: 3, partition: 0, maxUnavailable: 1, order: byPriorityThenOrdinal });
  assert.deepEqual(plan.update, []);
  assert.equal(plan.blocked, 2);
});

test('terminating pods are neither counted as updated nor picked', () => {
  const input = pods(3, [{ terminating: true, available: false }]);
  const plan = planRollout({ pods: input, replicas: 3, partition: 0, maxUnavailable: 2, order: byPriorityThenOrdinal });
  assert.deepEqual(plan.update.map((p) => p.name), ['gs-2']);
});

test('nothing to do when the partition covers every pod', () => {
  const plan = planRollout({ pods: pods(3), replicas: 3, partition: 3, maxUnavailable: 3, order: byPriorityThenOrdinal });
  assert.deepEqual(plan, { update: [], blocked: 0, pending: 0 });
});

test('scaledValue resolves ints and percentages', () => {
  assert.equal(scaledValue(2, 10, false, 1), 2);
  assert.equal(scaledValue('20%', 8, false, 1), 1);
  assert.equal(scaledValue('20%', 8, true, 1), 2);
  assert.equal(scaledValue('100%', 1000, false, 1), 1000);
  assert.equal(scaledValue(undefined, 10, false, 1), 1);
  assert.throws(() => scaledValue('abc', 10, false, 1), /integer or a percentage/);
});

test('a pod a lifecycle hook holds in service stays selected but costs no budget: the next one is picked', () => {
  const held = planRollout({ pods: pods(3, [{}, {}, { held: true }]), replicas: 3, partition: 0, maxUnavailable: 1, order: byPriorityThenOrdinal });
  assert.deepEqual(held.update.map((p) => p.name), ['gs-2', 'gs-1']);
  const unheld = planRollout({ pods: pods(3), replicas: 3, partition: 0, maxUnavailable: 1, order: byPriorityThenOrdinal });
  assert.deepEqual(unheld.update.map((p) => p.name), ['gs-2']);
});
