// kubectl exec into the embedded nodes' simulated containers, which answer what their pod's
// sim.hotpod.dev/exec annotation scripts (read when the command runs): the output, the exit
// code, stdin taken; through kubectl 1.35 (and 1.30 when the machine has it), client-node's
// Exec, RBAC's pods/exec, and a clear error for kubectl that speaks only SPDY (1.20).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { apiOk, kubectls, runKubectl, type Cluster, type Kubectl } from '../helpers/cluster.js';
import { createNamespace, createPod, isReady, newestKubectl, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';

const NS = 'exec';
/** kubectl 1.30, where machines with the Cloud SDK keep it beside its kubectl dispatcher; used when present. */
const CLOUD_SDK_130 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.30';

describe('kubectl exec into simulated containers', { timeout: 180_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const script = JSON.stringify({ 'cat /tmp/idle': { stdout: '1\n' }, 'check-match': { stdout: 'finished\n', stderr: 'warn: late\n', exitCode: 0 }, '*': { stderr: 'no such thing\n', exitCode: 3 } });

  before(async () => {
    c = await startNodeCluster({ nodes: 1 });
    await createNamespace(c, NS);
    await createPod(c, podManifest('arena', NS, [{ name: 'engine', image: 'game/engine:v1' }, { name: 'scripts', image: 'game/scripts:v1' }], { annotations: { 'sim.hotpod.dev/exec.engine': script } }));
    await waitPod(c, NS, 'arena', isReady, 'Ready');
  });
  after(async () => {
    await c?.cleanup();
  });

  const exec = (kubectl: Kubectl, args: string[], input?: string) => runKubectl(kubectl, c, ['-n', NS, 'exec', ...(input !== undefined ? ['-i'] : []), 'arena', '-c', 'engine', '--', ...args], input !== undefined ? { input } : {});

  it('answers what the annotation scripts: stdout, stderr, the exit code; stdin is taken', async () => {
    const idle = await exec(k, ['cat', '/tmp/idle']);
    assert.deepEqual([idle.code, idle.stdout], [0, '1\n']);
    const match = await exec(k, ['check-match']);
    assert.deepEqual([match.code, match.stdout, match.stderr], [0, 'finished\n', 'warn: late\n']);
    const other = await exec(k, ['ls', '/']);
    assert.equal(other.code, 3, 'the exit code of the command is kubectl\'s');
    assert.match(other.stderr, /no such thing/);
    const piped = await exec(k, ['cat', '/tmp/idle'], 'some input\n');
    assert.deepEqual([piped.code, piped.stdout], [0, '1\n']);
    // Read when the command runs: a changed annotation answers at once.
    await apiOk(c, 'PATCH', `/api/v1/namespaces/${NS}/pods/arena`, { metadata: { annotations: { 'sim.hotpod.dev/exec.engine': JSON.stringify({ stdout: '0\n' }) } } }, { contentType: 'application/merge-patch+json' });
    const changed = await exec(k, ['cat', '/tmp/idle']);
    assert.deepEqual([changed.code, changed.stdout], [0, '0\n']);
    // A container with nothing scripted says so.
    const bare = await runKubectl(k, c, ['-n', NS, 'exec', 'arena', '-c', 'scripts', '--', 'true']);
    assert.equal(bare.code, 127);
    assert.match(bare.stderr, /nothing scripted for "true" \(annotation sim\.hotpod\.dev\/exec\[\.scripts\]\)/);
    await apiOk(c, 'PATCH', `/api/v1/namespaces/${NS}/pods/arena`, { metadata: { annotations: { 'sim.hotpod.dev/exec.engine': script } } }, { contentType: 'application/merge-patch+json' });
  });

  it('kubectl 1.30, when the machine has it, speaks the same WebSocket protocol', { skip: !existsSync(CLOUD_SDK_130) && 'no kubectl 1.30 on this machine' }, async () => {
    const r = await exec({ version: '1.30', path: CLOUD_SDK_130 }, ['cat', '/tmp/idle']);
    assert.deepEqual([r.code, r.stdout], [0, '1\n']);
  });

  it('kubectl that speaks only SPDY (1.20) gets a clear error', { skip: !kubectls().some((x) => x.version === '1.20') && 'kubectl 1.20 not installed (.ci/run installs it)' }, async () => {
    const old = kubectls().find((x) => x.version === '1.20')!;
    const r = await exec(old, ['cat', '/tmp/idle']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hotpod serves exec over WebSocket only \(kubectl 1\.30 or later, client-node\); this client asked for "SPDY\/3\.1"/);
  });

  it("client-node's Exec: output and the final Status", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfigPath);
    let out = '';
    const stdout = new Writable({ write: (chunk, _e, done) => ((out += String(chunk)), done()) });
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, 'arena', 'engine', ['cat', '/tmp/idle'], stdout, new PassThrough(), null, false, (s) => resolve(s)).catch(reject);
    });
    assert.equal(status.status, 'Success');
    assert.equal(out, '1\n');
    const failed = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, 'arena', 'engine', ['nope'], new PassThrough(), new PassThrough(), null, false, (s) => resolve(s)).catch(reject);
    });
    assert.deepEqual([failed.status, failed.reason, failed.details?.causes?.[0]], ['Failure', 'NonZeroExitCode', { reason: 'ExitCode', message: '3' }]);
  });

  it('needs create on pods/exec; a missing pod or container is named', async () => {
    const sa = await serviceAccountKubeconfig(c, NS, 'viewer');
    const grant = async (name: string, rule: Record<string, unknown>) => {
      await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, { metadata: { name }, rules: [rule] });
      await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NS }] });
    };
    await grant('read-pods', { apiGroups: [''], resources: ['pods'], verbs: ['get'] });
    const asViewer = await runKubectl(k, c, ['--kubeconfig', sa.path, '-n', NS, 'exec', 'arena', '-c', 'engine', '--', 'cat', '/tmp/idle']);
    assert.notEqual(asViewer.code, 0);
    assert.match(asViewer.stderr, /cannot create resource "pods\/exec" in API group "" in the namespace "exec"/);
    await grant('exec', { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
    const allowed = await runKubectl(k, c, ['--kubeconfig', sa.path, '-n', NS, 'exec', 'arena', '-c', 'engine', '--', 'cat', '/tmp/idle']);
    assert.deepEqual([allowed.code, allowed.stdout], [0, '1\n'], allowed.stderr);

    const missing = await runKubectl(k, c, ['-n', NS, 'exec', 'nope', '--', 'ls']);
    assert.match(missing.stderr, /pods "nope" not found/);
    const noContainer = await runKubectl(k, c, ['-n', NS, 'exec', 'arena', '-c', 'nope', '--', 'ls']);
    assert.notEqual(noContainer.code, 0);
    assert.match(noContainer.stderr, /container nope is not valid for pod arena|container nope not found/);
  });
});
