// BCS's latest defaults, maxUnavailable 25% and maxSurge 25%, through kubectl: a RollingUpdate of
// 4 pods that names neither creates one surge pod first and keeps 4 available (25% of 4 rounds
// down to 1 unavailable, but the surge pod comes first); an InplaceUpdate creates no surge pods,
// and a maxSurge set on it is named in FieldsNotActedOn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../helpers/cluster.js';
import { describeEvents, ensureNs, gdManifest, getGd, isReady, kubectl, live, mainStatus, monitorPods, startGdCluster, waitGd, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-defaults';
const SLOW_READY = { 'sim.hotpod.dev/ready-delay-ms': '800' };
const setImage = (c: Cluster, name: string, image: string) =>
  kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', `-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "${image}"}]`]);

describe('GameDeployment default rollout budget', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('RollingUpdate with the defaults: stored 25%/25%, one surge pod, never more than 1 of 4 unavailable', async () => {
    const name = 'rolling';
    await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gdManifest(name, NS, { replicas: 4, podAnnotations: SLOW_READY })) });
    const gd = await getGd(c, NS, name);
    assert.deepEqual([gd.spec.updateStrategy.maxUnavailable, gd.spec.updateStrategy.maxSurge], ['25%', '25%']);
    await waitRow(c, NS, name, '4 4 4 4 4');
    const mon = await monitorPods(c, NS, name, (pods) => {
      const lv = live(pods);
      if (lv.length > 5) return `${lv.length} pods not terminating, replicas 4 + maxSurge 1`;
      const ready = lv.filter(isReady).length;
      if (ready < 3) return `${ready} ready pods, replicas 4 − maxUnavailable 1`;
      return undefined;
    });
    await setImage(c, name, 'game/main:v2');
    await waitRow(c, NS, name, '4 4 4 4 4', 180_000);
    await waitPods(c, NS, name, (ps) => ps.length === 4 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), '4 new pods ready');
    mon.stop();
    assert.deepEqual(mon.violations, []);
    assert.equal(mon.maxLive(), 5, 'the default surge pod was used');
  });

  it('InplaceUpdate: no surge pods with the default; maxSurge 2 set on it is named in FieldsNotActedOn', async () => {
    const name = 'inplace';
    await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gdManifest(name, NS, { replicas: 3, type: 'InplaceUpdate' })) });
    await waitRow(c, NS, name, '3 3 3 3 3');
    const mon = await monitorPods(c, NS, name, () => undefined);
    await setImage(c, name, 'game/main:v2');
    await waitPods(c, NS, name, (ps) => ps.length === 3 && ps.every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), '3 pods updated in place');
    await waitRow(c, NS, name, '3 3 3 3 3');
    mon.stop();
    assert.equal(mon.maxLive(), 3, 'no pod created for the update');
    assert.equal(((await getGd(c, NS, name)).status.conditions ?? []).filter((x: Json) => x.type === 'FieldsNotActedOn').length, 0, 'the default is not worth a word');

    await kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=merge', '-p', '{"spec":{"updateStrategy":{"maxSurge":2}}}']);
    const said = await waitGd(c, NS, name, (g) => g.status?.conditions?.some((x: Json) => x.type === 'FieldsNotActedOn' && x.status === 'True'), 'FieldsNotActedOn');
    assert.match(said.status.conditions.find((x: Json) => x.type === 'FieldsNotActedOn').message, /spec\.updateStrategy\.maxSurge: extra pods during a RollingUpdate only .*an InplaceUpdate or HotPatchUpdate keeps its pods/);
    assert.ok((await describeEvents(c, NS, name)).some((e) => e.type === 'Warning' && e.reason === 'FieldsNotActedOn'));
  });
});
