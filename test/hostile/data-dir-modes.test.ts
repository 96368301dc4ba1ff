// The data dir holds every Secret and ServiceAccount token (state.db and its -wal and -shm), the
// signing keys and the admin kubeconfig: only its owner may read any of it, also when an earlier
// run left wider modes behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { apiOk, startCluster, type Cluster } from '../helpers/cluster.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Files that may hold a secret: everything but certificates (public), the pid file, images and run state. */
function secretFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'images' && e.name !== 'run') walk(p);
      } else if (e.isFile() && e.name !== 'hotpod.pid' && !e.name.endsWith('.crt')) out.push(p);
    }
  };
  walk(dataDir);
  return out;
}

function assertOwnerOnly(dataDir: string): void {
  assert.equal(mode(dataDir).toString(8), '700', 'data dir');
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) assert.ok(existsSync(join(dataDir, f)), `${f} exists`);
  const files = secretFiles(dataDir);
  for (const f of files) assert.equal(mode(f).toString(8), '600', relative(dataDir, f));
}

describe('data dir file modes', { timeout: 120_000 }, () => {
  let c: Cluster;

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    process.env.HOTPOD_NO_CONTROLLER = 'true';
    c = await startCluster({ inMemory: false });
  });
  after(async () => {
    delete process.env.HOTPOD_NO_CONTROLLER;
    await c?.cleanup();
  });

  it('the data dir is 0700 and the store, keys and kubeconfig in it are 0600', async () => {
    await apiOk(c, 'POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } });
    assertOwnerOnly(c.dataDir);
  });

  it('modes an earlier run left wider are narrowed at the next start', async () => {
    await c.stop();
    chmodSync(c.dataDir, 0o755);
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) if (existsSync(join(c.dataDir, f))) chmodSync(join(c.dataDir, f), 0o644);
    await c.restart();
    await apiOk(c, 'GET', '/api/v1/namespaces/default/secrets/db-password');
    assertOwnerOnly(c.dataDir);
  });
});
