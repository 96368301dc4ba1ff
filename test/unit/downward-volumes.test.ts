import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badItemPath, downwardFiles, formatMap, syncDownwardDir } from '../../src/node/downward-volumes.js';

const NODE = { name: 'node-1', hostIP: '127.0.0.2', podIP: '127.0.1.5', allocatable: { cpu: '2', memory: '4Gi' } };
const pod = {
  metadata: { name: 'gs-0', namespace: 'games', uid: 'u-1', labels: { b: '2', a: '1' }, annotations: { 'x/y': 'say "hi"\n\\' } },
  spec: { containers: [{ name: 'engine', resources: { limits: { memory: '256Mi' } } }] },
};

test('labels and annotations: key="value" lines sorted by key, values quoted as Go does', () => {
  assert.equal(formatMap(pod.metadata.labels), 'a="1"\nb="2"');
  assert.equal(formatMap(pod.metadata.annotations), 'x/y="say \\"hi\\"\\n\\\\"');
  assert.equal(formatMap({ c: '\u0001' }), 'c="\\x01"');
  assert.equal(formatMap(undefined), '');
});

test('items: whole maps, one key, plain fields, container resources; bad paths and fields refused', () => {
  const volume = {
    name: 'podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'deep/name', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'pending', fieldRef: { fieldPath: "metadata.annotations['hotpod.dev/update-pending']" } },
        { path: 'mem', resourceFieldRef: { containerName: 'engine', resource: 'limits.memory', divisor: '1Mi' } },
      ],
    },
  };
  assert.deepEqual([...downwardFiles(pod, volume, NODE)], [['labels', 'a="1"\nb="2"'], ['deep/name', 'gs-0'], ['pending', ''], ['mem', '256']]);
  assert.equal(badItemPath('../etc'), "must not contain '..'");
  assert.equal(badItemPath('/abs'), 'must be a relative path');
  assert.throws(() => downwardFiles(pod, { name: 'v', downwardAPI: { items: [{ path: 'a/../../b', fieldRef: { fieldPath: 'metadata.name' } }] } }, NODE), /item path "a\/..\/..\/b" must not contain '..'/);
  assert.throws(() => downwardFiles(pod, { name: 'v', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.nope' } }] } }, NODE), /fieldPath spec.nope is not supported/);
});

test('the directory follows the files: changed ones replaced, unchanged ones left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'downward-'));
  try {
    assert.equal(await syncDownwardDir(dir, new Map([['a', '1'], ['sub/b', '2']])), 2);
    const mtime = statSync(join(dir, 'a')).mtimeMs;
    assert.equal(await syncDownwardDir(dir, new Map([['a', '1'], ['sub/b', '3']])), 1);
    assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), '3');
    assert.equal(statSync(join(dir, 'a')).mtimeMs, mtime);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
