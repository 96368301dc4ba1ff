// BCS's pod hooks and canary hook steps end to end: a GameDeployment's pre-delete, pre-inplace
// and post-inplace hooks and a canary hook step each run a HookRun made from a HookTemplate,
// with a web metric against a server this test runs on loopback (it answers, per pod, how many
// players the pod still has). A hook that does not pass holds the pod where it is; one that
// passes lets it go.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { api, apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { createGd, ensureNs, gdEvents, gdManifest, getGd, isReady, kubectl, listPods, live, mainStatus, mergePatchGd, revisionOf, startGdCluster, waitGd, waitPods, type Json } from './helpers.js';

const NS = 'pod-hooks';
const RUNS = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hookruns`;
const TEMPLATES = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hooktemplates`;

describe('GameDeployment hooks', { timeout: 600_000 }, () => {
  let c: Cluster;
  let server: http.Server;
  let port = 0;
  /** players per pod name (absent: 3); the canary verdict */
  const players = new Map<string, number>();
  let verdict = 'ok';

  before(async () => {
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const m = /^\/players\/([^/?]+)/.exec(req.url ?? '');
      if (m) return void res.end(JSON.stringify({ players: players.get(m[1]!) ?? 3 }));
      res.end(JSON.stringify({ verdict }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
    // empty: one measurement, Failed unless the pod has no players (failureLimit 0).
    await apiOk(c, 'POST', TEMPLATES, template('empty', { count: 1 }));
    // drained: measured every second until the pod has no players.
    await apiOk(c, 'POST', TEMPLATES, template('drained', { interval: '1s', failureLimit: 100000, successfulLimit: 1 }));
    await apiOk(c, 'POST', TEMPLATES, {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'HookTemplate',
      metadata: { name: 'canary-check', namespace: NS },
      spec: { metrics: [{ name: 'verdict', successCondition: 'result == "ok"', provider: { web: { url: `http://127.0.0.1:${port}/canary`, jsonPath: '{$.verdict}' } } }] },
    });
  });
  after(async () => {
    await c?.cleanup();
    server?.close();
  });

  function template(name: string, metric: Json): Json {
    return {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'HookTemplate',
      metadata: { name, namespace: NS },
      spec: {
        args: [{ name: 'PodName' }, { name: 'port' }],
        metrics: [{ name: 'players', successCondition: 'asInt(result) == 0', provider: { web: { url: 'http://127.0.0.1:{{ args.port }}/players/{{ args.PodName }}', jsonPath: '{$.players}' } }, ...metric }],
      },
    };
  }
  const hook = (templateName: string) => ({ templateName, args: [{ name: 'port', value: String(port) }] });
  const runs = async (): Promise<Json[]> => (await apiOk(c, 'GET', RUNS)).items as Json[];
  const runsOf = async (type: string) => (await runs()).filter((r) => r.metadata.labels?.['hookrun-type'] === type);
  const instanceId = (p: Json) => p.metadata.labels['tkex.bkbcs.tencent.com/gamedeployment-instance-id'];

  it('pre-delete: a failed run holds the scale-down (pod running, Event, conditions); retry runs it again and the pod goes once it passes', async () => {
    const gd = gdManifest('predel', NS, { replicas: 2, spec: { preDeleteUpdateStrategy: { hook: hook('empty') } } });
    await createGd(c, gd);
    const pods = await waitPods(c, NS, 'predel', (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
    await mergePatchGd(c, NS, 'predel', { spec: { replicas: 1 } });

    const [failed] = await waitFor(async () => {
      const rs = await runsOf('pre-delete-step');
      return rs.length === 1 && rs[0]!.status?.phase === 'Failed' ? rs : undefined;
    }, 'the pre-delete run Failed', 60_000);
    const victim = pods.find((p) => p.metadata.name === failed!.spec.args.find((a: Json) => a.name === 'PodName').value)!;
    assert.ok(victim, 'the run is for one of the pods');
    assert.equal(failed!.metadata.name, `predelete-${revisionOf(victim)}-${instanceId(victim)}-empty`, "BCS's name");
    assert.deepEqual(failed!.metadata.labels, { 'hookrun-type': 'pre-delete-step', 'workload-revision': revisionOf(victim), 'instance-id': instanceId(victim) });
    assert.deepEqual(failed!.metadata.ownerReferences.map((o: Json) => [o.kind, o.name, o.controller]), [['GameDeployment', 'predel', true]]);
    const args = Object.fromEntries((failed!.spec.args as Json[]).map((a) => [a.name, a.value]));
    assert.equal(args.PodIP, victim.status.podIP);
    assert.match(args.PodIP, /^127\./, 'pod IPs are loopback');
    assert.equal(args['PodContainer[0]'], 'main');

    const held = await waitGd(c, NS, 'predel', (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedHook' && x.status === 'True'), 'FailedHook');
    assert.deepEqual(held.status.preDeleteHookCondition.map((x: Json) => [x.podName, x.phase]), [[victim.metadata.name, 'Failed']]);
    assert.match(held.status.conditions.find((x: Json) => x.type === 'FailedHook').message, /pre-delete HookRun predelete-.* is Failed, so the pod is left as it is/);
    const events = await gdEvents(c, NS, 'predel');
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'FailedHook' && e.message.includes(victim.metadata.name)), 'a Warning Event names the pod');
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreateHookRun'));
    const now = await listPods(c, NS, 'predel');
    const still = now.find((p) => p.metadata.name === victim.metadata.name)!;
    assert.ok(still && !still.metadata.deletionTimestamp && still.status.phase === 'Running', 'the pod is running, not deleted');
    assert.equal(still.metadata.annotations['io.tencent.bcs.dev/game-pod-deleting'], 'true', "BCS's mark on the pod");

    // The game empties the server; retry starts the run again and this one passes.
    players.set(victim.metadata.name, 0);
    await mergePatchGd(c, NS, 'predel', { spec: { preDeleteUpdateStrategy: { retry: true } } });
    await waitPods(c, NS, 'predel', (ps) => ps.length === 1 && ps[0]!.metadata.name !== victim.metadata.name, 'the pod deleted');
    const done = await waitGd(c, NS, 'predel', (g) => !g.status?.preDeleteHookCondition && !(g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedHook'), 'hook conditions cleared');
    assert.equal(done.status.replicas, 1);
    assert.ok((await gdEvents(c, NS, 'predel')).some((e) => e.reason === 'RetryHookRun'));
    await waitFor(async () => (await runsOf('pre-delete-step')).length === 0, 'the run of the deleted pod pruned', 30_000);
  });

  for (const type of ['InplaceUpdate', 'HotPatchUpdate'] as const) {
    it(`pre-inplace holds a ${type} until the run passes; post-inplace runs after it`, async () => {
      const name = type === 'InplaceUpdate' ? 'preinp' : 'prehot';
      // maxUnavailable 2: both pods may update at once (a pod waiting on its hook counts as one about to go, as BCS counts it).
      await createGd(c, gdManifest(name, NS, { replicas: 2, type, updateStrategy: { maxUnavailable: 2 }, spec: { preInplaceUpdateStrategy: { hook: hook('drained') }, postInplaceUpdateStrategy: { hook: hook('empty') } } }));
      const before = await waitPods(c, NS, name, (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
      const oldRev = revisionOf(before[0]!)!;
      for (const p of before) players.set(p.metadata.name, 2);
      await apiOk(c, 'PATCH', `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/gamedeployments/${name}`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2' }] } } } }, { contentType: 'application/merge-patch+json' });

      const waiting = await waitGd(c, NS, name, (g) => g.status?.preInplaceHookCondition?.length === 2, 'both pods waiting on pre-inplace');
      assert.deepEqual(waiting.status.preInplaceHookCondition.map((x: Json) => x.phase), ['Running', 'Running']);
      const pre = await runsOf('pre-inplace-step');
      assert.deepEqual(pre.filter((r) => r.metadata.ownerReferences[0].name === name).map((r) => r.metadata.name).sort(), before.map((p) => `preinplace-${oldRev}-${instanceId(p)}-drained`).sort());
      // Measured at least twice each while held: the pods stay on the old revision and image.
      await waitFor(async () => (await runsOf('pre-inplace-step')).filter((r) => r.metadata.ownerReferences[0].name === name).every((r) => (r.status?.metricResults?.[0]?.count ?? 0) >= 2), 'measured twice', 30_000);
      for (const p of await listPods(c, NS, name)) {
        assert.equal(revisionOf(p), oldRev, `${p.metadata.name} not updated`);
        assert.equal(mainStatus(p).image, 'game/main:v1');
        assert.equal(mainStatus(p).restartCount, 0);
      }

      // One server empties: that pod alone updates.
      const [first, second] = before;
      players.set(first!.metadata.name, 0);
      await waitPods(c, NS, name, (ps) => ps.some((p) => p.metadata.name === first!.metadata.name && mainStatus(p).image === 'game/main:v2' && isReady(p)), 'the drained pod updated');
      const other = (await listPods(c, NS, name)).find((p) => p.metadata.name === second!.metadata.name)!;
      assert.equal(revisionOf(other), oldRev, 'the pod with players still waits');
      players.set(second!.metadata.name, 0);
      const updated = await waitPods(c, NS, name, (ps) => live(ps).length === 2 && live(ps).every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'both updated');
      assert.deepEqual(updated.map((p) => p.metadata.name).sort(), before.map((p) => p.metadata.name).sort(), 'updated in place, not recreated');
      if (type === 'HotPatchUpdate') for (const p of updated) assert.equal(mainStatus(p).restartCount, 0, 'hot-patch restarts nothing');

      // After the update: a post-inplace run per pod at the new revision; the old pre-inplace runs pruned.
      const newRev = revisionOf(updated[0]!)!;
      await waitFor(async () => {
        const post = (await runsOf('post-inplace-step')).filter((r) => r.metadata.ownerReferences[0].name === name);
        return post.length === 2 && post.every((r) => r.status?.phase === 'Successful' && r.metadata.labels['workload-revision'] === newRev);
      }, 'post-inplace runs Successful', 60_000);
      await waitFor(async () => (await runsOf('pre-inplace-step')).every((r) => r.metadata.ownerReferences[0].name !== name), 'pre-inplace runs pruned', 30_000);
      const gd = await waitGd(c, NS, name, (g) => !g.status?.preInplaceHookCondition && !g.status?.postInplaceHookCondition && g.status?.updatedReadyReplicas === 2, 'settled');
      assert.equal(gd.status.updatedReplicas, 2);
    });
  }

  it('a canary with partition, pause and hook steps runs to the end when the hook passes, and pauses with PausedByStepBasedHook when it fails', async () => {
    const steps = [{ partition: 2 }, { pause: { duration: 1 } }, { hook: { templateName: 'canary-check' } }, { partition: 0 }];
    await createGd(c, gdManifest('canary', NS, { replicas: 4, type: 'InplaceUpdate', updateStrategy: { maxUnavailable: 2, canary: { steps } } }));
    await waitPods(c, NS, 'canary', (ps) => live(ps).length === 4 && live(ps).every(isReady), '4 ready');
    const first = (await waitGd(c, NS, 'canary', (g) => !!g.status?.updateRevision, 'a revision')).status.updateRevision;
    const setImage = (image: string) => mergePatchGd(c, NS, 'canary', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });

    verdict = 'ok';
    await setImage('game/main:v2');
    const done = await waitGd(c, NS, 'canary', (g) => g.status?.updateRevision !== first && g.status?.currentStepIndex === 4 && g.status?.updatedReadyReplicas === 4, 'every step done', 120_000);
    const rev = done.status.updateRevision;
    const run = await apiOk(c, 'GET', `${RUNS}/canary-${rev}-2-canary-check`);
    assert.equal(run.status.phase, 'Successful');
    assert.deepEqual([run.metadata.labels['hookrun-type'], run.metadata.labels['canary-step-index'], run.metadata.labels['workload-revision']], ['canary-step', '2', rev]);
    assert.ok(!done.status.pauseConditions?.length && done.spec.updateStrategy.paused !== true);

    verdict = 'bad';
    await setImage('game/main:v3');
    const paused = await waitGd(c, NS, 'canary', (g) => (g.status?.pauseConditions ?? []).some((p: Json) => p.reason === 'PausedByStepBasedHook'), 'paused by the hook', 120_000);
    assert.equal(paused.spec.updateStrategy.paused, true);
    assert.equal(paused.status.currentStepIndex, 2);
    assert.equal(paused.status.canary.currentStepHookRun, `canary-${paused.status.updateRevision}-2-canary-check`);
    assert.equal((await apiOk(c, 'GET', `${RUNS}/${paused.status.canary.currentStepHookRun}`)).status.phase, 'Failed');
    const pods = live(await listPods(c, NS, 'canary'));
    assert.equal(pods.filter((p) => mainStatus(p).image === 'game/main:v3').length, 2, 'the canary stops at its partition');
    assert.ok((await gdEvents(c, NS, 'canary')).some((e) => e.type === 'Warning' && e.reason === 'SetPaused' && /is Failed/.test(e.message)));
    // The runs of the revision before are pruned.
    await waitFor(async () => (await runsOf('canary-step')).every((r) => r.metadata.labels['workload-revision'] !== rev), 'old canary run pruned', 30_000);
  });

  it('bad input: a missing template or one with a condition that does not parse holds the pod (Warning Event, condition); a missing templateName or an unknown provider is a 422', async () => {
    const bad = gdManifest('nohook', NS, { replicas: 1, spec: { preDeleteUpdateStrategy: { hook: { templateName: 'no-such-template' } } } });
    await createGd(c, bad);
    await waitPods(c, NS, 'nohook', (ps) => live(ps).length === 1 && live(ps).every(isReady), '1 ready');
    const [pod] = live(await listPods(c, NS, 'nohook'));
    await mergePatchGd(c, NS, 'nohook', { spec: { replicas: 0 } });
    const gd = await waitGd(c, NS, 'nohook', (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedHook'), 'FailedHook');
    assert.match(gd.status.conditions.find((x: Json) => x.type === 'FailedHook').message, /HookTemplate "no-such-template" not found in namespace pod-hooks/);
    assert.ok((await gdEvents(c, NS, 'nohook')).some((e) => e.type === 'Warning' && e.reason === 'FailedHook' && /no-such-template/.test(e.message)));
    const still = (await listPods(c, NS, 'nohook')).find((p) => p.metadata.name === pod!.metadata.name);
    assert.ok(still && !still.metadata.deletionTimestamp, 'nothing deleted');

    // The template appears: the run starts and (no players) passes; the pod goes.
    players.set(pod!.metadata.name, 0);
    await apiOk(c, 'POST', TEMPLATES, { ...template('no-such-template', { count: 1 }) });
    await mergePatchGd(c, NS, 'nohook', { spec: { preDeleteUpdateStrategy: { hook: { templateName: 'no-such-template', args: [{ name: 'port', value: String(port) }] } } } });
    await waitPods(c, NS, 'nohook', (ps) => ps.length === 0, 'the pod deleted once the hook passed');
    await waitGd(c, NS, 'nohook', (g) => !(g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedHook'), 'FailedHook cleared');

    // A hook without templateName: refused by the schema, with the field.
    const r = await kubectl(c, ['apply', '-f', '-'], { input: JSON.stringify(gdManifest('notemplate', NS, { spec: { preDeleteUpdateStrategy: { hook: { args: [] } } } })) }).catch((e: Error) => e.message);
    assert.match(r, /spec\.preDeleteUpdateStrategy\.hook\.templateName: Required value/);
    assert.equal((await getGd(c, NS, 'nohook')).metadata.name, 'nohook');

    // A provider hotpod does not know: pruned, and the empty provider refused by the schema.
    const unknown = { ...template('unknown', {}), spec: { metrics: [{ name: 'm', provider: { carrierPigeon: { to: 'x' } } }] } };
    const e2 = await kubectl(c, ['apply', '-f', '-'], { input: JSON.stringify(unknown) }).catch((e: Error) => e.message);
    assert.match(e2, /unknown field "spec\.metrics\[0\]\.provider\.carrierPigeon"/, 'kubectl validates strictly');
    const r2 = await api(c, 'POST', TEMPLATES, unknown);
    assert.equal(r2.status, 422, 'without strict validation the field is pruned and the empty provider refused');
    assert.match(r2.text, /spec\.metrics\[0\]\.provider.*should have at least 1 properties/);
    // A condition that does not parse (no schema can say so): the GameDeployment that uses the
    // template says why, with a Warning Event, and deletes nothing.
    await apiOk(c, 'POST', TEMPLATES, template('unparsable', { count: 1, successCondition: 'asInt(result) <' }));
    await createGd(c, gdManifest('badcond', NS, { replicas: 1, spec: { preDeleteUpdateStrategy: { hook: hook('unparsable') } } }));
    const [held] = live(await waitPods(c, NS, 'badcond', (ps) => live(ps).length === 1 && live(ps).every(isReady), '1 ready'));
    await mergePatchGd(c, NS, 'badcond', { spec: { replicas: 0 } });
    const refused = await waitGd(c, NS, 'badcond', (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedHook'), 'FailedHook');
    assert.match(refused.status.conditions.find((x: Json) => x.type === 'FailedHook').message, /HookTemplate "unparsable" is invalid: .*successCondition.*does not parse/);
    assert.ok((await gdEvents(c, NS, 'badcond')).some((e) => e.type === 'Warning' && e.reason === 'FailedHook' && /does not parse/.test(e.message)));
    assert.ok(!(await listPods(c, NS, 'badcond')).find((p) => p.metadata.name === held!.metadata.name)?.metadata.deletionTimestamp, 'nothing deleted');
    assert.equal((await runsOf('pre-delete-step')).filter((r) => r.metadata.ownerReferences[0].name === 'badcond').length, 0, 'no run made');
    assert.equal((await apiOk(c, 'GET', TEMPLATES)).items.filter((t: Json) => t.metadata.name === 'unknown').length, 0, 'not stored');
  });
});
