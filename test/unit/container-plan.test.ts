import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ContainerRecord, type PlanInput, containerView, newRecord, planContainer } from '../../src/node/container-plan.js';
import { backoffUntil, nextBackoff } from '../../src/node/backoff.js';
import { goDuration } from '../../src/util/duration.js';

const policy = { baseMs: 10_000, maxMs: 300_000 };
const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function runningRecord(image = 'app:v1', extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    ...newRecord('app'),
    current: { info: { id: 'c1', name: 'app', image, imageID: 'id1', startedAt: iso(NOW - 60_000), command: '' }, runtime: 'simulated', specImage: image },
    running: true,
    ready: true,
    started: true,
    ...extra,
  };
}

function plan(record: ContainerRecord, extra: Partial<PlanInput> = {}) {
  return planContainer({ image: 'app:v1', restartPolicy: 'Always', hotPatch: false, record, now: NOW, crashBackoff: policy, pullBackoff: policy, podRef: 'web_default(u1)', ...extra });
}

test('a new container is started; a busy one is left alone', () => {
  assert.deepEqual(plan(newRecord('app')), { kind: 'start', afterExit: false });
  assert.deepEqual(plan({ ...newRecord('app'), busy: true }), { kind: 'none' });
});

test('a running container with the spec image needs nothing', () => {
  assert.deepEqual(plan(runningRecord()), { kind: 'none' });
});

test('an image change restarts the container, or hot-patches it when allowed', () => {
  assert.deepEqual(plan(runningRecord(), { image: 'app:v2' }), { kind: 'restart', why: 'image' });
  assert.deepEqual(plan(runningRecord(), { image: 'app:v2', hotPatch: true }), { kind: 'hotPatch' });
});

test('a hot-patch whose pull failed waits out the back-off while the old image runs', () => {
  const rec = runningRecord('app:v1', { failedImage: 'app:v2', pullBackoff: { delayMs: 10_000, lastUpdate: NOW - 3000 } });
  assert.deepEqual(plan(rec, { image: 'app:v2', hotPatch: true }), { kind: 'none', wakeAt: NOW + 7000 });
  assert.deepEqual(plan(rec, { image: 'app:v2', hotPatch: true, now: NOW + 7000 }), { kind: 'hotPatch' });
});

test('a failed liveness probe restarts the container', () => {
  assert.deepEqual(plan(runningRecord('app:v1', { livenessFailed: true })), { kind: 'restart', why: 'liveness' });
});

test('an exited container restarts by policy, under the crash back-off', () => {
  const exited = (exitCode: number, finishedAgoMs: number, backoff?: { delayMs: number; lastUpdate: number }): ContainerRecord => ({
    ...runningRecord(),
    running: false,
    exit: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: iso(NOW - 60_000), finishedAt: iso(NOW - finishedAgoMs) },
    crashBackoff: backoff,
  });
  // First exit: no back-off yet, restart at once.
  assert.deepEqual(plan(exited(1, 0)), { kind: 'start', afterExit: true });
  // Exited again soon after the last restart: wait, reporting CrashLoopBackOff.
  const backoff = { delayMs: 20_000, lastUpdate: NOW - 5000 };
  assert.deepEqual(plan(exited(1, 2000, backoff)), {
    kind: 'none',
    wakeAt: NOW - 2000 + 20_000,
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=web_default(u1)' },
  });
  assert.deepEqual(plan(exited(1, 20_000, backoff)), { kind: 'start', afterExit: true });
  // Policies.
  assert.deepEqual(plan(exited(0, 0), { restartPolicy: 'OnFailure' }), { kind: 'none' });
  assert.deepEqual(plan(exited(3, 0), { restartPolicy: 'OnFailure' }), { kind: 'start', afterExit: true });
  assert.deepEqual(plan(exited(3, 0), { restartPolicy: 'Never' }), { kind: 'none' });
  // An exited container with Never is not restarted for a new image either (kubelet does not).
  assert.deepEqual(plan(exited(0, 0), { restartPolicy: 'Never', image: 'app:v2' }), { kind: 'none' });
});

test('image pulls: ErrImagePull, then ImagePullBackOff, then a new attempt', () => {
  const rec: ContainerRecord = { ...newRecord('app'), waiting: { reason: 'ErrImagePull', message: 'not found' }, failedImage: 'app:v1', pullBackoff: { delayMs: 10_000, lastUpdate: NOW } };
  assert.deepEqual(plan(rec, { now: NOW + 1000 }), { kind: 'none', wakeAt: NOW + 5000 });
  assert.deepEqual(plan(rec, { now: NOW + 5000 }), { kind: 'none', wakeAt: NOW + 10_000, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "app:v1"' } });
  assert.deepEqual(plan(rec, { now: NOW + 10_000 }), { kind: 'start', afterExit: false });
  // A fixed image is tried at once.
  assert.deepEqual(plan(rec, { now: NOW + 1000, image: 'app:v2' }), { kind: 'start', afterExit: false });
});

test('an invalid image name waits for a new image', () => {
  const rec: ContainerRecord = { ...newRecord('app'), waiting: { reason: 'InvalidImageName' }, failedImage: 'Bad:Name' };
  assert.deepEqual(plan(rec, { image: 'Bad:Name' }), { kind: 'none' });
  assert.deepEqual(plan(rec, { image: 'good:v1' }), { kind: 'start', afterExit: false });
});

test('a container that could not be created waits out the crash back-off, then is tried again', () => {
  for (const reason of ['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError']) {
    const rec: ContainerRecord = { ...newRecord('app'), waiting: { reason, message: 'x' }, crashBackoff: { delayMs: 10_000, lastUpdate: NOW - 1000 } };
    assert.deepEqual(plan(rec), { kind: 'none', wakeAt: NOW + 9000 }, reason);
    assert.deepEqual(plan(rec, { now: NOW + 9000 }), { kind: 'start', afterExit: false }, reason);
  }
});

test('the view of a record: running, crash-looping, terminated, never started', () => {
  const run = containerView(runningRecord('app:v1', { restartCount: 2, lastTerminated: { exitCode: 1, reason: 'Error', startedAt: 'a', finishedAt: 'b' } }), 'app:v1');
  assert.deepEqual(run.state, { running: { startedAt: iso(NOW - 60_000) } });
  assert.equal(run.containerID, 'simulated://c1');
  assert.equal(run.lastState?.exitCode, 1);
  assert.equal(run.restartCount, 2);

  const exit = { exitCode: 1, reason: 'Error', startedAt: 'x', finishedAt: 'y', containerID: 'simulated://c1' };
  const loop = containerView({ ...runningRecord(), running: false, exit, waiting: { reason: 'CrashLoopBackOff' } }, 'app:v1');
  assert.deepEqual(loop.state, { waiting: { reason: 'CrashLoopBackOff' } });
  assert.deepEqual(loop.lastState, exit, 'the last exit shows as lastState while waiting to restart');
  assert.equal(loop.ready, false);

  const done = containerView({ ...runningRecord(), running: false, exit }, 'app:v1');
  assert.deepEqual(done.state, { terminated: exit });

  const fresh = containerView(newRecord('app'), 'app:v9');
  assert.deepEqual([fresh.state, fresh.image, fresh.imageID, fresh.containerID], [{ waiting: { reason: 'ContainerCreating' } }, 'app:v9', '', undefined]);
});

test('back-off: 10s doubling to 5 min, forgotten after 10 min without use', () => {
  let e = nextBackoff(undefined, 0, policy);
  assert.equal(e.delayMs, 10_000);
  for (let i = 0; i < 10; i++) e = nextBackoff(e, 1000 * i, policy);
  assert.equal(e.delayMs, 300_000);
  assert.equal(nextBackoff(e, e.lastUpdate + 600_001, policy).delayMs, 10_000);
  assert.equal(backoffUntil({ delayMs: 10_000, lastUpdate: 0 }, 1000, 5000, policy), 11_000);
  assert.equal(backoffUntil({ delayMs: 10_000, lastUpdate: 0 }, 1000, 11_000, policy), undefined);
  assert.equal(backoffUntil(undefined, 1000, 5000, policy), undefined);
  assert.deepEqual([goDuration(10_000), goDuration(80_000), goDuration(300_000), goDuration(500)], ['10s', '1m20s', '5m0s', '500ms']);
});
