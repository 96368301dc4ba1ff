// The preDelete gate of spec.lifecycle, as a table: which pods go, which are marked
// PreparingDelete, which wait.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hooksHolding, LIFECYCLE_STATE_LABEL, preDeleteGate, type LifecycleHook } from '../../src/update/lifecycle.js';

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
