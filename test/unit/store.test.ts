import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/apiserver/storage/store.js';

const cm = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name } });

test('lists are sorted by namespace/name, per namespace, and resume after a key', async () => {
  const store = new Store();
  for (const [ns, name] of [['b', 'x'], ['a', 'z'], ['ns-2', 'a'], ['ns', 'b'], ['ns', 'a'], ['a', 'y']]) {
    await store.put('/configmaps', cm(ns, name));
  }
  const names = (objs: { metadata: { namespace?: string; name?: string } }[]) => objs.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  assert.deepEqual(names(store.list('/configmaps')), ['a/y', 'a/z', 'b/x', 'ns-2/a', 'ns/a', 'ns/b']);
  assert.deepEqual(names(store.list('/configmaps', 'ns')), ['ns/a', 'ns/b']);
  assert.deepEqual(names(store.list('/configmaps', 'a', 'a/y')), ['a/z']);
  assert.deepEqual(names(store.list('/configmaps', undefined, 'b/x')), ['ns-2/a', 'ns/a', 'ns/b']);
  await store.remove('/configmaps', store.get('/configmaps', 'a', 'y')!);
  assert.deepEqual(names(store.list('/configmaps', 'a')), ['a/z']);
  store.close();
});

test('acknowledged writes survive a reopen with their resourceVersions, and old revisions expire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpod-store-'));
  try {
    const file = join(dir, 'state.db');
    const first = new Store({ file });
    const a = await first.put('/configmaps', cm('default', 'a'));
    const b = await first.put('/configmaps', cm('default', 'b'));
    await first.remove('/configmaps', a);
    const revision = first.revision;
    first.close();
    const second = new Store({ file });
    assert.equal(second.revision, revision);
    assert.equal(second.get('/configmaps', 'default', 'a'), undefined);
    assert.equal(second.get('/configmaps', 'default', 'b')?.metadata.resourceVersion, b.metadata.resourceVersion);
    assert.equal(second.serialized(second.get('/configmaps', 'default', 'b')!), JSON.stringify(b));
    assert.deepEqual(second.eventsSince('/configmaps', revision), []);
    assert.throws(() => second.eventsSince('/configmaps', revision - 1), /too old resource version/);
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
