// What goes wrong on a node ends in the status kubelet would report, never in a crashed agent:
// crash loops, restart policies, unpullable and invalid images, failing probes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk, parseTable, rawWatch, waitFor, type Cluster } from '../helpers/cluster.js';
import { condition, containerStatus, createNamespace, createPod, getPod, isReady, newestKubectl, podManifest, podPath, startNodeCluster, waitPod, type Json } from '../helpers/pods.js';

const NS = 'node-failures';

describe('failures on embedded nodes', { timeout: 180_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const getRow = async (name: string) => parseTable(await kubectlOk(k, c, ['get', 'pod', name, '-n', NS])).rows[0]!;
  const waiting = (p: Json, name = 'app') => containerStatus(p, name).state.waiting?.reason as string | undefined;

  before(async () => {
    // Back-off base 300 ms: restarts come after 0.3, 0.6, 1.2 s instead of 10, 20, 40 s.
    c = await startNodeCluster({ nodes: 3, backoffBaseMs: 300 });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a crashing container ends in CrashLoopBackOff with its exits counted', async () => {
    await createPod(c, podManifest('crasher', NS, [{ name: 'app', image: 'game/server:v1' }], { annotations: { 'sim.hotpod.dev/crash-after-ms': '100', 'sim.hotpod.dev/exit-code': '2' } }));
    const pod = await waitPod(c, NS, 'crasher', (p) => p.status.containerStatuses?.[0]?.restartCount >= 2 && waiting(p) === 'CrashLoopBackOff', 'CrashLoopBackOff after two restarts');
    const cs = containerStatus(pod, 'app');
    assert.match(cs.state.waiting.message, /^back-off \d+(\.\d+)?m?s restarting failed container=app pod=crasher_node-failures\(/);
    assert.deepEqual([cs.lastState.terminated.exitCode, cs.lastState.terminated.reason], [2, 'Error']);
    assert.equal(cs.ready, false);
    assert.equal(pod.status.phase, 'Running');
    assert.equal(condition(pod, 'Ready')?.status, 'False');
    // Between back-offs the container runs again briefly, so read kubectl's row while it waits.
    const row = await waitFor(async () => {
      const r = await getRow('crasher');
      return r.STATUS === 'CrashLoopBackOff' ? r : undefined;
    }, 'kubectl shows CrashLoopBackOff', 15_000, 100);
    assert.equal(row.READY, '0/1');
    assert.match(row.RESTARTS!, /^\d+ \(\d+s ago\)$/);
    const events = await kubectlOk(k, c, ['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=crasher,reason=BackOff', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /Back-off restarting failed container app in pod crasher_node-failures/);
  });

  it('honours restartPolicy Never and OnFailure', async () => {
    await createPod(c, podManifest('once', NS, [{ name: 'app', image: 'game/job:v1' }], { annotations: { 'sim.hotpod.dev/crash-after-ms': '100' }, spec: { restartPolicy: 'Never' } }));
    await createPod(c, podManifest('done', NS, [{ name: 'app', image: 'game/job:v1' }], { annotations: { 'sim.hotpod.dev/crash-after-ms': '100', 'sim.hotpod.dev/exit-code': '0' }, spec: { restartPolicy: 'OnFailure' } }));
    const once = await waitPod(c, NS, 'once', (p) => p.status.phase === 'Failed', 'Failed');
    assert.deepEqual([containerStatus(once, 'app').restartCount, containerStatus(once, 'app').state.terminated?.exitCode], [0, 1]);
    assert.equal((await getRow('once')).STATUS, 'Error');
    const done = await waitPod(c, NS, 'done', (p) => p.status.phase === 'Succeeded', 'Succeeded');
    assert.equal(containerStatus(done, 'app').state.terminated?.reason, 'Completed');
    assert.equal((await getRow('done')).STATUS, 'Completed');
    assert.equal(condition(done, 'Ready')?.reason, 'PodCompleted');
  });

  it('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff', async () => {
    const created = await createPod(c, podManifest('nopull', NS, [{ name: 'app', image: 'missing.hotpod.dev/game/server:v1' }]));
    const watch = rawWatch(c, `${podPath(NS)}?fieldSelector=metadata.name=nopull&resourceVersion=${created.metadata.resourceVersion}`);
    try {
      // Each status write the watch saw, minus ContainerCreating (shown while the pull runs).
      const reasons = (evs: { object: Json }[]) =>
        evs.map((e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason).filter((r) => r && r !== 'ContainerCreating');
      const events = await watch.waitFor((evs) => reasons(evs).includes('ImagePullBackOff') && reasons(evs).lastIndexOf('ErrImagePull') > reasons(evs).indexOf('ImagePullBackOff'), 15_000);
      const seen = reasons(events);
      assert.equal(seen[0], 'ErrImagePull', `first reported reason: ${seen.join(',')}`);
      const pull = events.find((e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull')!.object;
      assert.match(containerStatus(pull, 'app').state.waiting.message, /not found/);
      const pod = (await getPod(c, NS, 'nopull'))!;
      assert.equal(pod.status.phase, 'Pending');
      assert.equal(containerStatus(pod, 'app').restartCount, 0);
      assert.ok(['ErrImagePull', 'ImagePullBackOff'].includes((await getRow('nopull')).STATUS!));
    } finally {
      watch.close();
    }
    // Fixing the image lets the pod start without waiting out the back-off.
    await kubectlOk(k, c, ['set', 'image', '-n', NS, 'pod/nopull', 'app=game/server:v1']);
    await waitPod(c, NS, 'nopull', isReady, 'Ready once the image exists', 5000);
  });

  it('an invalid image reference: InvalidImageName', async () => {
    await createPod(c, podManifest('badname', NS, [{ name: 'app', image: 'Game/Server:v1' }]));
    const pod = await waitPod(c, NS, 'badname', (p) => waiting(p) === 'InvalidImageName', 'InvalidImageName');
    assert.equal(containerStatus(pod, 'app').state.waiting.message, 'Failed to apply default image tag "Game/Server:v1": couldn\'t parse image name "Game/Server:v1": invalid reference format');
    assert.equal((await getRow('badname')).STATUS, 'InvalidImageName');
  });

  it('readiness comes from the probe; a failing liveness probe restarts the container', async () => {
    const probe = { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 1 };
    await createPod(
      c,
      podManifest(
        'probed',
        NS,
        [
          { name: 'app', image: 'game/server:v1', readinessProbe: probe, livenessProbe: probe },
          { name: 'lazy', image: 'game/sidecar:v1', readinessProbe: probe },
        ],
        { annotations: { 'sim.hotpod.dev/liveness-fail-after-ms.app': '1500', 'sim.hotpod.dev/never-ready.lazy': 'true' } },
      ),
    );
    let pod = await waitPod(c, NS, 'probed', (p) => containerStatus(p, 'app').ready === true, 'app ready');
    assert.equal(containerStatus(pod, 'lazy').ready, false);
    assert.equal(containerStatus(pod, 'lazy').started, true);
    assert.equal(condition(pod, 'Ready')?.message, 'containers with unready status: [lazy]');
    pod = await waitPod(c, NS, 'probed', (p) => containerStatus(p, 'app').restartCount >= 1, 'app restarted by liveness', 10_000);
    assert.ok(containerStatus(pod, 'app').lastState.terminated, 'the killed container shows as lastState');
    assert.equal(containerStatus(pod, 'lazy').restartCount, 0, 'only the unhealthy container restarted');
    assert.equal((await getRow('probed')).READY, '1/2');
  });

  it('keeps serving after all this: a healthy pod still starts', async () => {
    await createPod(c, podManifest('healthy', NS, [{ name: 'app', image: 'game/server:v1' }]));
    await waitPod(c, NS, 'healthy', isReady, 'Ready');
  });
});
