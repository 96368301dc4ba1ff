// Pods on the embedded nodes, through the API and kubectl: start, in-place restart of one
// container, hot-patch, readiness gates, graceful deletion.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, kubectlOk, parseTable, rawWatch, type Cluster } from '../helpers/cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { condition, containerStatus, createNamespace, createPod, getPod, isReady, newestKubectl, podManifest, podPath, startNodeCluster, waitPod, type Json } from '../helpers/pods.js';

const NS = 'node-pods';
const HEX64 = /^[0-9a-f]{64}$/;

describe('pods on embedded nodes', { timeout: 180_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const kubectl = (args: string[], input?: string) => kubectlOk(k, c, ['-n', NS, ...args], { input });

  before(async () => {
    c = await startNodeCluster({ nodes: 3 });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  const gameServer = (name: string, extra: Parameters<typeof podManifest>[3] = {}) =>
    podManifest(
      name,
      NS,
      [
        { name: 'engine', image: 'registry.example.com/game/engine:v1' },
        { name: 'sidecar', image: 'registry.example.com/game/sidecar:v1' },
      ],
      extra,
    );

  it('runs a two-container pod: Running 2/2, kubelet-like status', async () => {
    await kubectl(['apply', '-f', '-'], toYaml(gameServer('arena-0')));
    const pod = await waitPod(c, NS, 'arena-0', isReady, 'Ready');
    const row = parseTable(await kubectl(['get', 'pod', 'arena-0', '-o', 'wide'])).rows[0]!;
    assert.equal(row.READY, '2/2');
    assert.equal(row.STATUS, 'Running');
    assert.equal(row.RESTARTS, '0');
    assert.match(row.NODE!, /^node-[123]$/);
    assert.match(row.IP!, /^127\.\d+\.[123]\.\d+$/, 'pod IPs are loopback, a /24 per node');
    assert.equal(row.IP, pod.status.podIP);

    assert.equal(pod.status.phase, 'Running');
    assert.match(pod.status.hostIP, new RegExp(`^127\\.\\d+\\.${row.NODE!.slice('node-'.length)}\\.1$`));
    assert.deepEqual(pod.status.podIPs, [{ ip: pod.status.podIP }]);
    assert.ok(pod.status.startTime);
    assert.equal(pod.status.qosClass, 'BestEffort');
    for (const type of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) {
      assert.equal(condition(pod, type)?.status, 'True', type);
    }
    assert.deepEqual(pod.status.containerStatuses.map((s: Json) => s.name), ['engine', 'sidecar']);
    const engine = containerStatus(pod, 'engine');
    assert.equal(engine.image, 'registry.example.com/game/engine:v1');
    assert.match(engine.imageID, /^docker-pullable:\/\/registry\.example\.com\/game\/engine@sha256:[0-9a-f]{64}$/);
    assert.match(engine.containerID, /^simulated:\/\/[0-9a-f]{64}$/);
    assert.deepEqual([engine.ready, engine.started, engine.restartCount, engine.lastState], [true, true, 0, {}]);
    assert.ok(engine.state.running.startedAt);
  });

  it('restarts only the sidecar when its image changes', async () => {
    const before = (await getPod(c, NS, 'arena-0'))!;
    const engineBefore = containerStatus(before, 'engine');
    const sidecarBefore = containerStatus(before, 'sidecar');
    await kubectl(['set', 'image', 'pod/arena-0', 'sidecar=registry.example.com/game/sidecar:v2']);
    const after = await waitPod(c, NS, 'arena-0', (p) => containerStatus(p, 'sidecar').restartCount === 1 && isReady(p), 'sidecar restarted and ready');

    const engine = containerStatus(after, 'engine');
    assert.deepEqual(
      [engine.containerID, engine.restartCount, engine.state.running?.startedAt, engine.image],
      [engineBefore.containerID, 0, engineBefore.state.running.startedAt, 'registry.example.com/game/engine:v1'],
      'the engine kept running untouched',
    );
    const sidecar = containerStatus(after, 'sidecar');
    assert.notEqual(sidecar.containerID, sidecarBefore.containerID);
    assert.match(sidecar.containerID.replace('simulated://', ''), HEX64);
    assert.equal(sidecar.image, 'registry.example.com/game/sidecar:v2');
    assert.notEqual(sidecar.imageID, sidecarBefore.imageID);
    const last = sidecar.lastState.terminated;
    assert.equal(last.containerID, sidecarBefore.containerID);
    assert.equal(last.exitCode, 0);
    assert.equal(last.reason, 'Completed');
    assert.equal(last.startedAt, sidecarBefore.state.running.startedAt);
    assert.ok(Date.parse(last.finishedAt) >= Date.parse(last.startedAt));

    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal(after.metadata.creationTimestamp, before.metadata.creationTimestamp);
    assert.equal(after.status.podIP, before.status.podIP);
    assert.equal(after.spec.nodeName, before.spec.nodeName);

    const row = parseTable(await kubectl(['get', 'pod', 'arena-0'])).rows[0]!;
    assert.equal(row.READY, '2/2');
    assert.equal(row.STATUS, 'Running');
    assert.match(row.RESTARTS!, /^1 \(\d+s ago\)$/);
  });

  it('hot-patches the image without restarting the container', async () => {
    await createPod(c, gameServer('arena-hot', { annotations: { 'io.kubernetes.hotpatch.container': 'true' } }));
    const before = await waitPod(c, NS, 'arena-hot', isReady, 'Ready');
    const engineBefore = containerStatus(before, 'engine');
    await kubectl(['set', 'image', 'pod/arena-hot', 'engine=registry.example.com/game/engine:v2']);
    const after = await waitPod(c, NS, 'arena-hot', (p) => containerStatus(p, 'engine').image.endsWith(':v2'), 'engine status shows the new image');
    const engine = containerStatus(after, 'engine');
    assert.equal(engine.containerID, engineBefore.containerID, 'same container');
    assert.equal(engine.restartCount, 0);
    assert.equal(engine.state.running?.startedAt, engineBefore.state.running.startedAt, 'never restarted');
    assert.deepEqual(engine.lastState, {});
    assert.notEqual(engine.imageID, engineBefore.imageID);
    assert.match(engine.imageID, /^docker-pullable:\/\/registry\.example\.com\/game\/engine@sha256:/);
    assert.equal(isReady(after), true);
    const events = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=arena-hot,reason=HotPatched`);
    assert.equal(events.items.length, 1, 'one HotPatched event');
    assert.match(events.items[0].message, /engine hot-patched to image "registry\.example\.com\/game\/engine:v2"/);
  });

  it('holds Ready False until every readiness gate condition is True', async () => {
    const gate = 'hotpod.dev/InPlaceUpdateReady';
    await createPod(c, gameServer('arena-gated', { spec: { readinessGates: [{ conditionType: gate }] } }));
    let pod = await waitPod(c, NS, 'arena-gated', (p) => condition(p, 'ContainersReady')?.status === 'True', 'containers ready');
    assert.equal(condition(pod, 'Ready')?.status, 'False');
    assert.equal(condition(pod, 'Ready')?.reason, 'ReadinessGatesNotReady');
    assert.equal(condition(pod, 'Ready')?.message, `corresponding condition of pod readiness gate "${gate}" does not exist.`);
    let row = parseTable(await kubectl(['get', 'pod', 'arena-gated', '-o', 'wide'])).rows[0]!;
    assert.equal(row['READINESS GATES'], '0/1');

    // A controller sets its condition through pods/status; the agent must keep it.
    pod = await apiOk(c, 'PATCH', `${podPath(NS, 'arena-gated')}/status`, [{ op: 'add', path: '/status/conditions/-', value: { type: gate, status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } }], {
      contentType: 'application/json-patch+json',
    });
    pod = await waitPod(c, NS, 'arena-gated', isReady, 'Ready after the gate is True');
    row = parseTable(await kubectl(['get', 'pod', 'arena-gated', '-o', 'wide'])).rows[0]!;
    assert.equal(row['READINESS GATES'], '1/1');

    // A restart makes the agent write the status again: the gate condition must survive it.
    await kubectl(['set', 'image', 'pod/arena-gated', 'sidecar=registry.example.com/game/sidecar:v3']);
    pod = await waitPod(c, NS, 'arena-gated', (p) => containerStatus(p, 'sidecar').restartCount === 1 && isReady(p), 'restarted and Ready');
    assert.equal(condition(pod, gate)?.status, 'True');

    // And setting it False takes Ready away again.
    const conditions = (pod.status.conditions as Json[]).map((x) => (x.type === gate ? { ...x, status: 'False' } : x));
    await apiOk(c, 'PUT', `${podPath(NS, 'arena-gated')}/status`, { ...pod, status: { ...pod.status, conditions } });
    pod = await waitPod(c, NS, 'arena-gated', (p) => condition(p, 'Ready')?.status === 'False', 'not Ready once the gate is False');
    assert.equal(condition(pod, 'Ready')?.message, `the status of pod readiness gate "${gate}" is not "True", but False`);
  });

  it('deletes gracefully: containers stop first, then the pod goes', async () => {
    // The simulated containers take 1.5 s to exit after SIGTERM, within the 30 s grace period.
    await createPod(c, gameServer('arena-bye', { annotations: { 'sim.hotpod.dev/stop-delay-ms': '1500' } }));
    const pod = await waitPod(c, NS, 'arena-bye', isReady, 'Ready');
    const watch = rawWatch(c, `${podPath(NS)}?fieldSelector=metadata.name=arena-bye&resourceVersion=${pod.metadata.resourceVersion}`);
    try {
      const started = Date.now();
      await kubectl(['delete', 'pod', 'arena-bye', '--wait=false']);
      const row = parseTable(await kubectl(['get', 'pod', 'arena-bye'])).rows[0]!;
      assert.equal(row.STATUS, 'Terminating');
      const events = await watch.waitFor((evs) => evs.some((e) => e.type === 'DELETED'), 15_000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400, `the pod stayed until its containers stopped (${elapsed} ms)`);
      const marked = events.find((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp);
      assert.ok(marked, 'deletionTimestamp seen before the pod went');
      assert.equal(marked.object.metadata.deletionGracePeriodSeconds, 30);
      const final = [...events].reverse().find((e) => e.type === 'MODIFIED')!.object;
      assert.equal(final.status.phase, 'Succeeded');
      for (const cs of final.status.containerStatuses as Json[]) {
        assert.equal(cs.state.terminated?.exitCode, 0, `${cs.name} exited on SIGTERM`);
        assert.equal(cs.state.terminated?.reason, 'Completed');
      }
      assert.equal(await getPod(c, NS, 'arena-bye'), undefined);
    } finally {
      watch.close();
    }
  });

  it('kills containers that outlive the grace period', async () => {
    await createPod(c, gameServer('arena-stubborn', { annotations: { 'sim.hotpod.dev/stop-delay-ms': '60000' }, spec: { terminationGracePeriodSeconds: 1 } }));
    const pod = await waitPod(c, NS, 'arena-stubborn', isReady, 'Ready');
    const watch = rawWatch(c, `${podPath(NS)}?fieldSelector=metadata.name=arena-stubborn&resourceVersion=${pod.metadata.resourceVersion}`);
    try {
      const r = await api(c, 'DELETE', podPath(NS, 'arena-stubborn'));
      assert.equal(r.status, 200);
      const events = await watch.waitFor((evs) => evs.some((e) => e.type === 'DELETED'), 15_000);
      const final = [...events].reverse().find((e) => e.type === 'MODIFIED')!.object;
      assert.equal(final.status.phase, 'Failed');
      for (const cs of final.status.containerStatuses as Json[]) assert.equal(cs.state.terminated?.exitCode, 137, `${cs.name} was SIGKILLed`);
    } finally {
      watch.close();
    }
  });

  it('gives every pod its own IP', async () => {
    const list = await apiOk(c, 'GET', podPath(NS));
    const ips = (list.items as Json[]).map((p) => p.status.podIP).filter(Boolean);
    assert.ok(ips.length >= 3);
    assert.equal(new Set(ips).size, ips.length, `duplicate pod IPs: ${ips.join(' ')}`);
  });
});
