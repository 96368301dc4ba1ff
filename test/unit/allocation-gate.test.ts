import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatedHold, allocatedUpdatePolicy } from '../../src/update/allocation-gate.js';

test('allocated-update: Wait holds Allocated servers only; Proceed (the default) holds none; other values are named', () => {
  assert.deepEqual(allocatedUpdatePolicy(undefined), { policy: 'Proceed' });
  assert.deepEqual(allocatedUpdatePolicy({ 'hotpod.dev/allocated-update': 'Wait' }), { policy: 'Wait' });
  assert.equal(allocatedUpdatePolicy({ 'hotpod.dev/allocated-update': 'wait' }).invalid, 'annotation hotpod.dev/allocated-update: unsupported value "wait": supported values: "Wait", "Proceed"');
  assert.equal(allocatedHold('Wait', 'Allocated'), 'opsState Allocated (hotpod.dev/allocated-update: Wait)');
  assert.equal(allocatedHold('Wait', 'None'), undefined);
  assert.equal(allocatedHold('Proceed', 'Allocated'), undefined);
});
