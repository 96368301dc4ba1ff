import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatedUpdateConfig, allocatedVerdict, deadlineEnds, pendingMarksPatch } from '../../src/update/allocation-gate.js';

const WAIT = { 'hotpod.dev/allocated-update': 'Wait' };
const REASON = 'opsState Allocated (hotpod.dev/allocated-update: Wait)';

test('allocated-update: Wait holds Allocated servers only; Proceed (the default) holds none; other values are named', () => {
  assert.deepEqual(allocatedUpdateConfig(undefined), { policy: 'Proceed', deadlineMs: undefined, invalid: [] });
  assert.deepEqual(allocatedUpdateConfig(WAIT), { policy: 'Wait', deadlineMs: undefined, invalid: [] });
  assert.deepEqual(allocatedUpdateConfig({ 'hotpod.dev/allocated-update': 'wait' }).invalid, [
    'annotation hotpod.dev/allocated-update: unsupported value "wait": supported values: "Wait", "Proceed" (read as Proceed)',
  ]);
  const wait = allocatedUpdateConfig(WAIT);
  assert.deepEqual(allocatedVerdict(wait, 'Allocated', undefined, 0), { kind: 'hold', reason: REASON });
  assert.deepEqual(allocatedVerdict(wait, 'None', undefined, 0), { kind: 'open' });
  assert.deepEqual(allocatedVerdict(allocatedUpdateConfig(undefined), 'Allocated', undefined, 0), { kind: 'open' });
});

test('allocated-update-deadline: the wait ends that long after update-pending-since, and a bad value is named', () => {
  const config = allocatedUpdateConfig({ ...WAIT, 'hotpod.dev/allocated-update-deadline': '1m30s' });
  assert.equal(config.deadlineMs, 90_000);
  const since = '2026-01-01T00:00:00Z';
  const t0 = Date.parse(since);
  const cases: [string | undefined, number, unknown][] = [
    // No mark yet: the wait begins now.
    [undefined, t0, { kind: 'hold', reason: REASON, wakeAt: t0 + 90_000 }],
    [since, t0 + 89_999, { kind: 'hold', reason: REASON, wakeAt: t0 + 90_000 }],
    [since, t0 + 90_000, { kind: 'expired', message: 'waited 1m30s in opsState Allocated, past hotpod.dev/allocated-update-deadline 1m30s: its update goes ahead' }],
    // An unreadable mark restarts the clock rather than ending the wait at once.
    ['yesterday', t0, { kind: 'hold', reason: REASON, wakeAt: t0 + 90_000 }],
  ];
  for (const [mark, now, want] of cases) assert.deepEqual(allocatedVerdict(config, 'Allocated', mark, now), want, `${mark} at +${now - t0}`);
  assert.deepEqual(allocatedVerdict(config, 'None', since, t0 + 1e9), { kind: 'open' });

  const bad = allocatedUpdateConfig({ ...WAIT, 'hotpod.dev/allocated-update-deadline': '10 minutes' });
  assert.equal(bad.deadlineMs, undefined);
  assert.deepEqual(bad.invalid, ['annotation hotpod.dev/allocated-update-deadline: "10 minutes" is not a duration such as 30s, 5m or 1h30m (no deadline)']);
});

test('update-pending marks: set while waiting (the clock kept across revisions), kept past a deadline until the update, removed otherwise', () => {
  const hold = { kind: 'hold', reason: REASON } as const;
  const expired = { kind: 'expired', message: 'm' } as const;
  const open = { kind: 'open' } as const;
  const NOW = '2026-01-01T00:00:10Z';
  const marked = { 'hotpod.dev/update-pending': 'rev-1', 'hotpod.dev/update-pending-since': '2026-01-01T00:00:00Z' };
  const cases: [string, Record<string, string> | undefined, Parameters<typeof pendingMarksPatch>[1], string | undefined, boolean, unknown][] = [
    ['first wait', undefined, hold, 'rev-1', false, { 'hotpod.dev/update-pending': 'rev-1', 'hotpod.dev/update-pending-since': NOW }],
    ['still waiting', marked, hold, 'rev-1', false, undefined],
    ['a newer revision: the clock stays', marked, hold, 'rev-2', false, { 'hotpod.dev/update-pending': 'rev-2', 'hotpod.dev/update-pending-since': '2026-01-01T00:00:00Z' }],
    ['past the deadline, not updated yet', marked, expired, undefined, false, undefined],
    ['past the deadline, updated', marked, expired, undefined, true, { 'hotpod.dev/update-pending': null, 'hotpod.dev/update-pending-since': null }],
    ['left Allocated', marked, open, undefined, false, { 'hotpod.dev/update-pending': null, 'hotpod.dev/update-pending-since': null }],
    ['never marked', {}, open, undefined, false, undefined],
  ];
  for (const [what, annotations, verdict, waitingFor, at, want] of cases) assert.deepEqual(pendingMarksPatch(annotations, verdict, waitingFor, at, NOW), want, what);
  assert.equal(deadlineEnds(expired, 'recreate'), true);
  assert.equal(deadlineEnds(expired, 'leaveService'), true);
  assert.equal(deadlineEnds(expired, 'waitGrace'), false);
  assert.equal(deadlineEnds(hold, 'recreate'), false);
});
