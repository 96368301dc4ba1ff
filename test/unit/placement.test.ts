import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeUsage, placePod, podRequests, tolerates } from '../../src/node/placement.js';

type Json = Record<string, any>;

function node(name: string, extra: { labels?: Record<string, string>; unschedulable?: boolean; ready?: boolean; taints?: Json[]; cpu?: string; memory?: string; pods?: string } = {}): Json {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { unschedulable: extra.unschedulable, taints: extra.taints },
    status: {
      conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }],
      allocatable: { cpu: extra.cpu ?? '4', memory: extra.memory ?? '8Gi', pods: extra.pods ?? '110' },
    },
  };
}

function usage(n: Json, pods = 0, cpuMilli = 0, memoryBytes = 0): NodeUsage {
  return { node: n, pods, cpuMilli, memoryBytes };
}

function pod(spec: Json = {}): Json {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }], ...spec } };
}

test('spreads to the node with the fewest pods, ties broken by name', () => {
  assert.deepEqual(placePod(pod(), [usage(node('node-1'), 2), usage(node('node-2'), 1), usage(node('node-3'), 1)]), { node: 'node-2' });
  assert.deepEqual(placePod(pod(), [usage(node('node-3')), usage(node('node-1'))]), { node: 'node-1' });
});

test('a nodeSelector matching no node gives kube-scheduler message', () => {
  const nodes = [usage(node('node-1')), usage(node('node-2')), usage(node('node-3'))];
  assert.deepEqual(placePod(pod({ nodeSelector: { disk: 'ssd' } }), nodes), {
    unschedulable: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
  });
  const withSsd = [usage(node('node-1')), usage(node('node-2', { labels: { disk: 'ssd' } }), 5)];
  assert.deepEqual(placePod(pod({ nodeSelector: { disk: 'ssd' } }), withSsd), { node: 'node-2' });
});

test('required node affinity: terms are ORed, expressions ANDed, matchFields on the name', () => {
  const nodes = [usage(node('node-1', { labels: { zone: 'a', tier: 'x' } })), usage(node('node-2', { labels: { zone: 'b' } }))];
  const affinity = (terms: Json[]) => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
  assert.deepEqual(placePod(affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }]), nodes), { node: 'node-2' });
  assert.deepEqual(placePod(affinity([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }]), nodes), { node: 'node-2' });
  assert.deepEqual(placePod(affinity([{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }]), nodes), { node: 'node-1' });
  assert.deepEqual(placePod(affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }]), nodes), { node: 'node-2' });
  const none = placePod(affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['c'] }] }]), nodes);
  assert.deepEqual(none, { unschedulable: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." });
});

test('cordoned, not ready and tainted nodes are skipped with their reasons, sorted', () => {
  const nodes = [
    usage(node('node-1', { unschedulable: true })),
    usage(node('node-2', { ready: false })),
    usage(node('node-3', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })),
    usage(node('node-4', { unschedulable: true })),
  ];
  assert.deepEqual(placePod(pod(), nodes), {
    unschedulable:
      '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 node(s) were unschedulable.',
  });
  const tolerant = pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
  assert.deepEqual(placePod(tolerant, nodes), { node: 'node-3' });
});

test('capacity: pod count, cpu and memory requests against allocatable', () => {
  const full = usage(node('node-1', { pods: '2' }), 2);
  const busy = usage(node('node-2', { cpu: '1' }), 0, 800);
  const small = usage(node('node-3', { memory: '1Gi' }), 0, 0, 900 * 2 ** 20);
  const wants = pod({ containers: [{ name: 'a', resources: { requests: { cpu: '250m', memory: '200Mi' } } }] });
  assert.deepEqual(placePod(wants, [full, busy, small]), {
    unschedulable: '0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.',
  });
  assert.deepEqual(placePod(wants, [full, busy, small, usage(node('node-4'))]), { node: 'node-4' });
  // Without requests only the pod count matters.
  assert.deepEqual(placePod(pod(), [busy]), { node: 'node-2' });
});

test('no nodes at all', () => {
  assert.deepEqual(placePod(pod(), []), { unschedulable: 'no nodes available to schedule pods' });
});

test('requests: containers summed, init containers as the max, sidecars added', () => {
  const p = pod({
    containers: [
      { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
      { name: 'b', resources: { requests: { cpu: '0.5', memory: '1Gi' } } },
    ],
    initContainers: [
      { name: 'i', resources: { requests: { cpu: '2' } } },
      { name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '1M' } } },
    ],
  });
  assert.deepEqual(podRequests(p), { cpuMilli: 2000, memoryBytes: 64 * 2 ** 20 + 2 ** 30 + 1e6 });
  const limitsOnly = pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
  assert.deepEqual(podRequests(limitsOnly), { cpuMilli: 1000, memoryBytes: 2 ** 30 }, 'limits stand for missing requests');
});

test('tolerations: Exists with no key tolerates everything; effect must match when given', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  assert.equal(tolerates([{ operator: 'Exists' }], taint), true);
  assert.equal(tolerates([{ key: 'k', operator: 'Exists', effect: 'NoExecute' }], taint), false);
  assert.equal(tolerates([{ key: 'k', value: 'w' }], taint), false);
  assert.equal(tolerates([{ key: 'k', value: 'v' }], taint), true);
  assert.equal(tolerates(undefined, taint), false);
});
