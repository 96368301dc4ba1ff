// Two `hotpod controller --leader-elect` processes against `hotpod up --no-controller`: one holds
// the Lease and reconciles, the other keeps its caches warm and reconciles nothing; a SIGKILL of
// the leader mid-rollout hands the Lease over, the rollout finishes, and no pod is updated twice.
// Then: a clean stop releases the Lease, and a leader that finds its Lease taken exits non-zero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitFor, type Cluster } from '../helpers/cluster.js';
import { WAIT_MS, namespace, startGssCluster } from '../gameserverset/helpers.js';
import { getLease, handOverMidRollout, leaderArgs, scrape, startObservedController, status, sum, waitForHolder, type ObservedController } from './helpers.js';

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
    const taken = await handOverMidRollout(c, { leader, standby, leaseNs, leaseName: 'hotpod-controller', ns, prefix: 'le' });
    assert.equal(taken.spec.leaseTransitions, lease.spec.leaseTransitions + 1, 'one transition');
    // The killed leader had not patched an image yet (le-3 was inside its grace period): the
    // new leader patched all four.
    assert.equal(sum(await scrape(standby.metricsUrl), 'hotpod_pods_updated_total', { kind: 'GameServerSet', policy: 'InPlace' }), 4);

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

  it('bad leader election timings, bind addresses and hook networks: one line, exit code 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const { cliPath } = await import('../helpers/cluster.js');
    for (const args of [
      ['--leader-elect', '--leader-elect-lease-duration=5s', '--leader-elect-renew-deadline=10s'],
      ['--leader-elect-retry-period=soon'],
      ['--metrics-bind-address=8080'],
      ['--kube-api-qps=0'],
      ['--hook-networks=10.0.0.0/40'],
      ['--hook-networks=loopback'],
    ]) {
      const r = spawnSync(process.execPath, [cliPath(), 'controller', '--kubeconfig', c.kubeconfigPath, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
    }
  });
});
