// The preDelete gate of spec.lifecycle, as a table: which pods go, which are marked
// PreparingDelete, which wait.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hooksHolding, initialLifecycleLabels, LIFECYCLE_STATE_LABEL, preDeleteGate, preNormalGate, preUpdateGate, type LifecycleHook } from '../../src/update/lifecycle.js';

const pod = (labels: Record<string, string> = {}, finalizers: string[] = []) => ({ metadata: { labels, finalizers } });
const labelsHook: LifecycleHook = { labelsHandler: { 'gs-sync/delete-block': 'true' } };
const finalizerHook: LifecycleHook = { finalizersHandler: ['game.example/room-open'] };
const preparing = { [LIFECYCLE_STATE_LABEL]: 'PreparingDelete' };

describe('preDelete gate', () => {
  const cases: [string, LifecycleHook | undefined, ReturnType<typeof pod>, string][] = [
    ['no hook: deleted', undefined, pod({ 'gs-sync/delete-block': 'true' }), 'delete'],
    ['hook, pod without its label: deleted', labelsHook, pod(), 'delete'],
    ['hook, label with another value (released): deleted', labelsHook, pod({ 'gs-sync/delete-block': 'false', ...preparing }), 'delete'],
    ['hooked by label, not yet marked: marked PreparingDelete', labelsHook, pod({ 'gs-sync/delete-block': 'true' }), 'prepare'],
    ['hooked by label, marked: waits', labelsHook, pod({ 'gs-sync/delete-block': 'true', ...preparing }), 'wait'],
    ['hooked by finalizer, not yet marked: marked', finalizerHook, pod({}, ['game.example/room-open']), 'prepare'],
    ['hooked by finalizer, marked: waits', finalizerHook, pod(preparing, ['game.example/room-open']), 'wait'],
    ['finalizer removed (released): deleted', finalizerHook, pod(preparing, ['other']), 'delete'],
    ['an empty hook holds nothing', {}, pod({ 'gs-sync/delete-block': 'true' }), 'delete'],
  ];
  for (const [what, hook, p, want] of cases) {
    it(what, () => assert.equal(preDeleteGate(hook, p).kind, want));
  }

  it('marking sets the state label only, and says what holds the pod', () => {
    const gate = preDeleteGate({ ...labelsHook, ...finalizerHook }, pod({ 'gs-sync/delete-block': 'true' }, ['game.example/room-open']));
    assert.deepEqual(gate, { kind: 'prepare', labels: preparing, holding: ['label gs-sync/delete-block=true', 'finalizer game.example/room-open'] });
    assert.deepEqual(hooksHolding(labelsHook, pod({ 'gs-sync/delete-block': 'True' })), [], 'label values compare exactly');
  });
});

describe('preNormal and inPlaceUpdate gates', () => {
  const hook: LifecycleHook = { labelsHandler: { 'gs-sync/ready': 'true' }, finalizersHandler: ['game.example/registered'] };
  it('a new pod starts PreparingNormal only when a preNormal hook has handlers', () => {
    assert.deepEqual(initialLifecycleLabels(hook), { [LIFECYCLE_STATE_LABEL]: 'PreparingNormal' });
    assert.deepEqual(initialLifecycleLabels({ markPodNotReady: true }), {});
    assert.deepEqual(initialLifecycleLabels(undefined), {});
  });
  it('PreparingNormal turns Normal once every handler is on the pod', () => {
    const p = (labels: Record<string, string>, finalizers: string[] = []) => pod({ [LIFECYCLE_STATE_LABEL]: 'PreparingNormal', ...labels }, finalizers);
    assert.equal(preNormalGate(hook, p({ 'gs-sync/ready': 'true' })), undefined, 'the finalizer is missing');
    assert.deepEqual(preNormalGate(hook, p({ 'gs-sync/ready': 'true' }, ['game.example/registered'])), { [LIFECYCLE_STATE_LABEL]: 'Normal' });
    assert.equal(preNormalGate(hook, pod({ [LIFECYCLE_STATE_LABEL]: 'Normal', 'gs-sync/ready': 'true' })), undefined, 'already Normal');
  });
  it('an in-place update is open, marks PreparingUpdate with the containers, or waits', () => {
    assert.deepEqual(preUpdateGate(labelsHook, pod(), ['sidecar']), { kind: 'open' });
    const prepare = preUpdateGate(labelsHook, pod({ 'gs-sync/delete-block': 'true' }), ['sidecar', 'engine']);
    assert.deepEqual(prepare, {
      kind: 'prepare',
      labels: { [LIFECYCLE_STATE_LABEL]: 'PreparingUpdate' },
      annotations: { 'game.kruise.io/gs-updating-containers': '["engine","sidecar"]' },
      holding: ['label gs-sync/delete-block=true'],
    });
    assert.equal(preUpdateGate(labelsHook, pod({ 'gs-sync/delete-block': 'true', [LIFECYCLE_STATE_LABEL]: 'PreparingUpdate' }), ['sidecar']).kind, 'wait');
  });
});
