// The controller as its own process (`hotpod controller --kubeconfig`, against `hotpod up
// --no-controller`), killed with SIGKILL in the middle of an in-place rollout and started again:
// the new process finishes the rollout from what the pods show, and no pod is touched twice
// (each leaves service once, gets its new image once, restarts its sidecar once).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, waitFor, type Cluster } from '../helpers/cluster.js';
import {
  SIDECAR_V2,
  WAIT_MS,
  applyGss,
  cond,
  container,
  getGss,
  gss,
  isReady,
  namespace,
  podsOf,
  recordPods,
  setSidecarImage,
  specImage,
  startControllerProcess,
  startGssCluster,
  waitSettled,
  type ControllerProcess,
} from './helpers.js';

describe('controller restart mid-rollout', { timeout: 300_000 }, () => {
  let c: Cluster;
  let controller: ControllerProcess | undefined;

  before(async () => {
    c = await startGssCluster({ controller: false });
  });
  after(async () => {
    await controller?.stop();
    await c?.cleanup();
  });

  it('hotpod up --no-controller acts on nothing: the set stays without pods', async () => {
    const ns = await namespace(c, 'gss-nocontroller');
    await applyGss(c, gss('idle', ns, { replicas: 1 }));
    await sleep(2000);
    assert.equal((await podsOf(c, ns, 'idle')).size, 0);
    assert.equal((await getGss(c, ns, 'idle')).status, undefined);
  });

  it('a SIGKILLed controller is replaced and the rollout finishes without touching a pod twice', async () => {
    controller = await startControllerProcess(c);
    const ns = await namespace(c, 'gss-restart');
    const names = ['rs-0', 'rs-1', 'rs-2', 'rs-3'];
    // A grace period and a slow sidecar readiness keep each pod's update open for ~3.5 s, so the
    // kill lands between a pod leaving service and its new image.
    await applyGss(
      c,
      gss('rs', ns, { replicas: 4, maxUnavailable: 1, gracePeriodSeconds: 3, annotations: { 'sim.hotpod.dev/ready-delay-ms.sidecar': '500' } }),
    );
    const before1 = await waitSettled(c, ns, 'rs', names);
    const history = await recordPods(c, ns, 4);
    try {
      await setSidecarImage(c, ns, 'rs', SIDECAR_V2);
      // The first pod (highest ordinal) has left service; its images are not patched yet.
      await waitFor(() => history.gate.get('rs-3')?.includes('False'), 'rs-3 left service', WAIT_MS, 20);
      assert.equal(specImage(history.latest.get('rs-3')!, 'sidecar'), before1.get('rs-3')!.spec.containers[1].image, 'killed inside the grace period');
      await controller.kill9();
      controller = undefined;
      // Nothing moves while no controller runs.
      await sleep(3000);
      assert.ok(['rs-0', 'rs-1', 'rs-2'].every((n) => history.gate.get(n)!.length === 1), 'no other pod started while no controller ran');

      controller = await startControllerProcess(c);
      const done = await waitFor(
        async () => {
          const pods = await podsOf(c, ns, 'rs');
          const ok = pods.size === 4 && [...pods.values()].every((p) => container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True');
          return ok ? pods : undefined;
        },
        'all four pods on the new sidecar, in service',
        WAIT_MS,
        250,
      );
      await waitFor(() => [...history.latest.values()].every((p) => isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True' && specImage(p, 'sidecar') === SIDECAR_V2), 'the watch saw the end', WAIT_MS);
      assert.ok(history.maxUnavailable() <= 1, `maxUnavailable 1 held across the restart (saw ${history.maxUnavailable()})`);
      for (const name of names) {
        const p = done.get(name)!;
        assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid, `${name} not recreated`);
        assert.deepEqual([...history.uids.get(name)!], [before1.get(name)!.metadata.uid]);
        assert.deepEqual(history.gate.get(name), ['True', 'False', 'True'], `${name} left service exactly once`);
        assert.deepEqual(history.images.get(name), [before1.get(name)!.spec.containers[1].image, SIDECAR_V2], `${name} got its new image exactly once`);
        assert.equal(container(p, 'sidecar')!.restartCount, 1, `${name}: sidecar restarted once`);
        assert.equal(container(p, 'engine')!.restartCount, 0, `${name}: engine never restarted`);
      }
      // The set's status follows the pods by one reconcile: on a busy machine, later than the test sees them.
      await waitFor(async () => (await getGss(c, ns, 'rs')).status?.updatedReadyReplicas === 4, 'status.updatedReadyReplicas 4', WAIT_MS, 250);
    } finally {
      history.close();
    }
    // A clean stop reports what the second process wrote: the first pod's image patch and
    // return to service (it had left service before the kill), all three in-place writes for
    // the three others, and no pod created or deleted.
    assert.equal(await controller!.stop(), 0);
    const line = controller!.logs().split('\n').reverse().find((l) => l.includes('"controller stopped"'));
    controller = undefined;
    assert.ok(line, 'the controller logged its writes when it stopped');
    const writes = JSON.parse(line).writes as { byKindVerb: Record<string, number>; byPurpose: Record<string, number> };
    assert.equal(writes.byPurpose.inPlace, 4, JSON.stringify(writes));
    assert.equal(writes.byPurpose.leaveService, 3, JSON.stringify(writes));
    assert.equal(writes.byPurpose.returnToService, 4, JSON.stringify(writes));
    assert.equal(writes.byKindVerb['Pod.create'] ?? 0, 0);
    assert.equal(writes.byKindVerb['Pod.delete'] ?? 0, 0);
  });
});
