// Two `hotpod controller --leader-elect` processes against `hotpod up --no-controller`: one holds
// the Lease and reconciles, the other keeps its caches warm and reconciles nothing; a SIGKILL of
// the leader mid-rollout hands the Lease over, the rollout finishes, and no pod is updated twice.
// Then: a clean stop releases the Lease, and a leader that finds its Lease taken exits non-zero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitFor, type Cluster } from '../helpers/cluster.js';
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
  startGssCluster,
  waitSettled,
} from '../gameserverset/helpers.js';
import { getLease, leaderArgs, scrape, startObservedController, status, sum, waitForHolder, type ObservedController } from './helpers.js';

describe('leader election', { timeout: 420_000 }, () => {
  let c: Cluster;
  const running: ObservedController[] = [];

  before(async () => {
    c = await startGssCluster({ controller: false });
  });
  after(async () => {
    for (const p of running) if (p.exitCode() === null) await p.kill9();
    await c?.cleanup();
  });

  it('one of two controllers leads; a SIGKILLed leader hands over and the rollout finishes without updating a pod twice', async () => {
    const leaseNs = await namespace(c, 'hotpod-system');
    const a = await startObservedController(c, leaderArgs(leaseNs, 'hotpod-controller'));
    running.push(a);
    const b = await startObservedController(c, leaderArgs(leaseNs, 'hotpod-controller'));
    running.push(b);
    assert.notEqual(a.identity, b.identity);
    assert.match(a.identity, /^[^_\s]+_[0-9a-f]+$/, 'identity is <hostname>_<random>');

    // Both are ready (caches synced) whoever leads.
    for (const p of [a, b]) {
      assert.equal(await status(`${p.healthUrl}/healthz`), 200);
      await waitFor(async () => (await status(`${p.healthUrl}/readyz`)) === 200, 'readyz 200', WAIT_MS);
    }
    const lease = await waitForHolder(c, leaseNs, 'hotpod-controller', [a.identity, b.identity]);
    const leader = lease.spec.holderIdentity === a.identity ? a : b;
    const standby = leader === a ? b : a;
    assert.equal(lease.spec.leaseDurationSeconds, 6);
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'renewTime is a MicroTime');
    await waitFor(async () => sum(await scrape(leader.metricsUrl), 'hotpod_leader') === 1, 'the leader says so', WAIT_MS);
    assert.equal(sum(await scrape(standby.metricsUrl), 'hotpod_leader'), 0);

    const ns = await namespace(c, 'le-rollout');
    const names = ['le-0', 'le-1', 'le-2', 'le-3'];
    // A grace period and a slow sidecar keep each pod's update open for ~3.5 s, so the kill
    // lands between a pod leaving service and its new image.
    await applyGss(c, gss('le', ns, { replicas: 4, maxUnavailable: 1, gracePeriodSeconds: 3, annotations: { 'sim.hotpod.dev/ready-delay-ms.sidecar': '500' } }));
    const before1 = await waitSettled(c, ns, 'le', names);
    // Everything so far was the leader's work.
    assert.ok(sum(await scrape(leader.metricsUrl), 'hotpod_reconcile_total', { controller: 'gameserverset' }) > 0, 'the leader reconciled');
    assert.equal(sum(await scrape(standby.metricsUrl), 'hotpod_reconcile_total'), 0, 'the standby reconciled nothing');
    assert.equal(sum(await scrape(standby.metricsUrl), 'hotpod_api_requests_total', { verb: 'create', resource: 'pods' }), 0);

    const history = await recordPods(c, ns, 4);
    try {
      await setSidecarImage(c, ns, 'le', SIDECAR_V2);
      await waitFor(() => history.gate.get('le-3')?.includes('False'), 'le-3 left service', WAIT_MS, 20);
      await leader.kill9();

      const taken = await waitForHolder(c, leaseNs, 'hotpod-controller', [standby.identity]);
      assert.equal(taken.spec.leaseTransitions, lease.spec.leaseTransitions + 1, 'one transition');
      await waitFor(async () => sum(await scrape(standby.metricsUrl), 'hotpod_leader') === 1, 'the standby leads', WAIT_MS);

      const done = await waitFor(
        async () => {
          const pods = await podsOf(c, ns, 'le');
          const ok = pods.size === 4 && [...pods.values()].every((p) => container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True');
          return ok ? pods : undefined;
        },
        'all four pods on the new sidecar, in service',
        WAIT_MS,
        250,
      );
      await waitFor(() => [...history.latest.values()].every((p) => isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True' && specImage(p, 'sidecar') === SIDECAR_V2), 'the watch saw the end', WAIT_MS);
      assert.ok(history.maxUnavailable() <= 1, `maxUnavailable 1 held across the hand-over (saw ${history.maxUnavailable()})`);
      for (const name of names) {
        const p = done.get(name)!;
        assert.equal(p.metadata.uid, before1.get(name)!.metadata.uid, `${name} not recreated`);
        assert.deepEqual(history.gate.get(name), ['True', 'False', 'True'], `${name} left service exactly once`);
        assert.deepEqual(history.images.get(name), [before1.get(name)!.spec.containers[1].image, SIDECAR_V2], `${name} got its new image exactly once`);
        assert.equal(container(p, 'sidecar')!.restartCount, 1, `${name}: sidecar restarted once`);
        assert.equal(container(p, 'engine')!.restartCount, 0, `${name}: engine never restarted`);
      }
      // The set's status follows the pods by one reconcile: on a busy machine, later than the test sees them.
      await waitFor(async () => (await getGss(c, ns, 'le')).status?.updatedReadyReplicas === 4, 'status.updatedReadyReplicas 4', WAIT_MS, 250);
      // The killed leader had not patched an image yet (le-3 was inside its grace period): the
      // new leader patched all four.
      const m = await scrape(standby.metricsUrl);
      assert.equal(sum(m, 'hotpod_pods_updated_total', { kind: 'GameServerSet', policy: 'InPlace' }), 4);
    } finally {
      history.close();
    }

    // A clean stop releases the Lease: no holder, and it says it was released.
    assert.equal(await standby.stop(), 0);
    const released = await getLease(c, leaseNs, 'hotpod-controller');
    assert.equal(released?.spec.holderIdentity, '');
    assert.equal(released?.spec.leaseDurationSeconds, 1);
    assert.match(standby.logs(), /"released the lease"/);
  });

  it('a leader that finds its Lease taken by another holder stops and exits non-zero', async () => {
    const leaseNs = await namespace(c, 'le-taken');
    const p = await startObservedController(c, leaderArgs(leaseNs, 'taken'));
    running.push(p);
    const lease = await waitForHolder(c, leaseNs, 'taken', [p.identity]);
    // Another candidate wins a write (as one would after a partition): the leader's next renewal
    // conflicts, it reads the Lease, sees another holder, and must not act any more.
    const r = await api(c, 'PUT', `/apis/coordination.k8s.io/v1/namespaces/${leaseNs}/leases/taken`, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
    assert.equal(r.status, 200, r.text);
    await waitFor(() => p.exitCode() !== null, 'the old leader exits', WAIT_MS);
    assert.equal(p.exitCode(), 1);
    assert.match(p.logs(), /leader lease lost/);
    assert.equal((await getLease(c, leaseNs, 'taken'))?.spec.holderIdentity, 'intruder', 'it did not take the Lease back');
  });

  it('bad leader election timings and bind addresses: one line, exit code 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const { cliPath } = await import('../helpers/cluster.js');
    for (const args of [
      ['--leader-elect', '--leader-elect-lease-duration=5s', '--leader-elect-renew-deadline=10s'],
      ['--leader-elect-retry-period=soon'],
      ['--metrics-bind-address=8080'],
      ['--kube-api-qps=0'],
    ]) {
      const r = spawnSync(process.execPath, [cliPath(), 'controller', '--kubeconfig', c.kubeconfigPath, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
    }
  });
});
