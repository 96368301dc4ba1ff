// LeaderElector against the embedded API server (no nodes): candidates racing for one Lease get
// exactly one leader (the server's resourceVersion check arbitrates), a release hands over, and a
// leader that cannot reach the API server past its renew deadline reports the loss.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureNamespace, kubeConfigFor, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { LeaderElector } from '../../src/controller/runtime/index.js';
import { KubeClient } from '../../src/kube/index.js';
import { getLease } from './helpers.js';

const WAIT_MS = 60_000;
const timings = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };

interface Candidate {
  elector: LeaderElector;
  started: number;
  lost: number;
}

function candidate(c: Cluster, namespace: string, name: string, identity: string, onStartedLeading?: () => Promise<void>): Candidate {
  const elector = new LeaderElector(new KubeClient({ kubeConfig: kubeConfigFor(c) }), { namespace, name, identity, ...timings });
  const cand: Candidate = { elector, started: 0, lost: 0 };
  elector.start({
    onStartedLeading: () => {
      cand.started++;
      return onStartedLeading?.();
    },
    onStoppedLeading: () => void cand.lost++,
  });
  return cand;
}

describe('LeaderElector', { timeout: 180_000 }, () => {
  let c: Cluster;
  const all: Candidate[] = [];

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster();
    await ensureNamespace(c, 'elect');
  });
  after(async () => {
    await Promise.all(all.map((x) => x.elector.stop()));
    await c?.cleanup();
  });

  it('three candidates racing for a new Lease: exactly one leads; a release hands over', async () => {
    const cands = ['a', 'b', 'c'].map((id) => candidate(c, 'elect', 'race', id));
    all.push(...cands);
    const leader = await waitFor(() => cands.find((x) => x.started === 1), 'a leader', WAIT_MS, 50);
    // Several retry periods later (the others kept trying), still one.
    const renewals = new Set<string>();
    await waitFor(
      async () => {
        const l = await getLease(c, 'elect', 'race');
        if (l) renewals.add(l.spec.renewTime);
        return renewals.size >= 3;
      },
      'the leader renewed twice',
      WAIT_MS,
      100,
    );
    const lease = await getLease(c, 'elect', 'race');
    assert.equal(lease?.spec.holderIdentity, leader.elector.identity);
    assert.equal(lease?.spec.leaseTransitions, 0);
    assert.deepEqual(
      cands.map((x) => x.started),
      cands.map((x) => (x === leader ? 1 : 0)),
      'only the holder started leading',
    );

    await leader.elector.release();
    assert.equal(leader.lost, 0, 'a release is not a loss');
    const next = await waitFor(() => cands.find((x) => x !== leader && x.started === 1), 'another leader', WAIT_MS, 50);
    const after1 = await getLease(c, 'elect', 'race');
    assert.equal(after1?.spec.holderIdentity, next.elector.identity);
    assert.equal(after1?.spec.leaseTransitions, 1);
    assert.equal(cands.filter((x) => x.started === 1 && x.elector.isLeader()).length, 1, 'one leader at a time');
  });

  it('renews while its start of leading has not finished (controllers waiting for caches)', async () => {
    let finish!: () => void;
    const x = candidate(c, 'elect', 'slow-start', 'slow', () => new Promise<void>((r) => (finish = r)));
    all.push(x);
    await waitFor(() => x.started === 1, 'leading', WAIT_MS, 50);
    const first = (await getLease(c, 'elect', 'slow-start'))?.spec.renewTime;
    // Longer than the lease lasts, with onStartedLeading still pending all along.
    const renewals = new Set<string>([first]);
    await waitFor(
      async () => {
        const l = await getLease(c, 'elect', 'slow-start');
        if (l) renewals.add(l.spec.renewTime);
        return renewals.size >= 3;
      },
      'two renewals while starting',
      WAIT_MS,
      100,
    );
    assert.equal(x.lost, 0);
    assert.equal(x.elector.isLeader(), true);
    finish();
    await x.elector.release();
  });

  it('a leader cut off from the API server past its renew deadline reports the loss', async () => {
    const x = candidate(c, 'elect', 'cutoff', 'lonely');
    all.push(x);
    await waitFor(() => x.started === 1, 'leading', WAIT_MS, 50);
    await c.stop();
    await waitFor(() => x.lost === 1, 'the loss reported', WAIT_MS, 100);
    assert.equal(x.elector.isLeader(), false);
  });
});
