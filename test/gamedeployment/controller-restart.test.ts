// The controller killed in the middle of an InplaceUpdate rollout and started again (a separate
// `hotpod controller` process against `hotpod up --no-controller`): the new process resumes from
// what the pods show, finishes the rollout, updates every pod exactly once, and keeps
// maxUnavailable throughout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, type Cluster } from '../helpers/cluster.js';
import {
  createGd,
  gdEvents,
  ensureNs,
  gdManifest,
  isReady,
  kubectl,
  listPods,
  live,
  mainStatus,
  monitorPods,
  startControllerProcess,
  startGdCluster,
  waitPods,
  waitRow,
  type ControllerProcess,
  type Json,
} from './helpers.js';

const NS = 'gd-restart';
const NAME = 'restart';
const REPLICAS = 6;

describe('controller restart in the middle of a rollout', { timeout: 900_000 }, () => {
  let c: Cluster;
  let ctl: ControllerProcess | undefined;

  before(async () => {
    c = await startGdCluster({ nodes: 3, controller: false });
    await ensureNs(c, NS);
  });
  after(async () => {
    await ctl?.stop('SIGKILL');
    await c?.cleanup();
  });

  it('resumes an InplaceUpdate where the pods show it stopped, each pod updated once', async () => {
    ctl = await startControllerProcess(c);
    await createGd(
      c,
      gdManifest(NAME, NS, {
        replicas: REPLICAS,
        type: 'InplaceUpdate',
        podAnnotations: { 'sim.hotpod.dev/ready-delay-ms': '500' },
        updateStrategy: { maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 2 } },
      }),
    );
    await waitRow(c, NS, NAME, `${REPLICAS} ${REPLICAS} ${REPLICAS} ${REPLICAS} ${REPLICAS}`);
    const before0 = await listPods(c, NS, NAME);

    const mon = await monitorPods(c, NS, NAME, (pods) => {
      const lv = live(pods);
      if (lv.length !== REPLICAS) return `${lv.length} pods, want ${REPLICAS}`;
      const ready = lv.filter(isReady).length;
      return ready < REPLICAS - 1 ? `${ready} ready pods, maxUnavailable 1` : undefined;
    });
    await kubectl(c, ['patch', 'gamedeployment', NAME, '-n', NS, '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"game/main:v2"}]']);
    const v2 = (ps: Json[]) => ps.filter((p) => p.spec.containers[0].image === 'game/main:v2').length;
    await waitPods(c, NS, NAME, (ps) => v2(ps) >= 2 && v2(ps) < REPLICAS, 'the rollout part-way');

    // Killed without a chance to clean up.
    await ctl.stop('SIGKILL');
    ctl = undefined;
    const frozen = v2(await listPods(c, NS, NAME));
    assert.ok(frozen < REPLICAS, `rollout not finished when the controller died (${frozen} on v2)`);
    await sleep(4000);
    assert.equal(v2(await listPods(c, NS, NAME)), frozen, 'nothing moves without a controller');

    ctl = await startControllerProcess(c);
    await waitRow(c, NS, NAME, `${REPLICAS} ${REPLICAS} ${REPLICAS} ${REPLICAS} ${REPLICAS}`, 240_000);
    const after0 = await waitPods(c, NS, NAME, (ps) => ps.length === REPLICAS && v2(ps) === REPLICAS && ps.every(isReady), 'all on v2 and ready');
    mon.stop();
    assert.deepEqual(mon.violations, []);

    const byName = new Map(before0.map((p) => [p.metadata.name, p]));
    assert.deepEqual(after0.map((p) => p.metadata.name), [...byName.keys()].sort(), 'the same pods');
    for (const p of after0) {
      const was = byName.get(p.metadata.name)!;
      assert.equal(p.metadata.uid, was.metadata.uid);
      assert.equal(mainStatus(p).restartCount, 1, `${p.metadata.name} restarted exactly once`);
      assert.equal(mainStatus(p).image, 'game/main:v2');
      assert.equal(((p.status.conditions ?? []) as Json[]).find((x) => x.type === 'InPlaceUpdateReady')?.status, 'True');
    }
    // One update per pod across both controllers. Events are written in the background, so the
    // Event of the one write in flight when SIGKILL hit (maxUnavailable 1) may be lost; a second
    // update of any pod would show as a count above 1 or a second Event.
    const updates = (await gdEvents(c, NS, NAME)).filter((e) => e.reason === 'SuccessfulUpdatePodInPlace');
    const expected = new Set(before0.map((p) => `successfully update pod ${p.metadata.name} in-place`));
    const messages = updates.map((e) => e.message as string);
    assert.equal(new Set(messages).size, messages.length, `no pod updated twice: ${JSON.stringify(messages)}`);
    for (const e of updates) {
      assert.ok(expected.has(e.message), e.message);
      assert.equal(e.count, 1, e.message);
    }
    assert.ok(updates.length >= REPLICAS - 1, `${updates.length} update Events`);
  });
});
