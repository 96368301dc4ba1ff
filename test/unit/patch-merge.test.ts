import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMergePatch } from '../../src/apiserver/patch/merge.js';

test('members of the patch replace or add members of the target', () => {
  assert.deepEqual(jsonMergePatch({ a: 'b', keep: 1 }, { a: 'c', add: true }), { a: 'c', keep: 1, add: true });
});

test('null removes a member, and removing an absent member is a no-op', () => {
  assert.deepEqual(jsonMergePatch({ a: 'b', c: 'd' }, { a: null, missing: null }), { c: 'd' });
});

test('objects merge recursively (kubectl label via merge patch)', () => {
  const pod = { metadata: { name: 'p', labels: { app: 'web', tier: 'fe' } }, spec: { nodeName: 'n1' } };
  const patched = jsonMergePatch(pod, { metadata: { labels: { tier: null, track: 'canary' } } });
  assert.deepEqual(patched, {
    metadata: { name: 'p', labels: { app: 'web', track: 'canary' } },
    spec: { nodeName: 'n1' },
  });
});

test('arrays are replaced wholesale, never merged', () => {
  const original = { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
  const patched = jsonMergePatch(original, { spec: { containers: [{ name: 'b', image: 'b:2' }] } });
  assert.deepEqual(patched, { spec: { containers: [{ name: 'b', image: 'b:2' }] } });
});

test('a non-object patch replaces the whole document', () => {
  assert.deepEqual(jsonMergePatch({ a: 1 }, ['x']), ['x']);
  assert.equal(jsonMergePatch({ a: 1 }, 'text'), 'text');
  assert.equal(jsonMergePatch({ a: 1 }, null), null);
});

test('a non-object target is replaced by an object built from the patch, dropping nulls', () => {
  assert.deepEqual(jsonMergePatch('scalar', { a: 1, b: null }), { a: 1 });
  assert.deepEqual(jsonMergePatch({ a: [1, 2] }, { a: { b: 'c', d: null } }), { a: { b: 'c' } });
});

test('nested nulls in new members are dropped rather than stored (RFC 7386 appendix)', () => {
  assert.deepEqual(jsonMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
});

test('an empty patch returns an equal copy', () => {
  const original = { a: { b: [1, 2] } };
  const patched = jsonMergePatch(original, {});
  assert.deepEqual(patched, original);
  assert.notEqual(patched, original);
});

test('inputs are not modified and the result shares nothing with them', () => {
  const original = { metadata: { labels: { a: '1' } }, list: [{ x: 1 }] };
  const patch = { metadata: { labels: { b: '2' } }, extra: { y: [1] } };
  const originalCopy = structuredClone(original);
  const patchCopy = structuredClone(patch);
  const patched = jsonMergePatch(original, patch) as typeof original & typeof patch;
  assert.deepEqual(original, originalCopy);
  assert.deepEqual(patch, patchCopy);
  patched.list[0].x = 99;
  patched.extra.y.push(2);
  assert.equal(original.list[0].x, 1);
  assert.deepEqual(patch.extra.y, [1]);
});

test('a __proto__ member is data, not a prototype change', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}}');
  const patched = jsonMergePatch({}, patch) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(patched), Object.prototype);
  assert.deepEqual(Object.keys(patched), ['__proto__']);
});
