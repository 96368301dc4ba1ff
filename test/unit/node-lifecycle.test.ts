import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeLifecycleUpdate } from '../../src/node/node-lifecycle.js';
import { UNREACHABLE_TAINT } from '../../src/util/vocabulary.js';

type Json = Record<string, any>;
const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function node(ready = 'True', taints?: Json[]): Json {
  return {
    metadata: { name: 'node-3', creationTimestamp: iso(NOW - 3_600_000) },
    spec: { podCIDR: '127.100.3.0/24', taints },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: iso(NOW - 100_000) },
        { type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: iso(NOW - 100_000), lastTransitionTime: iso(NOW - 3_600_000) },
      ],
    },
  };
}
const lease = (renewedAgoMs: number) => ({ spec: { holderIdentity: 'node-3', leaseDurationSeconds: 40, renewTime: iso(NOW - renewedAgoMs) } });

test('a fresh lease leaves the node alone', () => {
  assert.equal(nodeLifecycleUpdate(node(), lease(5000), NOW), undefined);
});

test('a lease older than its duration: conditions Unknown and unreachable taints', () => {
  const next = nodeLifecycleUpdate(node(), lease(41_000), NOW)!;
  const ready = next.status.conditions.find((c: Json) => c.type === 'Ready');
  assert.deepEqual([ready.status, ready.reason, ready.message, ready.lastTransitionTime], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', iso(NOW)]);
  assert.equal(next.status.conditions.find((c: Json) => c.type === 'MemoryPressure').status, 'Unknown');
  assert.deepEqual(next.spec.taints.map((t: Json) => [t.key, t.effect]), [
    [UNREACHABLE_TAINT, 'NoSchedule'],
    [UNREACHABLE_TAINT, 'NoExecute'],
  ]);
  assert.equal(next.spec.podCIDR, '127.100.3.0/24');
  assert.equal(nodeLifecycleUpdate(next, lease(60_000), NOW + 5000), undefined, 'written once');
});

test('without a lease the node heartbeat counts', () => {
  assert.ok(nodeLifecycleUpdate(node(), undefined, NOW), 'heartbeat 100 s old');
});

test('a node whose agent is back (Ready True, fresh lease) loses the taint, keeping others', () => {
  const other = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const next = nodeLifecycleUpdate(node('True', [other, { key: UNREACHABLE_TAINT, effect: 'NoSchedule' }]), lease(1000), NOW)!;
  assert.deepEqual(next.spec.taints, [other]);
});
