// Helpers for the operations tests: controller processes with their endpoints on free loopback
// ports, /metrics scraped and read, the leader Lease read through the API, and a leader's
// hand-over in the middle of a rollout.
import assert from 'node:assert/strict';
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import {
  SIDECAR_V2,
  WAIT_MS,
  applyGss,
  cond,
  container,
  getGss,
  gss,
  isReady,
  podsOf,
  recordPods,
  setSidecarImage,
  specImage,
  startControllerProcess,
  waitSettled,
  type ControllerProcess,
  type Json,
} from '../gameserverset/helpers.js';

export interface ObservedController extends ControllerProcess {
  /** `http://127.0.0.1:PORT` of /metrics */
  metricsUrl: string;
  /** `http://127.0.0.1:PORT` of /healthz and /readyz */
  healthUrl: string;
  /** the Lease holder identity it campaigns as ('' without leader election) */
  identity: string;
  exitCode(): number | null;
}

export async function startObservedController(c: Cluster, args: string[] = [], env: Record<string, string> = {}): Promise<ObservedController> {
  const p = await startControllerProcess(c, [...args, '--metrics-bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0'], env);
  const out = p.logs();
  const metrics = /metrics listening on (http:\/\/\S+)\/metrics/.exec(out);
  const health = /health probes listening on (http:\/\/\S+)\/healthz/.exec(out);
  if (!metrics || !health) throw new Error(`the controller did not print its endpoints:\n${out}`);
  return Object.assign(p, {
    metricsUrl: metrics[1]!,
    healthUrl: health[1]!,
    identity: / as (\S+)\n/.exec(out)?.[1] ?? '',
    exitCode: () => p.proc.exitCode,
  });
}

/** `hotpod controller --leader-elect` with short timings, on the given Lease. */
export function leaderArgs(namespace: string, name: string): string[] {
  // Short enough for a test to see a hand-over; a renew deadline long enough that a busy machine
  // does not make the leader give up on its own.
  return ['--leader-elect', `--leader-elect-namespace=${namespace}`, `--leader-elect-id=${name}`, '--leader-elect-lease-duration=6s', '--leader-elect-renew-deadline=5s', '--leader-elect-retry-period=1s'];
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(`${url}/metrics`);
  if (r.status !== 200) throw new Error(`GET ${url}/metrics -> ${r.status}`);
  return parseMetrics(await r.text());
}

/** The sum of the series of `name` whose labels include `labels`. */
export function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

export function series(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

export async function getLease(c: Cluster, ns: string, name: string): Promise<Json | undefined> {
  try {
    return await apiOk(c, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`);
  } catch {
    return undefined;
  }
}

export async function waitForHolder(c: Cluster, ns: string, name: string, holders: string[]): Promise<Json> {
  return waitFor(
    async () => {
      const l = await getLease(c, ns, name);
      return l && holders.includes(l.spec?.holderIdentity) ? l : undefined;
    },
    `Lease ${ns}/${name} held by one of ${holders.join(', ')}`,
    WAIT_MS,
    200,
  );
}

export async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

export interface HandOverOptions {
  leader: ObservedController;
  standby: ObservedController;
  /** the Lease the two campaign for */
  leaseNs: string;
  leaseName: string;
  /** where the GameServerSet `<prefix>` of four servers is rolled */
  ns: string;
  prefix: string;
  /** how long the new leader may take to finish the rollout after the kill */
  finishMs?: number;
  /** a last look at the leader before its SIGKILL */
  beforeKill?: () => Promise<void>;
}

/**
 * The leader's work, then its SIGKILL mid-rollout: a GameServerSet of four settles under the
 * leader (the standby reconciles nothing), its sidecar image changes, the leader dies while the
 * last pod is out of service for its update, the standby takes the Lease and finishes. Checks
 * that no pod was recreated, left service or got its image more than once, and that
 * maxUnavailable 1 held across the hand-over. Resolves with the Lease after the hand-over.
 */
export async function handOverMidRollout(c: Cluster, o: HandOverOptions): Promise<Json> {
  const names = [0, 1, 2, 3].map((i) => `${o.prefix}-${i}`);
  const last = names[3]!;
  // A grace period and a slow sidecar keep each pod's update open for ~3.5 s, so the kill
  // lands between a pod leaving service and its new image.
  await applyGss(c, gss(o.prefix, o.ns, { replicas: 4, maxUnavailable: 1, gracePeriodSeconds: 3, annotations: { 'sim.hotpod.dev/ready-delay-ms.sidecar': '500' } }));
  const initial = await waitSettled(c, o.ns, o.prefix, names);
  assert.ok(sum(await scrape(o.leader.metricsUrl), 'hotpod_reconcile_total', { controller: 'gameserverset' }) > 0, 'the leader reconciled');
  assert.equal(sum(await scrape(o.standby.metricsUrl), 'hotpod_reconcile_total'), 0, 'the standby reconciled nothing');
  assert.equal(sum(await scrape(o.standby.metricsUrl), 'hotpod_api_requests_total', { verb: 'create', resource: 'pods' }), 0);

  const history = await recordPods(c, o.ns, 4);
  try {
    await setSidecarImage(c, o.ns, o.prefix, SIDECAR_V2);
    await waitFor(() => history.gate.get(last)?.includes('False'), `${last} left service`, WAIT_MS, 20);
    await o.beforeKill?.();
    const lastRenewed = await getLease(c, o.leaseNs, o.leaseName);
    await o.leader.kill9();

    const taken = await waitForHolder(c, o.leaseNs, o.leaseName, [o.standby.identity]);
    // Within the lease duration of the leader's last renewal, give or take the standby's retry
    // period (at most 1.2 × 2 s, client-go's jitter) and a busy machine's few seconds.
    const gapS = (Date.parse(taken.spec.acquireTime) - Date.parse(lastRenewed!.spec.renewTime)) / 1000;
    const bound = taken.spec.leaseDurationSeconds + 2.4 + 5;
    assert.ok(gapS <= bound, `the standby took the Lease ${gapS.toFixed(1)} s after the leader's last renewal (at most ${bound} s)`);
    await waitFor(async () => sum(await scrape(o.standby.metricsUrl), 'hotpod_leader') === 1, 'the standby leads', WAIT_MS);
    const done = await waitFor(
      async () => {
        const pods = await podsOf(c, o.ns, o.prefix);
        const ok = pods.size === 4 && [...pods.values()].every((p) => container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True');
        return ok ? pods : undefined;
      },
      'all four pods on the new sidecar, in service',
      o.finishMs ?? WAIT_MS,
      250,
    );
    await waitFor(() => [...history.latest.values()].every((p) => isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True' && specImage(p, 'sidecar') === SIDECAR_V2), 'the watch saw the end', WAIT_MS);
    assert.ok(history.maxUnavailable() <= 1, `maxUnavailable 1 held across the hand-over (saw ${history.maxUnavailable()})`);
    for (const name of names) {
      const p = done.get(name)!;
      assert.equal(p.metadata.uid, initial.get(name)!.metadata.uid, `${name} not recreated`);
      assert.deepEqual(history.gate.get(name), ['True', 'False', 'True'], `${name} left service exactly once`);
      assert.deepEqual(history.images.get(name), [initial.get(name)!.spec.containers[1].image, SIDECAR_V2], `${name} got its new image exactly once`);
      assert.equal(container(p, 'sidecar')!.restartCount, 1, `${name}: sidecar restarted once`);
      assert.equal(container(p, 'engine')!.restartCount, 0, `${name}: engine never restarted`);
    }
    // The set's status follows the pods by one reconcile: on a busy machine, later than the test sees them.
    await waitFor(async () => (await getGss(c, o.ns, o.prefix)).status?.updatedReadyReplicas === 4, 'status.updatedReadyReplicas 4', WAIT_MS, 250);
    return taken;
  } finally {
    history.close();
  }
}
