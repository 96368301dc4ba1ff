// BCS's own hook walk-throughs (the bcs-gamedeployment-operator docs, features/canary and
// features/preDeleteHook), applied unchanged with kubectl. Their HookTemplates point at
// http://1.1.1.1:9091: hotpod's runner refuses every address outside --hook-networks (loopback
// here) before it connects, so the walk-through runs and nothing leaves this machine; the
// measurement's Error says why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { ensureNs, isReady, kubectl, listPods, live, startGdCluster, waitGd, waitPods, type Json } from './helpers.js';

const pythonImage = (p: Json): string | undefined => ((p.status?.containerStatuses ?? []) as Json[]).find((s) => s.name === 'python')?.image;

// The manifests as the walk-throughs give them (no namespace: kubectl -n places them).
const PRE_DELETE_GD = `apiVersion: tkex.tencent.com/v1alpha1
kind: GameDeployment
metadata:
  name: test-gamedeployment
  labels:
    app: test-gamedeployment
spec:
  replicas: 6
  minReadySeconds: 30
  selector:
    matchLabels:
      app: test-gamedeployment
  template:
    metadata:
      labels:
        app: test-gamedeployment
    spec:
      containers:
        - name: python
          image: python:latest
          imagePullPolicy: IfNotPresent
          command: ["python"]
          args: ["-m", "http.server", "8000" ]
          ports:
            - name: http
              containerPort: 8000
  preDeleteUpdateStrategy:
    hook:
      templateName: test
  updateStrategy:
    type: InplaceUpdate
    partition: 2
    maxUnavailable: 2
    inPlaceUpdateStrategy:
      gracePeriodSeconds: 30
`;

const PRE_DELETE_TEMPLATE = `apiVersion: tkex.tencent.com/v1alpha1
kind: HookTemplate
metadata:
  name: test
spec:
  metrics:
    - name: webtest
      count: 3
      interval: 60s
      failureLimit: 2
      successCondition: "asInt(result) > 30"
      provider:
        web:
          url: http://1.1.1.1:9091
          jsonPath: "{$.age}"
`;

const CANARY_GD = `apiVersion: tkex.tencent.com/v1alpha1
kind: GameDeployment
metadata:
  name: test-gamedeployment
  labels:
    app: test-gamedeployment
spec:
  replicas: 4
  selector:
    matchLabels:
      app: test-gamedeployment
  template:
    metadata:
      labels:
        app: test-gamedeployment
    spec:
      containers:
        - name: python
          image: python:latest
          imagePullPolicy: IfNotPresent
          command: ["python"]
          args: ["-m", "http.server", "8000" ]
          ports:
            - name: http
              containerPort: 8000
  updateStrategy:
    type: InplaceUpdate
    maxUnavailable: 2
    canary:
      steps:
        - partition: 3
        - pause: {}
        - partition: 2
        - pause: {duration: 60}
        - hook:
            templateName: test
    inPlaceUpdateStrategy:
      gracePeriodSeconds: 30`;

const CANARY_TEMPLATE = `apiVersion: tkex.tencent.com/v1alpha1
kind: HookTemplate
metadata:
  name: test
spec:
  metrics:
    - name: webtest
      count: 2
      interval: 60s
      failureLimit: 0
      successCondition: "asInt(result) < 30"
      provider:
        web:
          url: http://1.1.1.1:9091
          jsonPath: "{$.age}"`;

describe("BCS's hook walk-throughs, applied unchanged", { timeout: 300_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startGdCluster({ nodes: 2 });
  });
  after(async () => {
    await c?.cleanup();
  });

  it('pre-delete: the scale-down waits on the HookRun, whose measurement is refused before it leaves loopback', async () => {
    const ns = 'bcs-predelete';
    await ensureNs(c, ns);
    assert.match(await kubectl(c, ['apply', '-n', ns, '-f', '-'], { input: PRE_DELETE_TEMPLATE }), /hooktemplate.tkex.tencent.com\/test created/);
    assert.match(await kubectl(c, ['apply', '-n', ns, '-f', '-'], { input: PRE_DELETE_GD }), /gamedeployment.tkex.tencent.com\/test-gamedeployment created/);
    await waitPods(c, ns, 'test-gamedeployment', (ps) => live(ps).length === 6 && live(ps).every(isReady), '6 ready');
    await kubectl(c, ['scale', 'gamedeployment', 'test-gamedeployment', '-n', ns, '--replicas=5']);

    const run = await waitFor(async () => {
      const runs = (await apiOk(c, 'GET', `/apis/tkex.tencent.com/v1alpha1/namespaces/${ns}/hookruns`)).items as Json[];
      return runs[0]?.status?.metricResults?.[0]?.measurements?.length ? runs[0] : undefined;
    }, 'the pre-delete run measured', 60_000);
    assert.match(run.metadata.name, /^predelete-test-gamedeployment-[a-z0-9]+-[a-z0-9]{5}-test$/);
    const m = run.status.metricResults[0].measurements[0];
    assert.equal(m.phase, 'Error');
    assert.match(m.message, /1\.1\.1\.1 is outside the networks hooks may reach \(--hook-networks 127\.0\.0\.0\/8,::1\/128\): nothing was sent/);
    const gd = await waitGd(c, ns, 'test-gamedeployment', (g) => g.status?.preDeleteHookCondition?.length === 1, 'the hook condition');
    assert.equal(gd.status.preDeleteHookCondition[0].podName, run.spec.args.find((a: Json) => a.name === 'PodName').value);
    assert.equal(live(await listPods(c, ns, 'test-gamedeployment')).length, 6, 'the pod waits for its hook');
  });

  it('canary: the steps run as written (partition 3, then the pause waits for the user)', async () => {
    const ns = 'bcs-canary';
    await ensureNs(c, ns);
    assert.match(await kubectl(c, ['apply', '-n', ns, '-f', '-'], { input: CANARY_TEMPLATE }), /hooktemplate.tkex.tencent.com\/test created/);
    assert.match(await kubectl(c, ['apply', '-n', ns, '-f', '-'], { input: CANARY_GD }), /gamedeployment.tkex.tencent.com\/test-gamedeployment created/);
    await waitPods(c, ns, 'test-gamedeployment', (ps) => live(ps).length === 4 && live(ps).every(isReady), '4 ready');
    await kubectl(c, ['patch', 'gamedeployment', 'test-gamedeployment', '-n', ns, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'python:3.12' }])]);
    const paused = await waitGd(c, ns, 'test-gamedeployment', (g) => g.spec.updateStrategy.paused === true && g.status?.currentStepIndex === 1, 'paused at the pause step', 120_000);
    assert.deepEqual(paused.status.pauseConditions.map((p: Json) => p.reason), ['PausedByCanaryPauseStep']);
    const pods = live(await listPods(c, ns, 'test-gamedeployment'));
    assert.equal(pods.filter((p) => pythonImage(p) === 'python:3.12').length, 1, 'partition 3: one pod updated, in place');
  });
});
