// spec.disableReadinessGate: pods are made without the InPlaceUpdateReady readiness gate, so an
// in-place update does not take a pod out of service before its containers restart; the
// update itself goes as with the gate (same pods, new image, one restart each).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../helpers/cluster.js';
import { ensureNs, gdManifest, getGd, isReady, kubectl, listPods, mainStatus, startGdCluster, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-gate';
const inPlaceReady = (p: Json) => ((p.status?.conditions ?? []) as Json[]).find((x) => x.type === 'InPlaceUpdateReady');
const gates = (p: Json) => ((p.spec.readinessGates ?? []) as Json[]).map((g) => g.conditionType);

describe('GameDeployment disableReadinessGate', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('true: no InPlaceUpdateReady gate; a pod in its grace period stays Ready; the in-place update completes', async () => {
    const name = 'nogate';
    const gd = gdManifest(name, NS, { replicas: 2, type: 'InplaceUpdate', updateStrategy: { maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 3 } }, spec: { disableReadinessGate: true } });
    gd.spec.template.spec.readinessGates = [{ conditionType: 'example.com/warm' }];
    assert.match(await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) }), /gamedeployment.tkex.tencent.com\/nogate created/);
    assert.equal((await getGd(c, NS, name)).spec.disableReadinessGate, true);
    const created = await waitPods(c, NS, name, (ps) => ps.length === 2, '2 pods');
    for (const p of created) assert.deepEqual(gates(p), ['example.com/warm'], "the template's own gate only");
    // The template's gate is the user's to open: then the pods are Ready, with no condition of ours.
    for (const p of created) {
      await kubectl(c, ['patch', 'pod', p.metadata.name, '-n', NS, '--subresource=status', '--type=strategic', '-p', JSON.stringify({ status: { conditions: [{ type: 'example.com/warm', status: 'True' }] } })]);
    }
    const before = await waitPods(c, NS, name, (ps) => ps.length === 2 && ps.every(isReady), '2 ready');
    for (const p of before) assert.equal(inPlaceReady(p), undefined, 'no InPlaceUpdateReady written to a new pod without the gate');
    await waitRow(c, NS, name, '2 2 2 2 2');

    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"game/main:v2"}]']);
    const graced = await waitPods(c, NS, name, (ps) => ps.some((p) => inPlaceReady(p)?.status === 'False'), 'a pod in its grace period', 60_000);
    const inGrace = graced.find((p) => inPlaceReady(p)?.status === 'False')!;
    assert.ok(isReady(inGrace), `${inGrace.metadata.name} is still Ready in its grace period (no gate to close)`);
    assert.equal(mainStatus(inGrace).image, 'game/main:v1');

    const after = await waitPods(c, NS, name, (ps) => ps.length === 2 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'both updated in place', 120_000);
    assert.deepEqual(after.map((p) => p.metadata.uid).sort(), before.map((p) => p.metadata.uid).sort(), 'the same pods');
    for (const p of after) assert.equal(mainStatus(p).restartCount, 1);
    await waitRow(c, NS, name, '2 2 2 2 2');
  });

  it('false (the default): the gate is injected after the template\'s own', async () => {
    const name = 'gated';
    const gd = gdManifest(name, NS, { replicas: 1, type: 'InplaceUpdate' });
    gd.spec.template.spec.readinessGates = [{ conditionType: 'example.com/warm' }];
    await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) });
    assert.equal((await getGd(c, NS, name)).spec.disableReadinessGate, false, "BCS's default");
    const [p] = await waitPods(c, NS, name, (ps) => ps.length === 1, '1 pod');
    assert.deepEqual(gates(p!), ['example.com/warm', 'InPlaceUpdateReady']);
    assert.equal((await listPods(c, NS, name)).length, 1);
  });
});
