// The pure parts of operations: the leader election decision (client-go's tryAcquireOrRenew),
// the client-side token bucket, request naming for the metrics, and flag parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideLease, FakeClock, microTime, parseBindAddress, releasedLease, validateLeaderElection, type LeaseSpec } from '../../src/controller/runtime/index.js';
import { describeRequest } from '../../src/kube/index.js';
import { TokenBucket } from '../../src/util/token-bucket.js';
import { parseDuration } from '../../src/cli/controller.js';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const base = { identity: 'me', leaseDurationSeconds: 15 };

describe('decideLease', () => {
  it('creates a missing Lease, held by us, transitions 0', () => {
    const d = decideLease({ ...base, current: undefined, observedAtMs: T0, nowMs: T0 });
    assert.deepEqual(d, {
      action: 'create',
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.000000Z', renewTime: '2026-01-02T03:04:05.000000Z', leaseTransitions: 0 },
    });
  });

  it("waits while another holder's Lease has not expired, counted from when we saw it change", () => {
    // renewTime written by another machine's clock is ignored: only our observation counts.
    const other: LeaseSpec = { holderIdentity: 'other', leaseDurationSeconds: 10, renewTime: microTime(T0 - 3_600_000), acquireTime: microTime(T0 - 3_600_000), leaseTransitions: 4 };
    assert.deepEqual(decideLease({ ...base, current: other, observedAtMs: T0, nowMs: T0 + 9_999 }), { action: 'wait', holder: 'other', expiresInMs: 1 });
    const d = decideLease({ ...base, current: other, observedAtMs: T0, nowMs: T0 + 10_000 });
    assert.equal(d.action, 'update');
    assert.deepEqual(d.action === 'update' && d.spec, { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: microTime(T0 + 10_000), renewTime: microTime(T0 + 10_000), leaseTransitions: 5 });
  });

  it('renews our own Lease keeping acquireTime and transitions', () => {
    const ours: LeaseSpec = { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 2 };
    const d = decideLease({ ...base, current: ours, observedAtMs: T0, nowMs: T0 + 2_000 });
    assert.deepEqual(d, { action: 'update', spec: { ...ours, renewTime: microTime(T0 + 2_000) } });
  });

  it('takes a released Lease (no holder) at once', () => {
    const released = releasedLease({ holderIdentity: 'other', leaseTransitions: 3 }, T0);
    assert.deepEqual(released, { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 3 });
    const d = decideLease({ ...base, current: released, observedAtMs: T0, nowMs: T0 });
    assert.equal(d.action, 'update');
    assert.equal(d.action === 'update' && d.spec.leaseTransitions, 4);
    assert.equal(d.action === 'update' && d.spec.holderIdentity, 'me');
  });

  it("uses the holder's lease duration, not ours", () => {
    const other: LeaseSpec = { holderIdentity: 'other', leaseDurationSeconds: 60 };
    assert.equal(decideLease({ ...base, current: other, observedAtMs: T0, nowMs: T0 + 30_000 }).action, 'wait');
  });

  it("refuses timings client-go refuses", () => {
    assert.doesNotThrow(() => validateLeaderElection({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }));
    assert.throws(() => validateLeaderElection({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), /longer than the renew deadline/);
    assert.throws(() => validateLeaderElection({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /1.2 × the retry period/);
    assert.throws(() => validateLeaderElection({ leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 500 }), /whole seconds/);
  });
});

describe('client-side rate limit (QPS and burst)', () => {
  it('lets a burst through, then spaces requests at the rate, and refills while idle', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(50, 100, clock);
    const waits = Array.from({ length: 103 }, () => b.reserve());
    assert.ok(waits.slice(0, 100).every((w) => w === 0), 'burst of 100 immediate');
    assert.deepEqual(waits.slice(100), [20, 40, 60], 'then one every 20 ms (50 qps), queued behind each other');
    clock.advance(60 + 2000);
    // 2 s idle at 50 qps refill 100 tokens (capped at the burst).
    assert.ok(Array.from({ length: 100 }, () => b.reserve()).every((w) => w === 0));
    assert.equal(b.reserve(), 20);
  });
});

describe('describeRequest', () => {
  it('names verb and resource as the API server does', () => {
    assert.deepEqual(describeRequest('GET', '/api/v1/pods'), { verb: 'list', resource: 'pods' });
    assert.deepEqual(describeRequest('GET', '/api/v1/namespaces/ns/pods?labelSelector=a'), { verb: 'list', resource: 'pods' });
    assert.deepEqual(describeRequest('GET', '/api/v1/namespaces/ns/pods/p'), { verb: 'get', resource: 'pods' });
    assert.deepEqual(describeRequest('PATCH', '/api/v1/namespaces/ns/pods/p/status'), { verb: 'patch', resource: 'pods/status' });
    assert.deepEqual(describeRequest('PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l'), { verb: 'update', resource: 'leases' });
    assert.deepEqual(describeRequest('POST', '/apis/game.kruise.io/v1alpha1/namespaces/ns/gameservers'), { verb: 'create', resource: 'gameservers' });
    assert.deepEqual(describeRequest('DELETE', '/api/v1/namespaces/ns/pods/p'), { verb: 'delete', resource: 'pods' });
    assert.deepEqual(describeRequest('GET', '/api/v1/namespaces/ns'), { verb: 'get', resource: 'namespaces' });
    assert.deepEqual(describeRequest('GET', '/api/v1/namespaces'), { verb: 'list', resource: 'namespaces' });
    assert.deepEqual(describeRequest('GET', '/apis/game.kruise.io/v1alpha1'), { verb: 'get', resource: '' });
    assert.deepEqual(describeRequest('GET', '/api/v1/pods', true), { verb: 'watch', resource: 'pods' });
  });
});

describe('flags', () => {
  it('bind addresses', () => {
    assert.equal(parseBindAddress('0'), null);
    assert.deepEqual(parseBindAddress(':8080'), { host: undefined, port: 8080 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseBindAddress('[::1]:9000'), { host: '::1', port: 9000 });
    assert.throws(() => parseBindAddress('8080'), /not a bind address/);
    assert.throws(() => parseBindAddress(':70000'), /not a bind address/);
  });

  it('durations as Go writes them', () => {
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    for (const bad of ['15', 's', '-1s', '0s', '1 s', 'abc']) assert.throws(() => parseDuration(bad), /duration|longer than 0/, bad);
  });
});
