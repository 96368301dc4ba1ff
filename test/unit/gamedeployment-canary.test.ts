import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCanary, stepPartition, stepsHash, type CanaryInput, type CanaryStepSpec } from '../../src/controller/gamedeployment/canary.js';

// BCS's canary example: 4 replicas, partition 3, pause, partition 2, pause 60 s, hook.
const STEPS: CanaryStepSpec[] = [{ partition: 3 }, { pause: {} }, { partition: 2 }, { pause: { duration: 60 } }, { hook: { templateName: 'test' } }];
const T0 = Date.parse('2024-05-01T10:00:00Z');

function input(over: Partial<CanaryInput> & { status?: CanaryInput['status'] } = {}): CanaryInput {
  return {
    steps: STEPS,
    status: { updateRevision: 'gd-b', currentStepIndex: 0, currentStepHash: stepsHash(STEPS) },
    updateRevision: 'gd-b',
    replicas: 4,
    specPartition: 0,
    paused: false,
    updatedReplicas: 0,
    updatedReadyReplicas: 0,
    now: T0,
    ...over,
  };
}

test('no steps: the spec partition, no step fields', () => {
  const d = planCanary(input({ steps: undefined, specPartition: 2 }));
  assert.equal(d.partition, 2);
  assert.deepEqual(d.state, {});
  assert.equal(d.pause, false);
});

test('the first revision has nothing to roll out: steps count as done', () => {
  const d = planCanary(input({ status: {}, specPartition: 1, updatedReplicas: 4, updatedReadyReplicas: 4 }));
  assert.equal(d.state.currentStepIndex, STEPS.length);
  assert.equal(d.state.currentStepHash, stepsHash(STEPS));
  assert.equal(d.partition, 1);
  assert.equal(d.pause, false);
  assert.deepEqual(d.events, []);
});

test('a new revision starts at step 0 with its partition, and records the stable revision', () => {
  const d = planCanary(input({ status: { updateRevision: 'gd-a', currentStepIndex: 5, currentStepHash: stepsHash(STEPS) }, updateRevision: 'gd-b', updatedReadyReplicas: 0 }));
  assert.equal(d.state.currentStepIndex, 0);
  assert.equal(d.partition, 3);
  assert.equal(d.state.canary?.revision, 'gd-a');
  assert.deepEqual(d.events.map((e) => e.reason), ['SetStepIndex']);
  assert.match(d.events[0]!.message, /currentStepIndex to 0 .*partition 3/);
});

test('a partition step waits until replicas − partition pods are updated and ready', () => {
  const waiting = planCanary(input({ updatedReplicas: 1, updatedReadyReplicas: 0 }));
  assert.equal(waiting.state.currentStepIndex, 0);
  assert.equal(waiting.partition, 3);
  assert.deepEqual(waiting.events, []);
});

test('a done partition step moves on; an untimed pause sets paused and keeps the partition', () => {
  const d = planCanary(input({ updatedReplicas: 1, updatedReadyReplicas: 1 }));
  assert.equal(d.state.currentStepIndex, 1);
  assert.equal(d.partition, 3, 'the pause keeps the last partition');
  assert.equal(d.pause, true);
  assert.deepEqual(d.state.pauseConditions, [{ reason: 'PausedByCanaryPauseStep', startTime: '2024-05-01T10:00:00Z' }]);
  assert.deepEqual(d.events.map((e) => e.reason), ['SetStepIndex', 'SetPaused']);
});

test('an untimed pause waits while paused is true, and moves on once the user sets it false', () => {
  const held = { updateRevision: 'gd-b', currentStepIndex: 1, currentStepHash: stepsHash(STEPS), pauseConditions: [{ reason: 'PausedByCanaryPauseStep', startTime: '2024-05-01T10:00:00Z' }] };
  const waiting = planCanary(input({ status: held, paused: true, updatedReadyReplicas: 1, now: T0 + 3_600_000 }));
  assert.equal(waiting.state.currentStepIndex, 1);
  assert.equal(waiting.pause, false, 'already paused: nothing to write');
  assert.equal(waiting.state.pauseConditions?.length, 1);

  const resumed = planCanary(input({ status: held, paused: false, updatedReadyReplicas: 1, now: T0 + 3_600_000 }));
  assert.equal(resumed.state.currentStepIndex, 2);
  assert.equal(resumed.partition, 2);
  assert.deepEqual(resumed.state.pauseConditions, []);
  assert.deepEqual(resumed.events.map((e) => e.reason), ['SetStepIndex']);
});

test('a timed pause holds, asks to be looked at when it runs out, then resumes by itself', () => {
  const start = { updateRevision: 'gd-b', currentStepIndex: 2, currentStepHash: stepsHash(STEPS) };
  const entered = planCanary(input({ status: start, updatedReadyReplicas: 2 }));
  assert.equal(entered.state.currentStepIndex, 3);
  assert.equal(entered.pause, false, 'a timed pause does not touch spec.paused');
  assert.equal(entered.requeueAfterMs, 60_000);
  assert.deepEqual(entered.state.pauseConditions, [{ reason: 'PausedByCanaryPauseStep', startTime: '2024-05-01T10:00:00Z' }]);
  assert.equal(entered.state.canary?.pauseStartTime, '2024-05-01T10:00:00Z');

  const held = { ...start, ...entered.state };
  const midway = planCanary(input({ status: held, updatedReadyReplicas: 2, now: T0 + 45_000 }));
  assert.equal(midway.state.currentStepIndex, 3);
  assert.equal(midway.requeueAfterMs, 15_000);

  const after = planCanary(input({ status: held, updatedReadyReplicas: 2, now: T0 + 60_000 }));
  // Step 4 is a hook: its run is started (no pause), and the step waits for its verdict.
  assert.equal(after.state.currentStepIndex, 4);
  assert.deepEqual(after.state.pauseConditions, []);
  assert.equal(after.pause, false);
  assert.deepEqual(after.startHook, { index: 4, step: STEPS[4], runName: 'canary-gd-b-4-test' });
  assert.equal(after.state.canary?.currentStepHookRun, 'canary-gd-b-4-test');
});

test('a hook step: waits while its run runs, goes on when it is Successful, pauses when it fails', () => {
  const at4 = { updateRevision: 'gd-b', currentStepIndex: 4, currentStepHash: stepsHash(STEPS) };
  const run = (phase: string) => new Map([[4, { name: 'canary-gd-b-4-test', phase }]]);

  const running = planCanary(input({ status: at4, updatedReadyReplicas: 2, stepRuns: run('Running') }));
  assert.equal(running.state.currentStepIndex, 4);
  assert.equal(running.startHook, undefined, 'a run that exists is not started again');
  assert.equal(running.pause, false);
  assert.equal(running.state.canary?.currentStepHookRun, 'canary-gd-b-4-test');
  assert.equal(running.partition, 2, 'the last partition step holds while the hook runs');

  const passed = planCanary(input({ status: at4, updatedReadyReplicas: 2, stepRuns: run('Successful') }));
  assert.equal(passed.state.currentStepIndex, 5);
  assert.equal(passed.partition, 0, 'after the last step the spec partition applies');
  assert.equal(passed.state.canary?.currentStepHookRun, undefined);
  assert.ok(passed.events.some((e) => e.reason === 'SetStepIndex' && /Successful/.test(e.message)));

  for (const phase of ['Failed', 'Error', 'Inconclusive']) {
    const failed = planCanary(input({ status: at4, updatedReadyReplicas: 2, stepRuns: run(phase) }));
    assert.equal(failed.state.currentStepIndex, 4, phase);
    assert.equal(failed.pause, true, `${phase}: spec.updateStrategy.paused is set`);
    assert.deepEqual(failed.state.pauseConditions, [{ reason: 'PausedByStepBasedHook', startTime: '2024-05-01T10:00:00Z' }]);
    assert.ok(failed.events.some((e) => e.type === 'Warning' && e.message.includes(`is ${phase}`)));
  }

  // A person sets paused: false again: the failed step is passed over.
  const held = { ...at4, pauseConditions: [{ reason: 'PausedByStepBasedHook', startTime: '2024-05-01T10:00:00Z' }] };
  const resumed = planCanary(input({ status: held, paused: false, updatedReadyReplicas: 2, stepRuns: run('Failed') }));
  assert.equal(resumed.state.currentStepIndex, 5);
  assert.deepEqual(resumed.state.pauseConditions, []);
});

test('after the last step the spec partition applies', () => {
  const held = { updateRevision: 'gd-b', currentStepIndex: 4, currentStepHash: stepsHash(STEPS), pauseConditions: [{ reason: 'PausedByStepBasedHook', startTime: '2024-05-01T10:01:00Z' }] };
  const d = planCanary(input({ status: held, paused: false, updatedReadyReplicas: 2, specPartition: 0 }));
  assert.equal(d.state.currentStepIndex, 5);
  assert.equal(d.partition, 0);
  assert.deepEqual(d.state.pauseConditions, []);
});

test('several partition steps complete in one pass when the pods are there already', () => {
  const steps: CanaryStepSpec[] = [{ partition: 3 }, { partition: '50%' }, { partition: 1 }];
  const d = planCanary(input({ steps, status: { updateRevision: 'gd-b', currentStepIndex: 0, currentStepHash: stepsHash(steps) }, updatedReadyReplicas: 2 }));
  assert.equal(d.state.currentStepIndex, 2);
  assert.equal(d.partition, 1);
  assert.equal(d.events.length, 2);
});

test('a manual pause stops partition steps from moving on', () => {
  const d = planCanary(input({ paused: true, updatedReadyReplicas: 4 }));
  assert.equal(d.state.currentStepIndex, 0);
});

test('edited steps start over, unless every pod is updated already', () => {
  const stale = { updateRevision: 'gd-b', currentStepIndex: 3, currentStepHash: 'other' };
  const restarted = planCanary(input({ status: stale, updatedReplicas: 2, updatedReadyReplicas: 2 }));
  assert.equal(restarted.state.currentStepHash, stepsHash(STEPS));
  // Step 0 (partition 3) is done already, step 1 pauses.
  assert.equal(restarted.state.currentStepIndex, 1);
  const done = planCanary(input({ status: stale, updatedReplicas: 4, updatedReadyReplicas: 4 }));
  assert.equal(done.state.currentStepIndex, STEPS.length);
  assert.equal(done.pause, false);
});

test('before the first partition step nothing is updated', () => {
  assert.equal(stepPartition([{ pause: {} }, { partition: 1 }], 0, 4, 0), 4);
  assert.equal(stepPartition([{ pause: {} }, { partition: 1 }], 1, 4, 0), 1);
  assert.equal(stepPartition([{ pause: {} }, { partition: 1 }], 2, 4, 0), 0);
  assert.equal(stepPartition([{ partition: '50%' }], 0, 5, 0), 3, 'percentages round up');
});

test('the steps hash is stable and short', () => {
  assert.equal(stepsHash(STEPS), stepsHash(structuredClone(STEPS)));
  assert.notEqual(stepsHash(STEPS), stepsHash([{ partition: 2 }]));
  assert.match(stepsHash(STEPS), /^[bcdfghjklmnpqrstvwxz2456789]{1,8}$/);
});
