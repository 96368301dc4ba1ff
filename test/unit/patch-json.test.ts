import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from '../../src/apiserver/patch/json.js';
import { ApiError } from '../../src/apiserver/errors.js';

const deployment = () => ({
  metadata: { name: 'd', labels: { app: 'web' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } },
});

function rejects(fn: () => unknown, code: number, reason: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.reason, reason);
    assert.match(err.message, pattern);
    return true;
  });
}

test('replace, add and remove apply in order', () => {
  const patched = applyJsonPatch(deployment(), [
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'remove', path: '/metadata/labels/app' },
  ]);
  assert.deepEqual((patched as ReturnType<typeof deployment>).spec.replicas, 3);
  assert.deepEqual((patched as ReturnType<typeof deployment>).metadata.labels, { tier: 'fe' });
});

test('array index and "-" append work (kubectl patch --type json on containers)', () => {
  const patched = applyJsonPatch(deployment(), [
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'a:2' },
    { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'b', image: 'b:1' } },
  ]) as ReturnType<typeof deployment>;
  assert.deepEqual(patched.spec.template.spec.containers, [
    { name: 'a', image: 'a:2' },
    { name: 'b', image: 'b:1' },
  ]);
});

test('move, copy and a passing test operation', () => {
  const patched = applyJsonPatch({ a: { x: 1 }, b: {} }, [
    { op: 'test', path: '/a/x', value: 1 },
    { op: 'copy', from: '/a/x', path: '/b/y' },
    { op: 'move', from: '/a', path: '/c' },
  ]);
  assert.deepEqual(patched, { b: { y: 1 }, c: { x: 1 } });
});

test('keys with "/" and "~" are addressed with JSON pointer escapes', () => {
  const patched = applyJsonPatch({ metadata: { annotations: { 'example.com/a~b': 'x' } } }, [
    { op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'y' },
  ]);
  assert.deepEqual(patched, { metadata: { annotations: { 'example.com/a~b': 'y' } } });
});

test('an empty list of operations returns an equal copy', () => {
  const original = deployment();
  const patched = applyJsonPatch(original, []);
  assert.deepEqual(patched, original);
  assert.notEqual(patched, original);
});

test('neither the document nor the operations are modified, and values are not shared', () => {
  const original = deployment();
  const before = structuredClone(original);
  const value = { name: 'b', image: 'b:1' };
  const ops = [{ op: 'add', path: '/spec/template/spec/containers/-', value }];
  const patched = applyJsonPatch(original, ops) as ReturnType<typeof deployment>;
  assert.deepEqual(original, before);
  patched.spec.template.spec.containers[1].image = 'changed';
  assert.equal(value.image, 'b:1');
});

test('a body that is not an array of operations is a 400 BadRequest', () => {
  rejects(() => applyJsonPatch(deployment(), { op: 'add' }), 400, 'BadRequest', /cannot unmarshal object .*JSON array/);
  rejects(() => applyJsonPatch(deployment(), 'x'), 400, 'BadRequest', /cannot unmarshal string/);
  rejects(() => applyJsonPatch(deployment(), [1]), 400, 'BadRequest', /operation 0 .* must be a JSON object/);
});

test('an unknown operation is 422 Invalid naming the op', () => {
  rejects(
    () => applyJsonPatch(deployment(), [{ op: 'bogus', path: '/spec' }]),
    422,
    'Invalid',
    /operation 0 \("bogus" at "\/spec"\) failed: unknown operation "bogus"/,
  );
  // fast-json-patch's private _get is not part of RFC 6902.
  rejects(() => applyJsonPatch(deployment(), [{ op: '_get', path: '/spec' }]), 422, 'Invalid', /unknown operation "_get"/);
});

test('a failing test operation is 422 Invalid naming the op and path', () => {
  rejects(
    () =>
      applyJsonPatch(deployment(), [
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'test', path: '/metadata/name', value: 'other' },
      ]),
    422,
    'Invalid',
    /operation 1 \("test" at "\/metadata\/name"\) failed: .*does not equal/,
  );
});

test('the 422 cause names the op and path too, since kubectl prints causes', () => {
  assert.throws(
    () => applyJsonPatch(deployment(), [{ op: 'replace', path: '/spec/paused', value: true }]),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.details?.causes?.length, 1);
      assert.match(err.details?.causes?.[0].message ?? '', /operation 0 \("replace" at "\/spec\/paused"\) failed/);
      return true;
    },
  );
});

test('a missing path is 422 Invalid naming the op and path', () => {
  rejects(
    () => applyJsonPatch(deployment(), [{ op: 'replace', path: '/spec/paused', value: true }]),
    422,
    'Invalid',
    /"replace" at "\/spec\/paused"\) failed: the path does not exist/,
  );
  rejects(
    () => applyJsonPatch(deployment(), [{ op: 'remove', path: '/metadata/annotations/x' }]),
    422,
    'Invalid',
    /"remove" at "\/metadata\/annotations\/x"/,
  );
  rejects(
    () => applyJsonPatch(deployment(), [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }]),
    422,
    'Invalid',
    /parent of the path does not exist/,
  );
});

test('malformed operations (no path, no value, bad index) are 422 Invalid', () => {
  rejects(() => applyJsonPatch(deployment(), [{ op: 'add', value: 1 }]), 422, 'Invalid', /"path" member/);
  rejects(() => applyJsonPatch(deployment(), [{ op: 'replace', path: '/spec/replicas' }]), 422, 'Invalid', /"value" member/);
  rejects(
    () => applyJsonPatch(deployment(), [{ op: 'add', path: '/spec/template/spec/containers/7', value: {} }]),
    422,
    'Invalid',
    /out of bounds/,
  );
});

test('a path through __proto__ is refused, not applied', () => {
  rejects(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: true }]), 422, 'Invalid', /./);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a failed operation leaves the original untouched even after earlier ops applied', () => {
  const original = deployment();
  const before = structuredClone(original);
  assert.throws(() =>
    applyJsonPatch(original, [
      { op: 'replace', path: '/spec/replicas', value: 9 },
      { op: 'remove', path: '/nope' },
    ]),
  );
  assert.deepEqual(original, before);
});
