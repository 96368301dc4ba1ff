import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStatus, setCondition } from '../../src/controller/gamedeployment/status.js';
import { UPDATE_STATE_ANNOTATION } from '../../src/update/in-place.js';

type Json = Record<string, any>;
const NOW = Date.parse('2024-05-01T10:00:30Z');

function pod(name: string, o: { revision?: string; ready?: boolean; readySince?: string; terminating?: boolean; phase?: string; state?: Json; containerID?: string; image?: string } = {}): Json {
  return {
    metadata: {
      name,
      labels: { 'controller-revision-hash': o.revision ?? 'gd-a' },
      annotations: o.state ? { [UPDATE_STATE_ANNOTATION]: JSON.stringify(o.state) } : {},
      ...(o.terminating ? { deletionTimestamp: '2024-05-01T10:00:00Z' } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2024-05-01T10:00:00Z' }],
      containerStatuses: [{ name: 'main', image: o.image ?? 'main:v1', imageID: `id-${o.image ?? 'main:v1'}`, containerID: o.containerID ?? `c-${name}`, state: { running: {} } }],
    },
  };
}

const hotPatch = (name: string) => ({
  revision: 'gd-b',
  method: 'HotPatch',
  updateTimestamp: '2024-05-01T10:00:10Z',
  images: { main: 'main:v2' },
  lastContainerStatuses: { main: { imageID: 'id-main:v1', containerID: `c-${name}`, restartCount: 0 } },
});

function status(pods: Json[], over: Partial<Parameters<typeof computeStatus>[0]> = {}) {
  return computeStatus({
    generation: 3,
    selector: { matchLabels: { app: 'test-gamedeployment' } },
    pods,
    updateRevision: 'gd-b',
    currentRevision: 'gd-a',
    minReadySeconds: 0,
    now: NOW,
    canary: {},
    conditions: [],
    ...over,
  });
}

test('the seed after the patch: 8 replicas, 5 hot-patched and confirmed, 8 ready', () => {
  const pods = Array.from({ length: 8 }, (_, i) => (i < 5 ? pod(`p${i}`, { revision: 'gd-b', image: 'main:v2', state: hotPatch(`p${i}`) }) : pod(`p${i}`)));
  assert.deepEqual(status(pods), {
    observedGeneration: 3,
    replicas: 8,
    readyReplicas: 8,
    availableReplicas: 8,
    updatedReplicas: 5,
    updatedReadyReplicas: 5,
    currentRevision: 'gd-a',
    updateRevision: 'gd-b',
    collisionCount: 0,
    labelSelector: 'app=test-gamedeployment',
  });
});

test('a hot-patch counts as UPDATED_READY only once the node reports the new image in the same container', () => {
  const notYet = pod('p0', { revision: 'gd-b', image: 'main:v1', state: hotPatch('p0') });
  const restarted = pod('p1', { revision: 'gd-b', image: 'main:v2', containerID: 'c-other', state: hotPatch('p1') });
  const done = pod('p2', { revision: 'gd-b', image: 'main:v2', state: hotPatch('p2') });
  const s = status([notYet, restarted, done]);
  assert.equal(s.updatedReplicas, 3, 'UPDATED follows the revision label, as BCS');
  assert.equal(s.updatedReadyReplicas, 1);
  assert.equal(s.readyReplicas, 3);
});

test('terminating pods are not replicas; minReadySeconds holds back availability', () => {
  const pods = [pod('a'), pod('b', { terminating: true }), pod('d', { readySince: '2024-05-01T10:00:25Z' })];
  const s = status(pods, { minReadySeconds: 10 });
  assert.equal(s.replicas, 2);
  assert.equal(s.readyReplicas, 2);
  assert.equal(s.availableReplicas, 1);
});

test('canary fields and conditions are written when there are any', () => {
  const s = status([], {
    canary: { currentStepIndex: 1, currentStepHash: 'x7', pauseConditions: [{ reason: 'PausedByCanaryPauseStep', startTime: 't' }], canary: { revision: 'gd-a', pauseStartTime: undefined } },
    conditions: [{ type: 'FailedUpdate', status: 'True', reason: 'R', message: 'm', lastTransitionTime: 't' }],
  });
  assert.equal(s.currentStepIndex, 1);
  assert.equal(s.currentStepHash, 'x7');
  assert.deepEqual(s.pauseConditions, [{ reason: 'PausedByCanaryPauseStep', startTime: 't' }]);
  assert.deepEqual(s.canary, { revision: 'gd-a' });
  assert.equal(s.conditions.length, 1);
});

test('setCondition keeps lastTransitionTime while the status stays, and removes a condition', () => {
  const a = setCondition([], 'FailedUpdate', { status: 'True', reason: 'X', message: 'one' }, 't1');
  const b = setCondition(a, 'FailedUpdate', { status: 'True', reason: 'X', message: 'two' }, 't2');
  assert.equal(b[0]!.lastTransitionTime, 't1');
  assert.equal(b[0]!.message, 'two');
  const c = setCondition(b, 'FailedUpdate', { status: 'False', reason: 'Y' }, 't3');
  assert.equal(c[0]!.lastTransitionTime, 't3');
  assert.deepEqual(setCondition(c, 'FailedUpdate', undefined, 't4'), []);
});
