// Which listeners the embedded nodes open: hostPorts on their pod's node, nodePorts on every
// node to the Service's selected, running, Ready pods of its namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planListeners } from '../../src/node/port-plan.js';

type Json = Record<string, any>;

const nodes = new Map([['node-1', '127.0.1.1'], ['node-2', '127.0.2.1']]);

function pod(name: string, o: { ns?: string; labels?: Record<string, string>; ready?: boolean; hostPort?: number; deleting?: boolean } = {}): Json {
  return {
    metadata: { name, namespace: o.ns ?? 'game', uid: `uid-${name}`, labels: o.labels ?? {}, ...(o.deleting ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'engine', ports: [{ name: 'game', containerPort: 7777, ...(o.hostPort ? { hostPort: o.hostPort } : {}) }] }] },
    status: { phase: 'Running', podIP: `127.100.1.${name.length}`, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

function service(selector: Record<string, string>, extra: Json = {}): Json {
  return { metadata: { name: 's', namespace: 'game' }, spec: { type: 'NodePort', selector, ports: [{ port: 80, targetPort: 'game', nodePort: 30080 }], ...extra } };
}

test('a nodePort listens on every node and forwards to the pods its whole selector picks', () => {
  const pods = [
    pod('a', { labels: { app: 'arena', tier: 'game' } }),
    pod('bb', { labels: { app: 'arena', tier: 'lobby' } }),
    pod('ccc', { labels: { app: 'arena', tier: 'game' }, ns: 'other' }),
    pod('dddd', { labels: { app: 'arena', tier: 'game' }, ready: false }),
    pod('eeeee', { labels: { app: 'arena', tier: 'game' }, deleting: true }),
  ];
  const plan = planListeners(pods, [service({ app: 'arena', tier: 'game' })], nodes);
  assert.deepEqual([...plan.keys()].sort(), ['127.0.1.1:30080/TCP', '127.0.2.1:30080/TCP']);
  assert.deepEqual(plan.get('127.0.2.1:30080/TCP')!.backends, [{ podUid: 'uid-a', ip: '127.100.1.1', port: 7777 }]);
  const notReadyToo = planListeners(pods, [service({ app: 'arena', tier: 'game' }, { publishNotReadyAddresses: true })], nodes);
  assert.deepEqual(notReadyToo.get('127.0.1.1:30080/TCP')!.backends.map((b) => b.podUid), ['uid-a', 'uid-dddd']);
  assert.deepEqual(planListeners(pods, [service({})], nodes).get('127.0.1.1:30080/TCP')!.backends, [], 'no selector: no endpoints');
});

test('a hostPort listens on its pod node only', () => {
  const plan = planListeners([pod('a', { hostPort: 8000 })], [], nodes);
  assert.deepEqual([...plan.keys()], ['127.0.1.1:8000/TCP']);
  assert.equal(plan.get('127.0.1.1:8000/TCP')!.owner?.hostPort, 8000);
});
