// /metrics scraped after known rollouts: its figures match what happened (pod updates by policy,
// workload progress, reconciles and their errors as the logs show them, queues empty at rest),
// reconciling reads from the caches (the only lists are the informers'), and the probes answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitFor, type Cluster } from '../helpers/cluster.js';
import { SIDECAR_V2, WAIT_MS, applyGss, cond, container, gss, gssPath, isReady, namespace, podsOf, setSidecarImage, startGssCluster, waitSettled } from '../gameserverset/helpers.js';
import { scrape, series, startObservedController, status, sum, type ObservedController, type Sample } from './helpers.js';

describe('controller metrics', { timeout: 300_000 }, () => {
  let c: Cluster;
  let p: ObservedController | undefined;

  before(async () => {
    c = await startGssCluster({ controller: false });
    // debug: every failed reconcile is logged, conflicts included, to compare with the metric.
    p = await startObservedController(c, ['--log-level=debug']);
  });
  after(async () => {
    if (p && p.exitCode() === null) await p.kill9();
    await c?.cleanup();
  });

  const rolledOut = async (ns: string, name: string, n: number) =>
    waitFor(
      async () => {
        const pods = await podsOf(c, ns, name);
        return pods.size === n && [...pods.values()].every((x) => container(x, 'sidecar')?.image === SIDECAR_V2 && isReady(x) && cond(x, 'InPlaceUpdateReady')?.status === 'True' && !x.metadata.deletionTimestamp);
      },
      `${ns}/${name}: ${n} pods on the new sidecar, ready`,
      WAIT_MS,
      250,
    );

  /** Scrapes until every queue is empty and the set's gauges show `n` of `n` updated and ready. */
  const atRest = (ns: string, name: string, n: number) =>
    waitFor(
      async () => {
        const m = await scrape(p!.metricsUrl);
        const labels = { kind: 'GameServerSet', namespace: ns, name };
        const rest =
          series(m, 'hotpod_workqueue_depth').every((s) => s.value === 0) &&
          sum(m, 'hotpod_workload_replicas', labels) === n &&
          sum(m, 'hotpod_workload_updated_replicas', labels) === n &&
          sum(m, 'hotpod_workload_updated_ready_replicas', labels) === n;
        return rest ? m : undefined;
      },
      `${ns}/${name}: queues empty, ${n} of ${n} updated and ready in the gauges`,
      WAIT_MS,
      250,
    );

  it('an in-place rollout of 3 pods and a ReCreate rollout of 2 are counted as they happened', async () => {
    const ns = await namespace(c, 'metrics');
    await applyGss(c, gss('inplace', ns, { replicas: 3 }));
    await applyGss(c, gss('recreate', ns, { replicas: 2, policy: 'ReCreate' }));
    await waitSettled(c, ns, 'inplace', ['inplace-0', 'inplace-1', 'inplace-2']);
    await waitSettled(c, ns, 'recreate', ['recreate-0', 'recreate-1']);
    let m = await scrape(p!.metricsUrl);
    assert.equal(sum(m, 'hotpod_pods_updated_total'), 0, 'creating pods is not updating them');

    await setSidecarImage(c, ns, 'inplace', SIDECAR_V2);
    await setSidecarImage(c, ns, 'recreate', SIDECAR_V2);
    await rolledOut(ns, 'inplace', 3);
    await rolledOut(ns, 'recreate', 2);
    await atRest(ns, 'inplace', 3);
    m = (await atRest(ns, 'recreate', 2)) as Sample[];

    assert.equal(sum(m, 'hotpod_pods_updated_total', { kind: 'GameServerSet', policy: 'InPlace' }), 3);
    assert.equal(sum(m, 'hotpod_pods_updated_total', { kind: 'GameServerSet', policy: 'ReCreate' }), 2);
    assert.equal(sum(m, 'hotpod_pods_updated_total', { policy: 'HotPatch' }), 0);
    assert.equal(sum(m, 'hotpod_leader'), 1, 'without leader election the process leads');

    // Reconciles: counted per controller, each also timed; errors as many as the log reported.
    assert.match(p!.logs(), /"starting informers"/, 'the log is whole (not cut at the helper limit)');
    const logged = new Map<string, number>();
    for (const line of p!.logs().split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { controller?: string; msg?: string; namespace?: string; name?: string };
      if (rec.controller && /^reconcile .* failed, retrying$/.test(rec.msg ?? '')) {
        logged.set(rec.controller, (logged.get(rec.controller) ?? 0) + 1);
        assert.ok(rec.namespace !== undefined && rec.name, 'the failure names the object');
      }
    }
    for (const controller of ['gameserverset', 'gameserver', 'gamedeployment', 'hookrun']) {
      const total = sum(m, 'hotpod_reconcile_total', { controller });
      if (controller === 'gameserverset' || controller === 'gameserver') assert.ok(total > 0, `${controller} reconciled`);
      assert.equal(sum(m, 'hotpod_reconcile_duration_seconds_count', { controller }), total, `${controller}: one duration per reconcile`);
      assert.equal(sum(m, 'hotpod_reconcile_errors_total', { controller }), logged.get(controller) ?? 0, `${controller}: errors as logged`);
      assert.equal(sum(m, 'hotpod_reconcile_total', { controller, result: 'error' }), logged.get(controller) ?? 0);
    }
    assert.equal(series(m, 'hotpod_reconcile_errors_total').length, 4, 'every controller has an error series, 0 included');

    // Reads come from the caches: the only list requests are the informers' lists.
    const lists = series(m, 'hotpod_api_requests_total', { verb: 'list' });
    assert.ok(lists.length >= 5, JSON.stringify(lists));
    for (const s of lists) assert.equal(s.value, sum(m, 'hotpod_informer_lists', { resource: s.labels.resource! }), `list ${s.labels.resource}: ${s.value} requests`);
    for (const s of series(m, 'hotpod_informer_lists')) assert.equal(sum(lists, 'hotpod_api_requests_total', { resource: s.labels.resource! }), s.value);
    assert.equal(sum(m, 'hotpod_api_requests_total', { verb: 'get', resource: 'pods' }), 0, 'no pod read from the server');
    assert.ok(sum(m, 'hotpod_api_requests_total', { verb: 'patch', resource: 'pods' }) >= 3, 'an image patch per in-place pod');
    assert.equal(sum(m, 'hotpod_api_requests_total', { verb: 'delete', resource: 'pods' }), 2, 'one delete per ReCreate pod');
    assert.ok(sum(m, 'process_cpu_seconds_total') > 0, 'process metrics too');

    assert.equal(await status(`${p!.healthUrl}/healthz`), 200);
    assert.equal(await status(`${p!.healthUrl}/readyz`), 200);
    assert.equal(await status(`${p!.healthUrl}/nothing`), 404);
  });

  it("a deleted workload's progress series go away", async () => {
    const ns = 'metrics';
    const r = await api(c, 'DELETE', gssPath(ns, 'inplace'));
    assert.equal(r.status, 200, r.text);
    await waitFor(async () => series(await scrape(p!.metricsUrl), 'hotpod_workload_replicas', { name: 'inplace' }).length === 0, 'the series is gone', WAIT_MS);
    const m = await scrape(p!.metricsUrl);
    assert.equal(sum(m, 'hotpod_workload_replicas', { kind: 'GameServerSet', namespace: ns, name: 'recreate' }), 2, 'the other stays');
  });

  it('SIGTERM: a clean stop with exit code 0', async () => {
    assert.equal(await p!.stop(), 0);
    assert.match(p!.logs(), /"controller stopped"/);
  });
});
