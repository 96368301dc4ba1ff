// HookTemplate and HookRun served and run: an upstream-shaped HookTemplate applies with kubectl,
// a HookRun with a web metric against a loopback server reaches its verdict by the conditions
// in BCS's syntax, kubectl shows PHASE, and a bad run is refused with field causes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { api, apiOk, parseTable, waitFor, type Cluster } from '../helpers/cluster.js';
import { ensureNs, kubectl, startGdCluster, type Json } from './helpers.js';

const NS = 'hooks';
const RUNS = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hookruns`;

describe('HookTemplate and HookRun', { timeout: 300_000 }, () => {
  let c: Cluster;
  let server: http.Server;
  let port = 0;
  let age = 12;
  let asked = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      asked++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ age, path: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    c = await startGdCluster({ nodes: 1 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
    server?.close();
  });

  const run = (name: string, metric: Json, args: Json[] = []) => ({
    apiVersion: 'tkex.tencent.com/v1alpha1',
    kind: 'HookRun',
    metadata: { name, namespace: NS },
    spec: { metrics: [metric], args },
  });
  const phase = async (name: string) => (await apiOk(c, 'GET', `${RUNS}/${name}`)).status?.phase;

  it('applies an upstream HookTemplate and lists it', async () => {
    const template = `apiVersion: tkex.tencent.com/v1alpha1
kind: HookTemplate
metadata:
  name: test
  namespace: ${NS}
spec:
  args:
    - name: PodIP
  metrics:
    - name: webtest
      count: 3
      interval: 60s
      failureLimit: 2
      successCondition: "asInt(result) < 30"
      provider:
        web:
          url: http://{{ args.PodIP }}:9091
          jsonPath: "{$.age}"
`;
    assert.match(await kubectl(c, ['apply', '-f', '-'], { input: template }), /hooktemplate.tkex.tencent.com\/test created/);
    const t = parseTable(await kubectl(c, ['get', 'hooktemplates', '-n', NS]));
    assert.deepEqual(t.headers, ['NAME', 'AGE']);
    assert.equal(t.rows[0]!.NAME, 'test');
  });

  it('a web metric: Successful when the condition holds, Failed when not, with the value measured', async () => {
    const metric = (name: string) => ({ name, successCondition: 'asInt(result) < 30', provider: { web: { url: `http://127.0.0.1:{{ args.port }}/{{ args.PodName }}`, jsonPath: '{$.age}' } } });
    const args = [{ name: 'port', value: String(port) }, { name: 'PodName', value: 'gd-abcde' }];
    await apiOk(c, 'POST', RUNS, run('young', metric('age'), args));
    await waitFor(async () => (await phase('young')) === 'Successful', 'young Successful', 60_000);
    const young = await apiOk(c, 'GET', `${RUNS}/young`);
    const r = young.status.metricResults[0];
    assert.deepEqual([r.name, r.phase, r.count, r.successful], ['age', 'Successful', 1, 1]);
    assert.equal(r.measurements[0].value, '12');
    assert.ok(young.status.startedAt);
    const table = parseTable(await kubectl(c, ['get', 'hookruns', '-n', NS]));
    assert.deepEqual(table.headers, ['NAME', 'PHASE', 'AGE']);
    assert.equal(table.rows.find((x) => x.NAME === 'young')!.PHASE, 'Successful');

    age = 45;
    await apiOk(c, 'POST', RUNS, run('old', metric('age'), args));
    await waitFor(async () => (await phase('old')) === 'Failed', 'old Failed', 60_000);
    const seen = asked;
    // A run with a verdict is not measured again.
    await apiOk(c, 'POST', RUNS, run('marker', { name: 'm', provider: { web: { url: `http://127.0.0.1:${port}/marker`, jsonPath: '{$.age}' } } }));
    await waitFor(async () => (await phase('marker')) === 'Successful', 'marker Successful', 60_000);
    assert.equal(asked, seen + 1, 'only the marker run asked the server');
  });

  it('an endpoint that does not answer is an Error measurement, retried, not a pass', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await apiOk(c, 'POST', RUNS, run('down', { name: 'm', consecutiveErrorLimit: 0, provider: { web: { url: `http://127.0.0.1:${dead}/`, jsonPath: '{$.age}' } } }));
    await waitFor(async () => (await phase('down')) === 'Error', 'down Error', 60_000);
    const r = (await apiOk(c, 'GET', `${RUNS}/down`)).status.metricResults[0];
    assert.equal(r.count ?? 0, 0, 'an error does not count towards count');
    assert.match(r.measurements[0].message, /GET http:\/\/127\.0\.0\.1:\d+\/: /);
  });

  it('a run without metrics is refused by the API server', async () => {
    const res = await api(c, 'POST', RUNS, { apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'HookRun', metadata: { name: 'empty', namespace: NS }, spec: {} });
    assert.equal(res.status, 422, res.text);
    assert.match(res.text, /spec\.metrics/);
  });
});
