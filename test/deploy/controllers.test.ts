// hotpod installed as deploy/ installs it on a real cluster: `kubectl apply -k deploy/` against
// the embedded control plane (which enforces RBAC), then the Deployment's replicas run as
// `hotpod controller` processes with the Deployment's args and env, each under a token of its
// ServiceAccount, so every request is authorised by deploy/'s ClusterRole and Role alone. One
// replica leads; a SIGKILL of the leader mid-rollout hands the Lease over, the rollout finishes,
// no pod is updated twice, and the API server denied nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubectlOk, projectRoot, runKubectl, waitFor, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';
import { findManifest, parseManifests, type Manifest } from '../helpers/rbac.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';
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
  startGssCluster,
  waitSettled,
} from '../gameserverset/helpers.js';
import { scrape, startObservedController, sum, waitForHolder, type ObservedController } from '../operations/helpers.js';

const deployDir = join(projectRoot, 'deploy');

/** The Deployment's container as a process: its args (bind addresses made free ports by the helper) and env. */
function replicaCommand(d: Manifest): { args: string[]; env: Record<string, string> } {
  const c = d.spec.template.spec.containers[0];
  assert.equal(c.args[0], 'controller');
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = d.metadata.namespace;
    else assert.fail(`env ${e.name}: the test does not know how to fill ${JSON.stringify(e.valueFrom)}`);
  }
  return { args: c.args.slice(1), env };
}

describe('the controller as deploy/ runs it, under its ServiceAccount', { timeout: 480_000 }, () => {
  let c: Cluster;
  const running: ObservedController[] = [];

  before(async () => {
    c = await startGssCluster({ controller: false });
  });
  after(async () => {
    for (const p of running) if (p.exitCode() === null) await p.kill9();
    await c?.cleanup();
  });

  it('two replicas: one leads, the leader SIGKILLed mid-rollout hands over, and no pod is updated twice', async () => {
    const k = newestKubectl();
    await kubectlOk(k, c, ['apply', '-k', deployDir], { timeoutMs: 120_000 });
    const manifests = parseManifests(await kubectlOk(k, c, ['kustomize', deployDir]));
    const deployment = findManifest(manifests, 'Deployment', 'hotpod-controller');
    const systemNs = deployment.metadata.namespace;
    const sa = await serviceAccountKubeconfig(c, systemNs, deployment.spec.template.spec.serviceAccountName);
    const { args, env } = replicaCommand(deployment);
    assert.ok(args.includes('--leader-elect'), `the Deployment elects a leader: ${args}`);

    // The ServiceAccount may do what the controller needs and no more: not, say, read Secrets.
    const secrets = await runKubectl(k, c, ['auth', 'can-i', 'list', 'secrets', '-A'], { kubeconfig: sa.path });
    assert.deepEqual([secrets.code, secrets.stdout.trim()], [1, 'no'], secrets.stderr);
    const pods = await runKubectl(k, c, ['auth', 'can-i', 'patch', 'pods', '-n', 'default'], { kubeconfig: sa.path });
    assert.deepEqual([pods.code, pods.stdout.trim()], [0, 'yes'], pods.stderr);

    const replicas: ObservedController[] = [];
    for (let i = 0; i < deployment.spec.replicas; i++) {
      const p = await startObservedController(c, [...args, '--kubeconfig', sa.path], env);
      running.push(p);
      replicas.push(p);
    }
    assert.equal(replicas.length, 2);
    const [a, b] = replicas as [ObservedController, ObservedController];
    const lease = await waitForHolder(c, systemNs, 'hotpod-controller', [a.identity, b.identity]);
    const leader = lease.spec.holderIdentity === a.identity ? a : b;
    const standby = leader === a ? b : a;

    const ns = await namespace(c, 'deployed-rollout');
    const names = ['dr-0', 'dr-1', 'dr-2', 'dr-3'];
    // A grace period keeps each pod's update open for seconds, so the kill lands mid-update.
    await applyGss(c, gss('dr', ns, { replicas: 4, maxUnavailable: 1, gracePeriodSeconds: 3, annotations: { 'sim.hotpod.dev/ready-delay-ms.sidecar': '500' } }));
    const initial = await waitSettled(c, ns, 'dr', names);
    assert.equal(sum(await scrape(standby.metricsUrl), 'hotpod_reconcile_total'), 0, 'the standby reconciled nothing');

    const history = await recordPods(c, ns, 4);
    try {
      await setSidecarImage(c, ns, 'dr', SIDECAR_V2);
      await waitFor(() => history.gate.get('dr-3')?.includes('False'), 'dr-3 left service', WAIT_MS, 20);
      const leaderDenials = sum(await scrape(leader.metricsUrl), 'hotpod_api_requests_total', { code: '403' });
      await leader.kill9();

      // The Deployment's lease duration (15 s by default) bounds the hand-over.
      await waitForHolder(c, systemNs, 'hotpod-controller', [standby.identity]);
      const done = await waitFor(
        async () => {
          const pods = await podsOf(c, ns, 'dr');
          const ok = pods.size === 4 && [...pods.values()].every((p) => container(p, 'sidecar')?.image === SIDECAR_V2 && isReady(p) && cond(p, 'InPlaceUpdateReady')?.status === 'True');
          return ok ? pods : undefined;
        },
        'all four pods on the new sidecar, in service',
        WAIT_MS * 2,
        250,
      );
      for (const name of names) {
        const p = done.get(name)!;
        assert.equal(p.metadata.uid, initial.get(name)!.metadata.uid, `${name} not recreated`);
        assert.deepEqual(history.images.get(name), [initial.get(name)!.spec.containers[1].image, SIDECAR_V2], `${name} got its new image exactly once`);
        assert.equal(container(p, 'sidecar')!.restartCount, 1, `${name}: sidecar restarted once`);
        assert.equal(container(p, 'engine')!.restartCount, 0, `${name}: engine never restarted`);
      }
      await waitFor(async () => (await getGss(c, ns, 'dr')).status?.updatedReadyReplicas === 4, 'status.updatedReadyReplicas 4', WAIT_MS, 250);
      const m = await scrape(standby.metricsUrl);
      assert.equal(leaderDenials, 0, 'the old leader was denied nothing');
      assert.equal(sum(m, 'hotpod_api_requests_total', { code: '403' }), 0, 'the new leader was denied nothing');
      assert.ok(sum(m, 'hotpod_api_requests_total', { verb: 'patch', resource: 'pods' }) > 0, 'the new leader patched pods under its role');
    } finally {
      history.close();
    }
  });
});
