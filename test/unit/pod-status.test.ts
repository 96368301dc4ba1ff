import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ContainerView, type PodView, podPhase, podStatus, statusChanged } from '../../src/node/pod-status.js';

type Json = Record<string, any>;
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function running(name: string, extra: Partial<ContainerView> = {}): ContainerView {
  return { name, image: `${name}:v1`, imageID: `docker.io/library/${name}@sha256:aa`, containerID: `simulated://${name}1`, state: { running: { startedAt: T0 } }, restartCount: 0, ready: true, started: true, ...extra };
}

function view(containers: ContainerView[], extra: Partial<PodView> = {}): PodView {
  return { containers, initContainers: [], podIP: '127.100.1.2', hostIP: '127.0.0.1', startTime: T0, sandboxReady: true, ...extra };
}

function pod(extra: Json = {}): Json {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', generation: 2 },
    spec: { restartPolicy: 'Always', containers: [{ name: 'app' }, { name: 'sidecar' }], ...extra.spec },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T0 }], ...extra.status },
  };
}

const cond = (s: Json, type: string): Json => (s.conditions as Json[]).find((c) => c.type === type) ?? {};

test('two running ready containers: Running, all conditions True, sorted statuses, qosClass kept', () => {
  const s = podStatus(pod(), view([running('sidecar'), running('app')]), T1);
  assert.equal(s.phase, 'Running');
  assert.deepEqual(
    s.conditions.map((c: Json) => [c.type, c.status]),
    [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ],
  );
  assert.equal(cond(s, 'PodScheduled').lastTransitionTime, T0, 'transition time kept while the status holds');
  assert.equal(cond(s, 'Ready').lastTransitionTime, T1);
  assert.equal(cond(s, 'Ready').observedGeneration, 2);
  assert.deepEqual(s.containerStatuses.map((c: Json) => c.name), ['app', 'sidecar']);
  assert.deepEqual(s.containerStatuses[0], {
    name: 'app',
    state: { running: { startedAt: T0 } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: 'app:v1',
    imageID: 'docker.io/library/app@sha256:aa',
    containerID: 'simulated://app1',
    started: true,
  });
  assert.equal(s.qosClass, 'BestEffort');
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual([s.podIP, s.podIPs, s.hostIP, s.hostIPs, s.startTime], ['127.100.1.2', [{ ip: '127.100.1.2' }], '127.0.0.1', [{ ip: '127.0.0.1' }], T0]);
});

test('an unready container: ContainersReady and Ready False with kubelet message', () => {
  const s = podStatus(pod(), view([running('app', { ready: false }), running('sidecar', { ready: false })]), T1);
  assert.deepEqual(
    [cond(s, 'Ready').status, cond(s, 'Ready').reason, cond(s, 'Ready').message],
    ['False', 'ContainersNotReady', 'containers with unready status: [app sidecar]'],
  );
  assert.equal(cond(s, 'ContainersReady').status, 'False');
});

test('readiness gates hold Ready False until their condition is True; their conditions are kept', () => {
  const gated = (gateStatus?: string) =>
    pod({
      spec: { readinessGates: [{ conditionType: 'hotpod.dev/InPlaceUpdateReady' }] },
      status: gateStatus ? { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }, { type: 'hotpod.dev/InPlaceUpdateReady', status: gateStatus }] } : {},
    });
  let s = podStatus(gated(), view([running('app')]), T1);
  assert.deepEqual([cond(s, 'Ready').status, cond(s, 'Ready').reason], ['False', 'ReadinessGatesNotReady']);
  assert.equal(cond(s, 'Ready').message, 'corresponding condition of pod readiness gate "hotpod.dev/InPlaceUpdateReady" does not exist.');
  assert.equal(cond(s, 'ContainersReady').status, 'True');
  s = podStatus(gated('False'), view([running('app')]), T1);
  assert.equal(cond(s, 'Ready').message, 'the status of pod readiness gate "hotpod.dev/InPlaceUpdateReady" is not "True", but False');
  assert.deepEqual(cond(s, 'hotpod.dev/InPlaceUpdateReady'), { type: 'hotpod.dev/InPlaceUpdateReady', status: 'False' }, 'a controller-owned condition is kept as written');
  s = podStatus(gated('True'), view([running('app')]), T1);
  assert.equal(cond(s, 'Ready').status, 'True');
});

test('phase follows kubelet getPhase', () => {
  const waiting = (name: string): ContainerView => ({ ...running(name), state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false, containerID: undefined });
  const exited = (name: string, exitCode: number, last = false): ContainerView =>
    last
      ? { ...running(name), state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { exitCode, reason: 'Error', startedAt: T0, finishedAt: T1 } }
      : { ...running(name), state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: T0, finishedAt: T1 } } };
  assert.equal(podPhase('Always', view([waiting('a'), running('b')])), 'Pending');
  assert.equal(podPhase('Always', view([exited('a', 1, true), running('b')])), 'Running', 'crash-looping counts as stopped, not waiting');
  assert.equal(podPhase('Always', view([exited('a', 0)])), 'Running');
  assert.equal(podPhase('OnFailure', view([exited('a', 0)])), 'Succeeded');
  assert.equal(podPhase('OnFailure', view([exited('a', 1)])), 'Running');
  assert.equal(podPhase('Never', view([exited('a', 1), exited('b', 0)])), 'Failed');
  assert.equal(podPhase('Never', view([exited('a', 0), exited('b', 0)])), 'Succeeded');
  assert.equal(podPhase('Always', view([running('a')]), 'Failed'), 'Failed', 'a terminal phase never changes');
  assert.equal(podPhase('Always', view([exited('a', 0), exited('b', 137)]), undefined, true), 'Failed', 'a deleted pod ends Failed unless all exited 0');
  assert.equal(podPhase('Always', view([exited('a', 0)]), undefined, true), 'Succeeded');
});

test('init containers: Pending and Initialized False until done; sidecars count once started', () => {
  const init: ContainerView = { ...running('init'), state: { running: { startedAt: T0 } } };
  const v = view([{ ...running('app'), state: { waiting: { reason: 'PodInitializing' } }, ready: false, started: false }], { initContainers: [init] });
  const s = podStatus(pod({ spec: { initContainers: [{ name: 'init' }] } }), v, T1);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual([cond(s, 'Initialized').status, cond(s, 'Initialized').message], ['False', 'containers with incomplete status: [init]']);
  assert.equal(s.initContainerStatuses[0].name, 'init');
  const done = view([running('app')], { initContainers: [{ ...init, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: T0, finishedAt: T0 } } }, { ...running('proxy'), sidecar: true }] });
  const s2 = podStatus(pod(), done, T1);
  assert.equal(s2.phase, 'Running');
  assert.equal(cond(s2, 'Initialized').status, 'True');
});

test('statusChanged ignores key order and sees real differences', () => {
  const s = podStatus(pod(), view([running('app')]), T1);
  const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(s).reverse())));
  assert.equal(statusChanged(reordered, s), false);
  assert.equal(statusChanged({ ...reordered, phase: 'Pending' }, s), true);
  // Computing again later keeps the transition times, so nothing would be written.
  assert.equal(statusChanged(s, podStatus({ ...pod(), status: s }, view([running('app')]), '2026-01-01T00:05:00Z')), false);
});

test('fields kubelet does not own survive', () => {
  const s = podStatus(pod({ status: { nominatedNodeName: 'node-9', resize: 'InProgress' } }), view([running('app')]), T1);
  assert.equal(s.nominatedNodeName, 'node-9');
  assert.equal(s.resize, 'InProgress');
});
