// A GameServer's PodNormal and NodeNormal conditions as OpenKruiseGame computes them, the
// lastTransitionTime kept while a condition holds, the conditions that turn False (each a
// Warning Event), the "X turn from A to B" Events of a pod mirror patch, and who owns a GameServer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeNormalCondition, notActedOnCondition, podNormalCondition, polyMessageReason, syncConditions } from '../../src/controller/gameserverset/gameserver-conditions.js';
import { mirrorEvents, stateEvent } from '../../src/controller/gameserverset/gameserver-state.js';
import { belongsToSet, gameServerOwner, orphanedByPod } from '../../src/controller/gameserverset/gameserver-ownership.js';

test('polyMessageReason joins with "; " and does not repeat a part already there', () => {
  assert.deepEqual(polyMessageReason('', '', 'm1', 'r1'), ['m1', 'r1']);
  assert.deepEqual(polyMessageReason('m1', 'r1', 'm2', 'r2'), ['m1; m2', 'r1; r2']);
  assert.deepEqual(polyMessageReason('m1; m2', 'r1; r2', 'm2', 'r1'), ['m1; m2', 'r1; r2']);
});

test('PodNormal: True for a healthy pod; False with what is wrong', () => {
  const healthy = {
    status: {
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Initialized', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      containerStatuses: [{ name: 'a', state: { running: {} } }],
    },
  };
  assert.deepEqual(podNormalCondition(healthy), { type: 'PodNormal', status: 'True' });

  const sick = {
    status: {
      reason: 'Evicted',
      message: 'low on memory',
      conditions: [
        { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]' },
        // Ready False is the containers' doing here: not repeated.
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]' },
      ],
      containerStatuses: [
        { name: 'a', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } },
        { name: 'b', state: { terminated: { reason: 'OOMKilled', message: 'oom', exitCode: 137 } } },
      ],
    },
  };
  assert.deepEqual(podNormalCondition(sick), {
    type: 'PodNormal',
    status: 'False',
    reason: 'Evicted; ContainersNotReady; CrashLoopBackOff; ContainerTerminated:Error; ContainerTerminated:OOMKilled',
    message: 'low on memory; containers with unready status: [a]; back-off 10s;  ExitCode: 1; oom ExitCode: 137',
  });

  // A readiness gate holding Ready False while the containers are ready.
  const gated = { status: { conditions: [{ type: 'ContainersReady', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: 'gate' }] } };
  assert.equal(podNormalCondition(gated).reason, 'ReadinessGatesNotReady');
  // A new pod whose InPlaceUpdateReady condition the controller has not written yet: nothing wrong.
  const fresh = (gates: string[], more: Record<string, unknown>[] = []) => ({
    spec: { readinessGates: gates.map((conditionType) => ({ conditionType })) },
    status: { conditions: [{ type: 'ContainersReady', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "InPlaceUpdateReady" does not exist.' }, ...more] },
  });
  assert.equal(podNormalCondition(fresh(['InPlaceUpdateReady'])).status, 'True');
  assert.equal(podNormalCondition(fresh(['InPlaceUpdateReady', 'game/ready'], [{ type: 'game/ready', status: 'True' }])).status, 'True');
  assert.equal(podNormalCondition(fresh(['InPlaceUpdateReady', 'game/ready'])).status, 'False', "the user's own gate is still closed");
  assert.equal(podNormalCondition(fresh(['InPlaceUpdateReady'], [{ type: 'InPlaceUpdateReady', status: 'False' }])).status, 'False', 'an update under way');
});

test('NodeNormal: Ready not True, or a pressure not False', () => {
  const ok = { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }] } };
  assert.deepEqual(nodeNormalCondition(ok), { type: 'NodeNormal', status: 'True' });
  const bad = { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'disk' }] } };
  assert.deepEqual(nodeNormalCondition(bad), {
    type: 'NodeNormal',
    status: 'False',
    reason: 'Ready:NodeStatusUnknown; DiskPressure:KubeletHasDiskPressure',
    message: 'Kubelet stopped posting node status.; disk',
  });
});

test('syncConditions keeps lastTransitionTime while unchanged, and names what turned (or changed while) False', () => {
  const pod = { type: 'PodNormal', status: 'True' as const };
  const nodeBad = { type: 'NodeNormal', status: 'False' as const, reason: 'Ready:X', message: 'm' };
  const first = syncConditions([() => pod, () => nodeBad, () => undefined], undefined, 'T1');
  assert.deepEqual(first.conditions, [{ ...pod, lastTransitionTime: 'T1' }, { ...nodeBad, lastTransitionTime: 'T1' }]);
  assert.deepEqual(first.warnings, [{ reason: nodeBad.reason, message: nodeBad.message }]);
  const same = syncConditions([() => pod, () => nodeBad], first.conditions, 'T2');
  assert.deepEqual(same.conditions, first.conditions);
  assert.deepEqual(same.warnings, []);
  const changed = syncConditions([() => pod, () => ({ ...nodeBad, message: 'other' })], first.conditions, 'T3');
  assert.equal(changed.conditions[1]!.lastTransitionTime, 'T3');
  assert.equal(changed.warnings.length, 1);
});

test('mirror Events: one per announced label that changes from a value the pod had; the state\'s from currentState', () => {
  const pod = { 'game.kruise.io/gs-state': 'Ready', 'game.kruise.io/gs-opsState': 'None' };
  assert.deepEqual(mirrorEvents(pod, { 'game.kruise.io/gs-state': 'Crash', 'game.kruise.io/gs-opsState': 'Maintaining', 'game.kruise.io/gs-delete-priority': '3' }), [
    { type: 'Warning', reason: 'GsStateChanged', message: 'OpsState turn from None to Maintaining ' },
  ]);
  assert.deepEqual(mirrorEvents({}, { 'game.kruise.io/gs-opsState': 'Allocated' }), [], 'a new pod\'s first labels');
  assert.deepEqual(stateEvent('Ready', 'Crash'), { type: 'Warning', reason: 'GsStateChanged', message: 'State turn from Ready to Crash ' });
  assert.deepEqual(stateEvent('Ready', 'NotReady'), { type: 'Normal', reason: 'GsStateChanged', message: 'State turn from Ready to NotReady ' });
  assert.equal(stateEvent(undefined, 'Creating'), undefined);
  assert.equal(stateEvent('Ready', 'Ready'), undefined);
});

test('ownership by reclaimPolicy: Cascade GameServers are their pod\'s; one whose pod is gone is an orphan', () => {
  const set = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 's', namespace: 'n', uid: 'set-uid' } };
  const pod = { metadata: { name: 's-0', namespace: 'n', uid: 'pod-uid' } };
  assert.equal(gameServerOwner('Delete', set as never, pod).uid, 'set-uid');
  const ref = gameServerOwner('Cascade', set as never, pod);
  assert.deepEqual([ref.kind, ref.uid, ref.controller], ['Pod', 'pod-uid', true]);
  const gs = { metadata: { name: 's-0', namespace: 'n', labels: { 'game.kruise.io/owner-gss': 's' }, ownerReferences: [ref] } };
  assert.equal(belongsToSet(gs, set as never, 'game.kruise.io/owner-gss'), true);
  assert.equal(orphanedByPod(gs, pod), false);
  assert.equal(orphanedByPod(gs, undefined), true);
  assert.equal(orphanedByPod(gs, { metadata: { uid: 'another' } }), true);
});

test('FieldsNotActedOn is a problem when True: its Warning Event has its type as reason', () => {
  assert.equal(notActedOnCondition([]), undefined);
  const r = syncConditions([() => notActedOnCondition(['a', 'b'])], [], 'T1');
  assert.deepEqual(r.conditions, [{ type: 'FieldsNotActedOn', status: 'True', reason: 'NotActedOn', message: 'a; b', lastTransitionTime: 'T1' }]);
  assert.deepEqual(r.warnings, [{ reason: 'FieldsNotActedOn', message: 'a; b' }]);
});
