import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hookConditions, hookGate, hookRunLabels, hookRunName, postInplaceDue, runsToPrune } from '../../src/update/hook-gate.js';
import { hookRunFromTemplate, mergeArgs, podArgs } from '../../src/controller/hookrun/from-template.js';
import { nextPodUpdateStep, type PodUpdateTarget } from '../../src/update/pod-update-step.js';

const ID = 'tkex.bkbcs.tencent.com/gamedeployment-instance-id';
const pod = (over: Record<string, any> = {}) => ({
  metadata: { name: 'gd-abcde', namespace: 'ns', labels: { 'controller-revision-hash': 'gd-old', [ID]: 'abcde' } },
  spec: { containers: [{ name: 'engine', image: 'engine:v1' }, { name: 'scripts', image: 'scripts:v1' }] },
  status: { phase: 'Running', podIP: '127.100.1.7', hostIP: '127.0.1.1', conditions: [] },
  ...over,
});
const run = (type: string, phase: string | undefined, labels: Record<string, string> = {}) => ({
  metadata: { name: `${type}-run`, creationTimestamp: '2026-12-03T06:00:00Z', labels: { 'hookrun-type': type, 'workload-revision': 'gd-old', 'instance-id': 'abcde', ...labels } },
  status: phase ? { phase } : {},
});
const strategy = { hook: { templateName: 'drain' } };

test('the gate: no hook or a pod not Running goes; no run starts one; only Successful opens', () => {
  assert.deepEqual(hookGate('preDelete', undefined, pod(), ID, []), { kind: 'open' });
  assert.deepEqual(hookGate('preDelete', {}, pod(), ID, []), { kind: 'open' });
  assert.deepEqual(hookGate('preDelete', strategy, pod({ status: { phase: 'Pending' } }), ID, []), { kind: 'open' }, 'BCS: a pod not Running has nothing to ask');
  assert.deepEqual(hookGate('preDelete', strategy, pod(), ID, []), { kind: 'start', moment: 'preDelete', step: strategy.hook });
  for (const phase of [undefined, 'Pending', 'Running', 'Failed', 'Error', 'Inconclusive']) {
    const g = hookGate('preDelete', strategy, pod(), ID, [run('pre-delete-step', phase)]);
    assert.equal(g.kind, 'wait', String(phase));
    assert.equal(g.kind === 'wait' && g.retry, false, 'no retry unless asked');
  }
  assert.deepEqual(hookGate('preDelete', strategy, pod(), ID, [run('pre-delete-step', 'Successful')]), { kind: 'open' });
  // Another moment's run, or one for another revision of the pod, is not this one.
  assert.equal(hookGate('preDelete', strategy, pod(), ID, [run('pre-inplace-step', 'Successful')]).kind, 'start');
  assert.equal(hookGate('preInplace', strategy, pod(), ID, [run('pre-inplace-step', 'Successful', { 'workload-revision': 'gd-new' })]).kind, 'start');
});

test('retry: a finished run that did not pass is to be deleted; a running one is waited for', () => {
  const retrying = { ...strategy, retry: true };
  for (const phase of ['Failed', 'Error', 'Inconclusive']) {
    const g = hookGate('preInplace', retrying, pod(), ID, [run('pre-inplace-step', phase)]);
    assert.deepEqual(g, { kind: 'wait', moment: 'preInplace', run: 'pre-inplace-step-run', phase, retry: true });
  }
  const g = hookGate('preInplace', retrying, pod(), ID, [run('pre-inplace-step', 'Running')]);
  assert.equal(g.kind === 'wait' && g.retry, false);
});

test('names, labels and status entries as BCS has them; runs no pod needs are pruned', () => {
  assert.equal(hookRunName('preDelete', pod(), ID, 'drain'), 'predelete-gd-old-abcde-drain');
  assert.equal(hookRunName('postInplace', pod(), ID, 'check'), 'postinplace-gd-old-abcde-check');
  assert.deepEqual(hookRunLabels('preInplace', pod(), ID), { 'hookrun-type': 'pre-inplace-step', 'workload-revision': 'gd-old', 'instance-id': 'abcde' });
  const runs = [run('pre-delete-step', 'Running'), run('post-inplace-step', 'Successful'), run('pre-inplace-step', 'Failed', { 'workload-revision': 'gd-older' }), run('canary-step', 'Running', { 'instance-id': '' })];
  assert.deepEqual(hookConditions('preDelete', [pod()], ID, runs), [{ podName: 'gd-abcde', startTime: '2026-12-03T06:00:00Z', phase: 'Running' }]);
  assert.deepEqual(hookConditions('postInplace', [pod()], ID, runs), [], 'a Successful run leaves the list');
  assert.deepEqual(runsToPrune([pod()], ID, runs).map((r) => r.metadata?.labels?.['workload-revision']), ['gd-older'], 'the pod moved on from gd-older; canary runs are not pod runs');
  assert.equal(runsToPrune([], ID, runs).length, 3, 'every pod run of a pod that is gone');
});

test('post-inplace is due once the pod is back in service at the revision its update state names', () => {
  assert.equal(postInplaceDue(pod(), 'gd-old', false), true);
  assert.equal(postInplaceDue(pod(), 'gd-old', true), false, 'still updating');
  assert.equal(postInplaceDue(pod(), 'gd-older', false), false, 'an update to another revision');
  assert.equal(postInplaceDue(pod(), undefined, false), false, 'never updated in place');
});

test("args: the step's fill the template's, built-ins are added, others dropped; an unfilled one is an error", () => {
  assert.deepEqual(podArgs(pod()), [
    { name: 'PodName', value: 'gd-abcde' },
    { name: 'PodNamespace', value: 'ns' },
    { name: 'PodIP', value: '127.100.1.7' },
    { name: 'HostIP', value: '127.0.1.1' },
    { name: 'PodContainer[0]', value: 'engine' },
    { name: 'PodContainer[1]', value: 'scripts' },
  ]);
  const merged = mergeArgs([{ name: 'service-name', value: 'svc' }, { name: 'stray', value: 'x' }, ...podArgs(pod())], [{ name: 'PodIP' }, { name: 'service-name' }, { name: 'port', value: '9091' }]);
  assert.deepEqual(merged.map((a) => `${a.name}=${a.value}`), ['PodIP=127.100.1.7', 'service-name=svc', 'port=9091', 'PodName=gd-abcde', 'PodNamespace=ns', 'HostIP=127.0.1.1', 'PodContainer[0]=engine', 'PodContainer[1]=scripts']);
  assert.throws(() => mergeArgs(podArgs(pod()), [{ name: 'service-name' }]), /args\.service-name was not resolved/);
  const r = hookRunFromTemplate({
    template: { spec: { metrics: [{ name: 'm', provider: { web: { url: 'http://{{ args.PodIP }}/', jsonPath: '{$.ok}' } } }], policy: 'Ordered' } },
    name: 'predelete-gd-old-abcde-drain',
    namespace: 'ns',
    labels: { a: 'b' },
    owner: { apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'GameDeployment', metadata: { name: 'gd', uid: 'u1' } },
    args: podArgs(pod()),
  });
  assert.equal(r.spec.policy, 'Ordered');
  assert.equal(r.metadata.ownerReferences[0].controller, true);
  assert.equal(r.spec.metrics[0].name, 'm');
});

test('the engine: a hook that is not open holds an in-place, a hot-patch and a recreate step', () => {
  const p = pod({ metadata: { ...pod().metadata, labels: { ...pod().metadata.labels } } });
  const to = { spec: { containers: [{ name: 'engine', image: 'engine:v1' }, { name: 'scripts', image: 'scripts:v2' }] } };
  const from = { spec: p.spec };
  const base: PodUpdateTarget = { revision: 'gd-new', to, from, images: { engine: 'engine:v1', scripts: 'scripts:v2' }, policy: 'InPlaceOnly' };
  const start = { kind: 'start', moment: 'preInplace', step: { templateName: 'drain' } } as const;
  const wait = { kind: 'wait', moment: 'preInplace', run: 'r', phase: 'Running', retry: false } as const;
  for (const policy of ['InPlaceOnly', 'HotPatch', 'ReCreate'] as const) {
    assert.equal(nextPodUpdateStep(p, { ...base, policy, hook: start }, 0).action, 'startHook', policy);
    assert.equal(nextPodUpdateStep(p, { ...base, policy, hook: wait }, 0).action, 'waitHookRun', policy);
  }
  assert.equal(nextPodUpdateStep(p, { ...base, hook: { kind: 'open' } }, 0).action, 'leaveService');
  assert.equal(nextPodUpdateStep(p, { ...base, policy: 'HotPatch', hook: { kind: 'open' } }, 0).action, 'patch');
  // A pod that already left service for this update is not held again.
  const leaving = pod({ status: { ...pod().status, conditions: [{ type: 'InPlaceUpdateReady', status: 'False', reason: 'StartInPlaceUpdate' }] }, spec: { ...p.spec, readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] } });
  assert.equal(nextPodUpdateStep(leaving, { ...base, hook: wait }, 0).action, 'patch');
});
