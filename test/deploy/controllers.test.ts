// hotpod installed as deploy/ installs it on a real cluster: `kubectl apply -k deploy/` against
// the embedded control plane (which enforces RBAC), then the Deployment's replicas run as
// `hotpod controller` processes with the Deployment's args and env, each under a token of its
// ServiceAccount, so every request is authorised by deploy/'s ClusterRole and Role alone. One
// replica leads; a SIGKILL of the leader mid-rollout hands the Lease over, the rollout finishes,
// no pod is updated twice, and the API server denied nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubectlOk, projectRoot, runKubectl, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';
import { findManifest, parseManifests, type Manifest } from '../helpers/rbac.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';
import { WAIT_MS, namespace, startGssCluster } from '../gameserverset/helpers.js';
import { handOverMidRollout, scrape, startObservedController, sum, waitForHolder, type ObservedController } from '../operations/helpers.js';

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
    // The Deployment's lease duration (15 s by default) bounds the hand-over.
    let leaderDenials = -1;
    await handOverMidRollout(c, {
      leader,
      standby,
      leaseNs: systemNs,
      leaseName: 'hotpod-controller',
      ns,
      prefix: 'dr',
      finishMs: WAIT_MS * 2,
      beforeKill: async () => {
        leaderDenials = sum(await scrape(leader.metricsUrl), 'hotpod_api_requests_total', { code: '403' });
      },
    });
    assert.equal(leaderDenials, 0, 'the old leader was denied nothing');
    const m = await scrape(standby.metricsUrl);
    assert.equal(sum(m, 'hotpod_api_requests_total', { code: '403' }), 0, 'the new leader was denied nothing');
    assert.ok(sum(m, 'hotpod_api_requests_total', { verb: 'patch', resource: 'pods' }) > 0, 'the new leader patched pods under its role');
  });
});
