// scaleStrategy.createBatch: a GameDeployment applied with kubectl (strict field validation)
// starts its pods in batches: never more than the batch starting at once, a new batch once the
// pods of the one before run with their containers ready; on a later scale-up too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../helpers/cluster.js';
import { ensureNs, gdManifest, getGd, kubectl, live, monitorPods, startGdCluster, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-batch';

/** Running with its containers ready. */
const started = (p: Json) => p.status?.phase === 'Running' && ((p.status?.conditions ?? []) as Json[]).some((x) => x.type === 'ContainersReady' && x.status === 'True');

describe('GameDeployment scaleStrategy.createBatch', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('creates 6 pods 2 at a time, and a scale-up to 9 (createBatch "10%" of 9, rounded up: 1) one at a time', async () => {
    const name = 'batched';
    let batch = 2;
    const mon = await monitorPods(c, NS, name, (pods) => {
      const starting = live(pods).filter((p) => !started(p)).length;
      return starting > batch ? `${starting} pods starting at once, createBatch ${batch}` : undefined;
    });
    let mostStarting = 0;
    const peak = await monitorPods(c, NS, name, (pods) => void (mostStarting = Math.max(mostStarting, live(pods).filter((p) => !started(p)).length)));
    const gd = gdManifest(name, NS, { replicas: 6, type: 'HotPatchUpdate', podAnnotations: { 'sim.hotpod.dev/ready-delay-ms': '1500' }, spec: { scaleStrategy: { createBatch: 2 } } });
    assert.match(await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) }), /gamedeployment.tkex.tencent.com\/batched created/);
    await waitRow(c, NS, name, '6 6 6 6 6');
    assert.equal((await getGd(c, NS, name)).spec.scaleStrategy.createBatch, 2, 'kept as applied');
    assert.equal(mostStarting, 2, 'the batch was used, and never exceeded');

    batch = 1;
    mostStarting = 0;
    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { replicas: 9, scaleStrategy: { createBatch: '10%' } } })]);
    await waitRow(c, NS, name, '9 9 9 9 9');
    await waitPods(c, NS, name, (ps) => ps.length === 9 && ps.every(started), '9 pods started');
    mon.stop();
    peak.stop();
    assert.deepEqual(mon.violations, []);
    assert.equal(mostStarting, 1, 'one pod at a time');
  });

  it('without scaleStrategy, or with the 100% default, every pod is created at once', async () => {
    const name = 'unbatched';
    let mostStarting = 0;
    const peak = await monitorPods(c, NS, name, (pods) => void (mostStarting = Math.max(mostStarting, live(pods).filter((p) => !started(p)).length)));
    const gd = gdManifest(name, NS, { replicas: 5, type: 'HotPatchUpdate', podAnnotations: { 'sim.hotpod.dev/ready-delay-ms': '3000' }, spec: { scaleStrategy: {} } });
    await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) });
    assert.equal((await getGd(c, NS, name)).spec.scaleStrategy.createBatch, '100%', "BCS's default");
    await waitRow(c, NS, name, '5 5 5 5 5');
    peak.stop();
    assert.equal(mostStarting, 5);
  });

  it('refuses createBatch 0 and "0%" (no pod could ever be created) with field causes', async () => {
    for (const bad of [0, '0%', 'two']) {
      const gd = gdManifest('zero', NS, { spec: { scaleStrategy: { createBatch: bad } } });
      const out = await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) }).catch((e: Error) => e.message);
      assert.match(out, /spec\.scaleStrategy\.createBatch/, `createBatch ${JSON.stringify(bad)}: ${out}`);
    }
  });
});
