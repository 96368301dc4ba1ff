// A GameServer's state from its pod, the delay on transient states, and the pod labels that
// mirror the GameServer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredStatus, gameServerMetadataPatch, observedState, podMirrorPatch, stateToReport, templateMetadata } from '../../src/controller/gameserverset/gameserver-state.js';

const ready = (status: 'True' | 'False') => ({ type: 'Ready', status });

test('currentState from the pod', () => {
  assert.equal(observedState(undefined), 'Creating');
  assert.equal(observedState({ status: { phase: 'Pending' } }), 'Creating');
  assert.equal(observedState({ status: { phase: 'Failed' } }), 'Crash');
  assert.equal(observedState({ status: { phase: 'Running', conditions: [ready('True')] } }), 'Ready');
  assert.equal(observedState({ status: { phase: 'Running', conditions: [ready('False')] } }), 'NotReady');
  assert.equal(observedState({ metadata: { deletionTimestamp: 'x' }, status: { phase: 'Running', conditions: [ready('True')] } }), 'Deleting');
  assert.equal(
    observedState({ status: { phase: 'Running', conditions: [ready('False'), { type: 'InPlaceUpdateReady', status: 'False' }] } }),
    'Updating',
  );
  assert.equal(observedState({ status: { phase: 'Succeeded' } }), 'Unknown');
});

test('transient states are reported once they lasted the delay; settled ones at once', () => {
  assert.deepEqual(stateToReport('Ready', 'Updating', 1000, 1200, 1000), { state: 'Ready', recheckInMs: 800 });
  assert.deepEqual(stateToReport('Ready', 'Updating', 1000, 2000, 1000), { state: 'Updating' });
  assert.deepEqual(stateToReport('Updating', 'Ready', 1000, 1001, 1000), { state: 'Ready' });
  assert.deepEqual(stateToReport(undefined, 'Creating', 0, 10, 1000), { state: 'Creating' }, 'a new GameServer shows a state at once');
  assert.deepEqual(stateToReport('Ready', 'Creating', 0, 10, 1000), { state: 'Ready', recheckInMs: 990 });
  assert.deepEqual(stateToReport('Ready', 'Crash', 0, 1, 1000), { state: 'Crash' });
  assert.deepEqual(stateToReport('Ready', 'NotReady', 0, 1, 0), { state: 'NotReady' });
});

test('status mirrors priorities and the whole pod status, and keeps lastTransitionTime while the state holds', () => {
  const spec = { opsState: 'None' as const, updatePriority: 10, deletionPriority: '3' };
  const s = desiredStatus(spec, { currentState: 'Ready', lastTransitionTime: 'T0' }, 'Ready', { status: { phase: 'Running', podIP: '10.0.0.1', conditions: [] } }, 'T1');
  assert.deepEqual(s, { desiredState: 'Ready', updatePriority: 10, deletionPriority: '3', currentState: 'Ready', lastTransitionTime: 'T0', podStatus: { phase: 'Running', podIP: '10.0.0.1', conditions: [] } });
  assert.equal(desiredStatus(spec, { currentState: 'Ready', lastTransitionTime: 'T0' }, 'Crash', undefined, 'T1').lastTransitionTime, 'T1');
});

test('pod labels mirror the GameServer; gs-sync/ labels and annotations are copied, never removed (as OpenKruiseGame)', () => {
  const gs = {
    metadata: { labels: { 'gs-sync/room': 'a', other: 'x' }, annotations: { 'gs-sync/note': 'hi' } },
    spec: { opsState: 'Allocated' as const, updatePriority: 0, deletionPriority: 2, networkDisabled: true },
  };
  const pod = {
    metadata: {
      labels: { 'game.kruise.io/gs-opsState': 'None', 'game.kruise.io/gs-update-priority': '0', 'game.kruise.io/gs-delete-priority': '0', 'gs-sync/old': 'y' },
      annotations: {},
    },
  };
  assert.deepEqual(podMirrorPatch(gs, 'Ready', pod), {
    labels: {
      'game.kruise.io/gs-opsState': 'Allocated',
      'game.kruise.io/gs-delete-priority': '2',
      'game.kruise.io/network-disabled': 'true',
      'gs-sync/room': 'a',
      'game.kruise.io/gs-state': 'Ready',
    },
    annotations: { 'gs-sync/note': 'hi' },
  });
});

test('GameServers get the template labels and annotations once per template, merged, with its hash', () => {
  const template = { metadata: { labels: { 'gs-sync/delete-block': 'true', tier: 'gold' }, annotations: { 'gs-sync/note': 'x' } } };
  const meta = templateMetadata(template);
  assert.deepEqual(meta.labels, { 'gs-sync/delete-block': 'true', tier: 'gold' });
  assert.equal(meta.annotations['gs-sync/note'], 'x');
  const hash = meta.annotations['game.kruise.io/gsTemplate-metadata-hash'];
  assert.match(hash!, /^[a-z0-9]{10}$/);
  assert.deepEqual(gameServerMetadataPatch(meta, { metadata: { annotations: {} } }), { metadata: meta });
  assert.equal(gameServerMetadataPatch(meta, { metadata: { annotations: { 'game.kruise.io/gsTemplate-metadata-hash': hash } } }), undefined);
  const edited = { metadata: { labels: { tier: 'silver' } } };
  assert.notEqual(templateMetadata(edited).annotations['game.kruise.io/gsTemplate-metadata-hash'], hash, 'an edited template is copied again');
});
