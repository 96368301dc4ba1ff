// Hostile GameServerSet and GameDeployment specs: what the CRD schemas can refuse is refused with
// 422 as kube-apiserver answers (the store unchanged); what gets stored anyway (no spec, a
// selector that does not match the template) gets one Warning Event and a FailedUpdate condition
// and nothing else; a huge replicas count is worked through in bounded passes. After each, the
// server still serves, and a controller started afterwards becomes ready.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { gss, gssPath, namespace, podsOf, setEvents, startGssCluster, type Json } from '../gameserverset/helpers.js';
import { GD_PATH, gdEvents, gdManifest, listPods } from '../gamedeployment/helpers.js';
import { assertControllerBecomesReady, assertStillServes, expectStatus, snapshot } from './helpers.js';

const WAIT_MS = 90_000;

interface Cause {
  reason: string;
  field: string;
  message: string;
}

/** POST that must be refused: 422 Invalid with the cause, nothing stored, the server fine. */
async function refused(c: Cluster, path: string, body: Json, want: Partial<Cause>): Promise<void> {
  const before = await snapshot(c);
  const r = await expectStatus(c, 'POST', path, body, { code: 422, reason: 'Invalid' });
  const causes = (r.body.details?.causes ?? []) as Cause[];
  assert.ok(
    causes.some((x) => Object.entries(want).every(([k, v]) => x[k as keyof Cause] === v)),
    `no cause ${JSON.stringify(want)} in ${JSON.stringify(causes)}`,
  );
  await assertStillServes(c, before);
}

function int32Cause(path: string): Cause {
  return { reason: 'FieldValueInvalid', field: '<nil>', message: `Invalid value: "": Checked value must be of type integer with format int32 in ${path}` };
}

function withContainers(m: Json, containers: Json[]): Json {
  const out = structuredClone(m);
  const spec = out.kind === 'GameServerSet' ? out.spec.gameServerTemplate.spec : out.spec.template.spec;
  spec.containers = containers;
  return out;
}

describe('hostile workload specs', { timeout: 600_000 }, () => {
  let c: Cluster;
  let ns: string;

  before(async () => {
    c = await startGssCluster();
    ns = await namespace(c, 'hostile-specs');
  });
  after(async () => {
    await c?.stop();
  });

  test('replicas beyond int32 are refused as kube-apiserver refuses them', async () => {
    for (const replicas of [2 ** 31, 1e12]) {
      await refused(c, gssPath(ns), gss('huge', ns, { replicas }), int32Cause('spec.replicas'));
      await refused(c, GD_PATH(ns), gdManifest('huge', ns, { replicas }), int32Cause('spec.replicas'));
    }
  });

  test('maxUnavailable and partition: only numbers and percentages up to 100%', async () => {
    const path = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
    for (const bad of ['150%', 'abc', '0%']) {
      await refused(c, gssPath(ns), gss('mu', ns, { maxUnavailable: bad }), {
        field: path,
        message: `Invalid value: ${JSON.stringify(bad)}: ${path} in body should match '^(100|[1-9][0-9]?)%$'`,
      });
    }
    for (const bad of [0, -1]) {
      await refused(c, gssPath(ns), gss('mu', ns, { maxUnavailable: bad }), {
        field: path,
        message: `Invalid value: ${bad}: ${path} in body should be greater than or equal to 1`,
      });
    }
    for (const [field, bad] of [
      ['maxUnavailable', '150%'],
      ['maxUnavailable', 'abc'],
      ['maxUnavailable', -1],
      ['partition', '150%'],
      ['partition', -1],
      ['maxSurge', 'x%'],
    ] as const) {
      await refused(c, GD_PATH(ns), gdManifest('mu', ns, { updateStrategy: { [field]: bad } }), { field: `spec.updateStrategy.${field}`, reason: 'FieldValueInvalid' });
    }
  });

  test('containers no pod could be made from: none, duplicate names, names that are not DNS labels, empty or padded images', async () => {
    const sets: [string, Json, string][] = [
      [gssPath(ns), gss('ct', ns), 'spec.gameServerTemplate.spec.containers'],
      [GD_PATH(ns), gdManifest('ct', ns), 'spec.template.spec.containers'],
    ];
    for (const [path, m, at] of sets) {
      await refused(c, path, withContainers(m, []), { field: at, message: `Invalid value: 0: ${at} in body should have at least 1 items` });
      await refused(c, path, withContainers(m, [{ name: 'a', image: 'x/a:1' }, { name: 'a', image: 'x/b:1' }]), {
        reason: 'FieldValueDuplicate',
        field: `${at}[1]`,
      });
      await refused(c, path, withContainers(m, [{ name: 'Main', image: 'x/a:1' }]), { field: `${at}[0].name`, reason: 'FieldValueInvalid' });
      for (const image of ['', '   ', ' x/a:1']) {
        await refused(c, path, withContainers(m, [{ name: 'main', image }]), { field: `${at}[0].image`, reason: 'FieldValueInvalid' });
      }
    }
  });

  test('a GameServerSet without spec: one Warning Event and a FailedUpdate condition, then it works once fixed', async () => {
    const name = 'nospec';
    await apiOk(c, 'POST', gssPath(ns), { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name, namespace: ns } });
    const failed = await waitFor(async () => {
      const s = await apiOk(c, 'GET', gssPath(ns, name));
      const cond = ((s.status?.conditions ?? []) as Json[]).find((x) => x.type === 'FailedUpdate');
      return cond?.reason === 'InvalidSpec' && s.status.observedGeneration === s.metadata.generation ? cond : undefined;
    }, 'FailedUpdate condition with reason InvalidSpec', WAIT_MS);
    assert.equal(failed.status, 'True');
    assert.match(failed.message, /spec\.replicas: Required value/);
    // The status write above is itself a change of the set the controller sees: still one Event.
    const events = (await setEvents(c, ns, name)).filter((e) => e.reason === 'InvalidSpec');
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.type, 'Warning');
    assert.equal(events[0]!.count ?? 1, 1);
    await assertStillServes(c);

    // Fixed: the condition goes and the set gets its pods.
    await apiOk(c, 'PATCH', gssPath(ns, name), { spec: gss(name, ns, { replicas: 1 }).spec }, { contentType: 'application/merge-patch+json' });
    await waitFor(async () => {
      const s = await apiOk(c, 'GET', gssPath(ns, name));
      const cond = ((s.status?.conditions ?? []) as Json[]).find((x) => x.type === 'FailedUpdate');
      return !cond && (await podsOf(c, ns, name)).size === 1;
    }, 'condition cleared and one pod', WAIT_MS);
  });

  test('a GameDeployment whose selector does not match its template: one Warning Event and a condition, no pods', async () => {
    const name = 'mismatch';
    const m = gdManifest(name, ns, { replicas: 2 });
    m.spec.template.metadata.labels = { app: 'other' };
    await apiOk(c, 'POST', GD_PATH(ns), m);
    const failed = await waitFor(async () => {
      const gd = await apiOk(c, 'GET', GD_PATH(ns, name));
      const cond = ((gd.status?.conditions ?? []) as Json[]).find((x) => x.type === 'FailedUpdate');
      return cond?.reason === 'InvalidSpec' && gd.status.observedGeneration === gd.metadata.generation ? cond : undefined;
    }, 'FailedUpdate condition with reason InvalidSpec', WAIT_MS);
    assert.match(failed.message, /selector. does not match template .labels/);
    const events = (await gdEvents(c, ns, name)).filter((e) => e.reason === 'InvalidSpec');
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.type, 'Warning');
    assert.equal(events[0]!.count ?? 1, 1);
    assert.equal((await listPods(c, ns, name)).length, 0);
    assert.equal((await listPods(c, ns, 'other')).length, 0);
    await assertStillServes(c);
  });

  test('replicas 2147483647: pods are created in bounded passes and the process stays up', async () => {
    // A GameServerSet with a scale budget (scaleStrategy.maxUnavailable) plans 2 at a time.
    const set = gss('max', ns, { replicas: 2 ** 31 - 1 });
    set.spec.scaleStrategy = { maxUnavailable: 2 };
    await apiOk(c, 'POST', gssPath(ns), set);
    await waitFor(async () => (await podsOf(c, ns, 'max')).size >= 2, 'GameServerSet pods created', WAIT_MS);
    // Without a budget a GameDeployment creates up to 500 per pass; deleted once it has begun.
    await apiOk(c, 'POST', GD_PATH(ns), gdManifest('max', ns, { replicas: 2 ** 31 - 1 }));
    await waitFor(async () => (await listPods(c, ns, 'max')).length >= 20, 'GameDeployment pods created', WAIT_MS);
    await assertStillServes(c);
    for (const path of [gssPath(ns, 'max'), GD_PATH(ns, 'max')]) {
      const r = await api(c, 'DELETE', path);
      assert.equal(r.status, 200, r.text);
    }
    assert.doesNotMatch(c.logs(), /Invalid array length|invalid size error|heap out of memory/);
    const gdEvents_ = await gdEvents(c, ns, 'max');
    assert.ok(gdEvents_.some((e) => e.reason === 'SuccessfulCreate'), 'the GameDeployment created pods');
    assert.ok(!gdEvents_.some((e) => e.type === 'Warning'), JSON.stringify(gdEvents_.filter((e) => e.type === 'Warning')));
  });

  test('a controller started afterwards becomes ready', async () => {
    await assertControllerBecomesReady(c);
  });
});
