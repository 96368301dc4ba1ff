// The hook runner across a controller SIGKILL: HookRuns that are running when the controller is
// killed reach the verdict they would have reached, with every measurement counted once (a
// measurement counts only in the status write that records it); and a GameDeployment's
// pre-delete run started before the kill is found again by its name, never started twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { createGd, ensureNs, gdManifest, isReady, live, mergePatchGd, startControllerProcess, startGdCluster, waitPods, type ControllerProcess, type Json } from './helpers.js';

const NS = 'hook-restart';
const RUNS = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hookruns`;

describe('HookRuns across a controller SIGKILL', { timeout: 300_000 }, () => {
  let c: Cluster;
  let controller: ControllerProcess | undefined;
  let server: http.Server;
  let port = 0;
  const hits = new Map<string, number>();
  let players = 3;

  before(async () => {
    server = http.createServer((req, res) => {
      const key = (req.url ?? '').slice(1);
      hits.set(key, (hits.get(key) ?? 0) + 1);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ players: key.startsWith('players') ? players : 0, n: hits.get(key) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    c = await startGdCluster({ nodes: 1, controller: false });
    await ensureNs(c, NS);
    controller = await startControllerProcess(c);
  });
  after(async () => {
    await controller?.stop('SIGKILL');
    await c?.cleanup();
    server?.close();
  });

  it('every run reaches its verdict with each measurement counted once; the pod hook is not started twice', async () => {
    // Three runs of four measurements each, a second apart; one of them must fail on its third.
    const run = (name: string, condition: string) => ({
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'HookRun',
      metadata: { name, namespace: NS },
      spec: { metrics: [{ name: 'm', count: 4, interval: '1s', successCondition: condition, provider: { web: { url: `http://127.0.0.1:${port}/${name}`, jsonPath: '{$.n}' } } }] },
    });
    await apiOk(c, 'POST', RUNS, run('a', 'asInt(result) > 0'));
    await apiOk(c, 'POST', RUNS, run('b', 'asInt(result) > 0'));
    await apiOk(c, 'POST', RUNS, run('c', 'asInt(result) != 3'));

    // A GameDeployment's pre-delete run, held (players) across the kill.
    await apiOk(c, 'POST', `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hooktemplates`, {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'HookTemplate',
      metadata: { name: 'drained', namespace: NS },
      spec: { metrics: [{ name: 'players', interval: '1s', failureLimit: 100000, successfulLimit: 1, successCondition: 'asInt(result) == 0', provider: { web: { url: `http://127.0.0.1:${port}/players`, jsonPath: '{$.players}' } } }] },
    });
    await createGd(c, gdManifest('held', NS, { replicas: 1, spec: { preDeleteUpdateStrategy: { hook: { templateName: 'drained' } } } }));
    await waitPods(c, NS, 'held', (ps) => live(ps).length === 1 && live(ps).every(isReady), '1 ready');
    await mergePatchGd(c, NS, 'held', { spec: { replicas: 0 } });

    const count = (r: Json) => r.status?.metricResults?.[0]?.count ?? 0;
    await waitFor(async () => {
      const items = (await apiOk(c, 'GET', RUNS)).items as Json[];
      const pre = items.find((r) => r.metadata.labels?.['hookrun-type'] === 'pre-delete-step');
      return ['a', 'b', 'c'].every((n) => count(items.find((r) => r.metadata.name === n) ?? {}) >= 1) && pre && count(pre) >= 1 ? true : undefined;
    }, 'every run measured once', 60_000);
    await controller!.stop('SIGKILL');

    // While it is down nothing measures; then a new controller picks the runs up.
    const during = new Map(hits);
    controller = await startControllerProcess(c);
    for (const [name, phase] of [['a', 'Successful'], ['b', 'Successful'], ['c', 'Failed']] as const) {
      const r = await waitFor(async () => {
        const got = await apiOk(c, 'GET', `${RUNS}/${name}`);
        return ['Successful', 'Failed', 'Error'].includes(got.status?.phase) ? got : undefined;
      }, `${name} done`, 60_000);
      assert.equal(r.status.phase, phase, name);
      const m = r.status.metricResults[0];
      const measured = (m.measurements as Json[]).map((x) => Number(x.value));
      // Each value is the server's hit number: strictly increasing means no measurement was recorded twice.
      assert.deepEqual([...measured].sort((x, y) => x - y), measured, `${name}: in order`);
      assert.equal(new Set(measured).size, measured.length, `${name}: no value recorded twice`);
      if (phase === 'Successful') assert.deepEqual([m.count, m.successful, measured.length], [4, 4, 4], `${name}: four measurements, each once`);
      else assert.ok(measured.includes(3) && m.failed === 1, `${name}: failed on the third`);
      assert.ok((hits.get(name) ?? 0) >= measured.length && (hits.get(name) ?? 0) <= measured.length + 1, `${name}: at most one request lost with the kill (${hits.get(name)} for ${measured.length})`);
      assert.ok((during.get(name) ?? 0) < measured.length, `${name}: finished after the restart`);
    }

    // The pod's run is the one from before the kill: released now, the pod goes, and no second run was made.
    const before = ((await apiOk(c, 'GET', RUNS)).items as Json[]).filter((r) => r.metadata.labels?.['hookrun-type'] === 'pre-delete-step');
    assert.equal(before.length, 1);
    players = 0;
    await waitPods(c, NS, 'held', (ps) => ps.length === 0, 'the pod deleted once its run passed');
    await waitFor(async () => (((await apiOk(c, 'GET', RUNS)).items as Json[]).some((r) => r.metadata.labels?.['hookrun-type'] === 'pre-delete-step') ? undefined : true), 'its run pruned', 30_000);
    assert.ok(!/predelete-[^"]*\.1/.test(controller.logs()), 'no collision-numbered run');
  });
});
