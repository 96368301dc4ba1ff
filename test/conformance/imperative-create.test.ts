// Imperative `kubectl create namespace|configmap|secret`: kubectl ≥ 1.32 sends these as
// protobuf, and they must store exactly what a JSON create of the same object stores.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectls, startCluster, kubectlOk, type Cluster } from '../helpers/cluster.js';

describe('imperative create', { timeout: 300_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ inMemory: true });
  });
  after(async () => {
    await c?.cleanup();
  });

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      const suffix = k.version.replace('.', '-');
      const get = async (args: string[]) => JSON.parse(await kubectlOk(k, c, [...args, '-o', 'json']));

      it('creates a namespace with the kubernetes finalizer and no empty fields', async () => {
        const ns = `imp-${suffix}`;
        assert.match(await kubectlOk(k, c, ['create', 'namespace', ns]), new RegExp(`namespace/${ns} created`));
        const obj = await get(['get', 'namespace', ns]);
        assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
        assert.equal(obj.status.phase, 'Active');
        assert.equal('generateName' in obj.metadata, false);
      });

      it('creates a configmap and a secret with their data', async () => {
        const cm = `cm-${suffix}`;
        await kubectlOk(k, c, ['create', 'configmap', cm, '--from-literal=level=3', '-n', 'default']);
        const cmObj = await get(['get', 'configmap', cm, '-n', 'default']);
        assert.deepEqual(cmObj.data, { level: '3' });
        assert.equal('generateName' in cmObj.metadata, false);
        const secret = `s-${suffix}`;
        await kubectlOk(k, c, ['create', 'secret', 'generic', secret, '--from-literal=token=abc', '-n', 'default']);
        const sObj = await get(['get', 'secret', secret, '-n', 'default']);
        assert.equal(sObj.type, 'Opaque');
        assert.equal(Buffer.from(sObj.data.token, 'base64').toString(), 'abc');
      });
    });
  }
});
