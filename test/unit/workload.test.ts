// The shared workload layer's pure parts: revision names, pods from templates, status counts,
// bounded concurrency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, revisionName, templateHash } from '../../src/controller/workload/revisions.js';
import { podFromTemplate } from '../../src/controller/workload/pod-template.js';
import { countPods, nextAvailableInMs } from '../../src/controller/workload/status.js';
import { forEachLimit, slowStart } from '../../src/controller/workload/parallel.js';
import type { WorkloadOwner } from '../../src/controller/workload/owner.js';
import { ProblemEvents, conditionProblems } from '../../src/controller/workload/problem-events.js';
import { reportInvalidSpec } from '../../src/controller/workload/invalid-spec.js';
import type { EventRecorder } from '../../src/kube/index.js';

const owner: WorkloadOwner = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 'mc', namespace: 'ns', uid: 'u-1' } };

test('a template hashes the same whatever its key order, and differently when it changes', () => {
  const a = { spec: { containers: [{ name: 'c', image: 'x:1' }], restartPolicy: 'Always' } };
  const b = { spec: { restartPolicy: 'Always', containers: [{ image: 'x:1', name: 'c' }] } };
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.equal(templateHash(a), templateHash(b));
  assert.notEqual(templateHash(a), templateHash({ spec: { containers: [{ name: 'c', image: 'x:2' }] } }));
  assert.notEqual(templateHash(a), templateHash(a, 1));
  assert.match(revisionName('mc', a), /^mc-[bcdfghjklmnpqrstvwxz2456789]{10}$/);
});

test('a pod from a template: labels, revision, owner, overrides, readiness gate', () => {
  const pod = podFromTemplate({
    owner,
    name: 'mc-3',
    template: { metadata: { labels: { app: 'mc' }, annotations: { a: '1' } }, spec: { containers: [{ name: 'engine', image: 'e:1' }, { name: 'sidecar', image: 's:1' }] } },
    revision: 'mc-abc',
    labels: { 'game.kruise.io/owner-gss': 'mc' },
    images: { sidecar: 's:hotfix', missing: 'x' },
    spec: { hostname: 'mc-3' },
  });
  assert.deepEqual(pod.metadata!.labels, { app: 'mc', 'game.kruise.io/owner-gss': 'mc', 'controller-revision-hash': 'mc-abc' });
  assert.deepEqual(pod.metadata!.annotations, { a: '1' });
  assert.deepEqual(pod.metadata!.ownerReferences, [{ apiVersion: owner.apiVersion, kind: 'GameServerSet', name: 'mc', uid: 'u-1', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(pod.spec.containers.map((c: any) => c.image), ['e:1', 's:hotfix']);
  assert.deepEqual(pod.spec.readinessGates, [{ conditionType: 'InPlaceUpdateReady' }]);
  assert.equal(pod.spec.hostname, 'mc-3');
});

test('a pod from a template: per-container resources set over the template\'s, quantity by quantity', () => {
  const pod = podFromTemplate({
    owner,
    name: 'mc-0',
    template: { spec: { containers: [{ name: 'engine', image: 'e:1', resources: { requests: { cpu: '1', 'ephemeral-storage': '1Gi' }, limits: { memory: '1Gi' } } }, { name: 'sidecar', image: 's:1' }] } },
    revision: 'mc-abc',
    resources: { engine: { requests: { cpu: '250m' }, limits: {} }, sidecar: { limits: { cpu: '100m' } } },
  });
  assert.deepEqual(pod.spec.containers[0].resources, { requests: { cpu: '250m', 'ephemeral-storage': '1Gi' }, limits: { memory: '1Gi' } });
  assert.deepEqual(pod.spec.containers[1].resources, { limits: { cpu: '100m' } });
});

test('status counts skip terminating pods; available honours minReadySeconds', () => {
  const now = Date.parse('2026-11-22T00:01:00Z');
  const pod = (rev: string, ready: boolean, readySince = '2026-11-22T00:00:00Z', extra: any = {}) => ({
    metadata: { labels: { 'controller-revision-hash': rev }, ...extra },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: readySince }] },
  });
  const pods = [
    pod('new', true),
    pod('new', false),
    pod('old', true, '2026-11-22T00:00:55Z'),
    pod('new', true, '2026-11-22T00:00:00Z', { deletionTimestamp: 'x' }),
  ];
  assert.deepEqual(countPods(pods, { updateRevision: 'new', minReadySeconds: 10, now }), { replicas: 3, ready: 2, available: 1, updated: 2, updatedReady: 1 });
  assert.equal(nextAvailableInMs(pods, 10, now), 5000);
  assert.equal(nextAvailableInMs(pods, 0, now), undefined);
});

test('forEachLimit runs every item at most `limit` at a time and reports failures', async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  await assert.rejects(
    forEachLimit([1, 2, 3, 4, 5], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      active--;
      if (n % 2 === 0) throw new Error(`item ${n}`);
    }),
    /item 2 \(and 1 more failure\)/,
  );
  assert.equal(peak, 2);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
});

test('slowStart stops after the first batch with a failure', async () => {
  const calls: number[] = [];
  await assert.rejects(
    slowStart([1, 2, 3, 4, 5, 6, 7], 10, async (n) => {
      calls.push(n);
      if (n === 3) throw new Error('quota');
    }),
    /quota/,
  );
  // batches: [1], [2, 3] (3 fails) → 4.. never tried
  assert.deepEqual(calls.sort(), [1, 2, 3]);
  assert.equal(await slowStart([1, 2, 3], 2, async () => {}), 3);
});

function recorder(): { events: string[]; rec: EventRecorder } {
  const events: string[] = [];
  return { events, rec: { event: (_o: unknown, type: string, reason: string, message: string) => void events.push(`${type} ${reason} ${message}`) } as unknown as EventRecorder };
}

test('ProblemEvents: one Event per new problem, read back from the condition after a restart', () => {
  const { events, rec } = recorder();
  const p = new ProblemEvents(rec);
  const a = { reason: 'R', message: 'a' };
  const b = { reason: 'R', message: 'b', event: 'b, at length' };
  assert.deepEqual(p.report(owner, [a], []), [a]);
  assert.deepEqual(p.report(owner, [a, b], []), [b]);
  assert.deepEqual(p.report(owner, [a, b], []), []);
  assert.deepEqual(events, ['Warning R a', 'Warning R b, at length']);
  // Gone (the pass that found none clears the condition too), then back: news again.
  p.report(owner, [], ['a', 'b']);
  assert.equal(p.report(owner, [a], []).length, 1);
  // A restarted controller (nothing remembered) trusts the condition.
  const fresh = new ProblemEvents(rec);
  const shown = conditionProblems([{ type: 'FailedUpdate', status: 'True', message: 'a\nb' }], 'FailedUpdate');
  assert.deepEqual(shown, ['a', 'b']);
  assert.deepEqual(fresh.report(owner, [a, b], shown), []);
  assert.deepEqual(conditionProblems([{ type: 'FailedUpdate', status: 'False', message: 'a' }], 'FailedUpdate'), []);
});

test('reportInvalidSpec: the condition set (its time kept while True), the Event once per message', () => {
  const { events, rec } = recorder();
  const p = new ProblemEvents(rec);
  const other: { type: string; status: string; lastTransitionTime?: string } = { type: 'Other', status: 'True' };
  const first = reportInvalidSpec(p, owner, [other], 'spec: Required value', 't1');
  assert.equal(first.isNew, true);
  assert.deepEqual(first.conditions, [other, { type: 'FailedUpdate', status: 'True', reason: 'InvalidSpec', message: 'spec: Required value', lastTransitionTime: 't1' }]);
  const again = reportInvalidSpec(p, owner, first.conditions, 'spec: Required value', 't2');
  assert.equal(again.isNew, false);
  assert.equal(again.conditions[1]!.lastTransitionTime, 't1');
  assert.deepEqual(events, ['Warning InvalidSpec the GameServerSet is invalid, nothing is done until it is fixed: spec: Required value']);
});
