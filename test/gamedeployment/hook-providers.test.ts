// The prometheus and kubernetes providers behind a GameDeployment's hooks, end to end: a real
// Prometheus (Debian's package, on loopback) scraping a target this test serves, which says how
// many players each pod has and how many errors the new version made; and the kubernetes
// provider reading an annotation the game sets on its own pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { startPrometheus, type Prometheus } from '../helpers/prometheus.js';
import { createGd, ensureNs, gdEvents, gdManifest, isReady, kubectl, listPods, live, mainStatus, mergePatchGd, revisionOf, startGdCluster, waitGd, waitPods, type Json } from './helpers.js';

const NS = 'hook-providers';
const RUNS = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hookruns`;
const TEMPLATES = `/apis/tkex.tencent.com/v1alpha1/namespaces/${NS}/hooktemplates`;
const DRAINED = 'game.example.com/drained';

describe('GameDeployment hooks: prometheus and kubernetes providers', { timeout: 600_000 }, () => {
  let c: Cluster;
  let prom: Prometheus;
  let target: http.Server;
  const players = new Map<string, number>();
  let errors = 0;

  before(async () => {
    target = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      const lines = ['# TYPE game_players gauge', ...[...players].map(([pod, n]) => `game_players{pod="${pod}"} ${n}`), '# TYPE game_errors gauge', `game_errors ${errors}`];
      res.end(lines.join('\n') + '\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    prom = await startPrometheus('game', `127.0.0.1:${(target.address() as { port: number }).port}`);
    await prom.scraped('game');
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
    const template = (name: string, metric: Json): Json => ({ apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'HookTemplate', metadata: { name, namespace: NS }, spec: { metrics: [{ name: 'm', ...metric }] } });
    const playersMetric = (extra: Json) => ({ successCondition: 'result[0] == 0', provider: { prometheus: { address: prom.url, query: 'sum(game_players{pod="{{ args.PodName }}"})' } }, ...extra });
    await apiOk(c, 'POST', TEMPLATES, template('prom-empty', playersMetric({ count: 1 })));
    await apiOk(c, 'POST', TEMPLATES, template('prom-drained', playersMetric({ interval: '1s', failureLimit: 100000, successfulLimit: 1 })));
    await apiOk(c, 'POST', TEMPLATES, template('prom-errors', { successCondition: 'result[0] < 1', provider: { prometheus: { address: prom.url, query: 'sum(game_errors)' } } }));
    const get = { kubernetes: { function: 'get', fields: [{ path: `metadata.annotations.${DRAINED}`, value: 'true' }] } };
    await apiOk(c, 'POST', TEMPLATES, template('kube-once', { consecutiveErrorLimit: 0, provider: get }));
    const approved = { kubernetes: { function: 'get', fields: [{ path: 'metadata.annotations.release/approved', value: 'true' }] } };
    // The object's kind comes in through args the template declares (BCS keeps only those and the built-ins).
    const gateTemplate = template('kube-approved', { consecutiveErrorLimit: 0, provider: approved });
    gateTemplate.spec.args = [{ name: 'Version' }, { name: 'Kind' }, { name: 'PodNamespace' }, { name: 'PodName' }];
    await apiOk(c, 'POST', TEMPLATES, gateTemplate);
    await apiOk(c, 'POST', TEMPLATES, template('exec-empty', { interval: '1s', failureLimit: 100000, successfulLimit: 1, successCondition: 'asInt(result) == 0', provider: { exec: { container: 'main', command: ['/players'] } } }));
    await apiOk(c, 'POST', TEMPLATES, template('kube-drained', { interval: '1s', consecutiveErrorLimit: 100000, successfulLimit: 1, provider: get }));
  });
  after(async () => {
    await c?.cleanup();
    await prom?.stop();
    target?.close();
  });

  const runsOf = async (gd: string, type: string) => ((await apiOk(c, 'GET', RUNS)).items as Json[]).filter((r) => r.metadata.labels?.['hookrun-type'] === type && r.metadata.ownerReferences?.[0]?.name === gd);
  const setPlayers = (pods: Json[], n: number) => pods.forEach((p) => players.set(p.metadata.name, n));
  const annotateDrained = async (pod: Json) => void (await kubectl(c, ['annotate', 'pod', pod.metadata.name, '-n', NS, `${DRAINED}=true`]));
  const hasCondition = (g: Json, type: string) => (g.status?.conditions ?? []).some((x: Json) => x.type === type && x.status === 'True');

  /** Scale 2 → 1: the run fails, the pod stays (Event, conditions); once the game lets go and retry is set, the pod goes. */
  async function preDeleteFailsThenPasses(name: string, template: string, letGo: (pod: Json) => Promise<void>, failedPhase: string): Promise<void> {
    await createGd(c, gdManifest(name, NS, { replicas: 2, spec: { preDeleteUpdateStrategy: { hook: { templateName: template } } } }));
    const pods = await waitPods(c, NS, name, (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
    setPlayers(pods, 4);
    await mergePatchGd(c, NS, name, { spec: { replicas: 1 } });
    const held = await waitGd(c, NS, name, (g) => hasCondition(g, 'FailedHook'), 'FailedHook');
    const [entry] = held.status.preDeleteHookCondition;
    assert.equal(entry.phase, failedPhase);
    const victim = pods.find((p) => p.metadata.name === entry.podName)!;
    const [run] = await runsOf(name, 'pre-delete-step');
    assert.equal(run!.status.phase, failedPhase);
    assert.ok((await gdEvents(c, NS, name)).some((e) => e.type === 'Warning' && e.reason === 'FailedHook' && e.message.includes(victim.metadata.name)));
    const still = (await listPods(c, NS, name)).find((p) => p.metadata.name === victim.metadata.name)!;
    assert.ok(!still.metadata.deletionTimestamp && still.status.phase === 'Running', 'the pod stays, running');

    await letGo(victim);
    await mergePatchGd(c, NS, name, { spec: { preDeleteUpdateStrategy: { retry: true } } });
    await waitPods(c, NS, name, (ps) => ps.length === 1 && ps[0]!.metadata.name !== victim.metadata.name, 'the pod deleted once the hook passed');
    await waitGd(c, NS, name, (g) => !g.status?.preDeleteHookCondition && !hasCondition(g, 'FailedHook'), 'hook conditions cleared');
  }

  /** An update waits on its pre-inplace run until the game lets go, then goes in place. */
  async function preInplaceHolds(name: string, type: 'InplaceUpdate' | 'HotPatchUpdate', template: string, letGo: (pods: Json[]) => Promise<void>): Promise<void> {
    await createGd(c, gdManifest(name, NS, { replicas: 2, type, updateStrategy: { maxUnavailable: 2 }, spec: { preInplaceUpdateStrategy: { hook: { templateName: template } } } }));
    const pods = await waitPods(c, NS, name, (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
    setPlayers(pods, 2);
    const oldRev = revisionOf(pods[0]!);
    await mergePatchGd(c, NS, name, { spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2' }] } } } });
    await waitGd(c, NS, name, (g) => g.status?.preInplaceHookCondition?.length === 2, 'both waiting');
    await waitFor(async () => (await runsOf(name, 'pre-inplace-step')).every((r) => (r.status?.metricResults?.[0]?.measurements?.length ?? 0) >= 2), 'measured twice', 60_000);
    for (const p of await listPods(c, NS, name)) assert.equal(revisionOf(p), oldRev, 'held on the old revision');
    await letGo(pods);
    const updated = await waitPods(c, NS, name, (ps) => live(ps).length === 2 && live(ps).every((p) => mainStatus(p).image === 'game/main:v2' && isReady(p)), 'updated');
    assert.deepEqual(updated.map((p) => p.metadata.name).sort(), pods.map((p) => p.metadata.name).sort(), 'in place');
    if (type === 'HotPatchUpdate') for (const p of updated) assert.equal(mainStatus(p).restartCount, 0);
  }

  it('prometheus: a pre-delete hook holds a scale-down until the pod has no players', async () => {
    await preDeleteFailsThenPasses('prom-del', 'prom-empty', async (pod) => void players.set(pod.metadata.name, 0), 'Failed');
  });

  it('prometheus: a pre-inplace hook holds an InplaceUpdate and a HotPatchUpdate', async () => {
    const drain = async (pods: Json[]) => setPlayers(pods, 0);
    await preInplaceHolds('prom-inp', 'InplaceUpdate', 'prom-drained', drain);
    await preInplaceHolds('prom-hot', 'HotPatchUpdate', 'prom-drained', drain);
  });

  it('prometheus: a canary hook step passes when the new version makes no errors, and pauses the rollout when it does', async () => {
    const steps = [{ partition: 1 }, { hook: { templateName: 'prom-errors' } }, { pause: { duration: 1 } }];
    await createGd(c, gdManifest('prom-canary', NS, { replicas: 2, type: 'InplaceUpdate', updateStrategy: { maxUnavailable: 2, canary: { steps } } }));
    await waitPods(c, NS, 'prom-canary', (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
    const first = (await waitGd(c, NS, 'prom-canary', (g) => !!g.status?.updateRevision, 'a revision')).status.updateRevision;
    const setImage = (image: string) => mergePatchGd(c, NS, 'prom-canary', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });
    errors = 0;
    await setImage('game/main:v2');
    await waitGd(c, NS, 'prom-canary', (g) => g.status?.updateRevision !== first && g.status?.currentStepIndex === 3 && g.status?.updatedReadyReplicas === 2, 'through to the end');
    errors = 5;
    await waitFor(async () => {
      const r = (await (await fetch(`${prom.url}/api/v1/query?query=sum(game_errors)`)).json()) as Json;
      return r.data?.result?.[0]?.value?.[1] === '5' ? true : undefined;
    }, 'prometheus has the errors', 30_000, 300);
    await setImage('game/main:v3');
    const paused = await waitGd(c, NS, 'prom-canary', (g) => (g.status?.pauseConditions ?? []).some((p: Json) => p.reason === 'PausedByStepBasedHook'), 'paused by the hook');
    assert.equal(paused.status.currentStepIndex, 1);
    assert.equal(paused.spec.updateStrategy.paused, true);
    const pods = live(await listPods(c, NS, 'prom-canary'));
    assert.equal(pods.filter((p) => mainStatus(p).image === 'game/main:v3').length, 1, 'one canary pod, the other held');
  });

  it('kubernetes: a pre-delete hook holds a scale-down until the game marks its pod drained', async () => {
    await preDeleteFailsThenPasses('kube-del', 'kube-once', annotateDrained, 'Error');
  });

  it('kubernetes: a pre-inplace hook holds an InplaceUpdate and a HotPatchUpdate until the pods are marked', async () => {
    const mark = async (pods: Json[]) => {
      for (const p of pods) await annotateDrained(p);
    };
    await preInplaceHolds('kube-inp', 'InplaceUpdate', 'kube-drained', mark);
    await preInplaceHolds('kube-hot', 'HotPatchUpdate', 'kube-drained', mark);
  });

  it('kubernetes: a canary hook step reads a release gate (a ConfigMap named by its args): on to the end when approved, paused when not', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'release-gate', namespace: NS, annotations: { 'release/approved': 'true' } } });
    const gate = { templateName: 'kube-approved', args: [{ name: 'Version', value: 'v1' }, { name: 'Kind', value: 'ConfigMap' }, { name: 'PodNamespace', value: NS }, { name: 'PodName', value: 'release-gate' }] };
    const steps = [{ partition: 1 }, { pause: { duration: 1 } }, { hook: gate }];
    await createGd(c, gdManifest('kube-canary', NS, { replicas: 2, type: 'HotPatchUpdate', updateStrategy: { maxUnavailable: 2, canary: { steps } } }));
    await waitPods(c, NS, 'kube-canary', (ps) => live(ps).length === 2 && live(ps).every(isReady), '2 ready');
    const first = (await waitGd(c, NS, 'kube-canary', (g) => !!g.status?.updateRevision, 'a revision')).status.updateRevision;
    const setImage = (image: string) => mergePatchGd(c, NS, 'kube-canary', { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });
    await setImage('game/main:v2');
    await waitGd(c, NS, 'kube-canary', (g) => g.status?.updateRevision !== first && g.status?.currentStepIndex === 3 && g.status?.updatedReadyReplicas === 2, 'through to the end');

    await kubectl(c, ['annotate', 'configmap', 'release-gate', '-n', NS, '--overwrite', 'release/approved=false']);
    await setImage('game/main:v3');
    const paused = await waitGd(c, NS, 'kube-canary', (g) => (g.status?.pauseConditions ?? []).some((p: Json) => p.reason === 'PausedByStepBasedHook'), 'paused by the hook');
    assert.equal(paused.status.currentStepIndex, 2);
    const run = await apiOk(c, 'GET', `${RUNS}/${paused.status.canary.currentStepHookRun}`);
    assert.equal(run.status.phase, 'Error');
    assert.match(run.status.metricResults[0].measurements[0].message, /want: true, now: false/);
    assert.equal(live(await listPods(c, NS, 'kube-canary')).filter((p) => mainStatus(p).image === 'game/main:v3').length, 1, 'the partition holds');
  });

  it('exec: a pre-delete hook runs a command in the pod (pods/exec) until it reports no players', async () => {
    const players = (n: number) => JSON.stringify({ stdout: `${n}\n`, exitCode: 0 });
    await createGd(c, gdManifest('exec-del', NS, { replicas: 1, podAnnotations: { 'sim.hotpod.dev/exec.main': players(2) }, spec: { preDeleteUpdateStrategy: { hook: { templateName: 'exec-empty' } } } }));
    const [pod] = await waitPods(c, NS, 'exec-del', (ps) => live(ps).length === 1 && live(ps).every(isReady), '1 ready');
    await mergePatchGd(c, NS, 'exec-del', { spec: { replicas: 0 } });
    await waitFor(async () => ((await runsOf('exec-del', 'pre-delete-step'))[0]?.status?.metricResults?.[0]?.measurements?.length >= 2 ? true : undefined), 'measured twice', 60_000);
    const [run] = await runsOf('exec-del', 'pre-delete-step');
    assert.deepEqual(run!.status.metricResults[0].measurements.slice(0, 2).map((m: Json) => [m.phase, m.value]), [['Failed', '2'], ['Failed', '2']], 'the command ran in the pod');
    assert.ok(live(await listPods(c, NS, 'exec-del')).length === 1, 'the pod waits');
    await kubectl(c, ['annotate', 'pod', pod!.metadata.name, '-n', NS, '--overwrite', `sim.hotpod.dev/exec.main=${players(0)}`]);
    await waitPods(c, NS, 'exec-del', (ps) => ps.length === 0, 'the pod deleted once it is empty');
  });
});
