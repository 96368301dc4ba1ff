// `hotpod rollout history|undo|pause|resume`, run as a user runs them (the built CLI and a
// kubeconfig), and as a kubectl plugin (`kubectl hotpod ...` with kubectl 1.35 finding
// kubectl-hotpod on PATH), against rollouts on the embedded cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';
import { SIDECAR_V1, SIDECAR_V2, WAIT_MS, applyGss, getGss, gss, kubectl, namespace, podsOf, setSidecarImage, startGssCluster, waitSettled, type Json } from '../gameserverset/helpers.js';
import { createGd, gdManifest, listPods, mergePatchGd, waitGd } from '../gamedeployment/helpers.js';
import { runHotpod } from '../helpers/cli.js';
import { waitFor } from '../helpers/cluster.js';

const hotpod = (c: Cluster, args: string[]) => runHotpod([...args, '--kubeconfig', c.kubeconfigPath], { timeoutMs: 180_000 });

async function ok(c: Cluster, args: string[]): Promise<string> {
  const r = await hotpod(c, args);
  assert.equal(r.code, 0, `hotpod ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const uids = (pods: Map<string, Json>) => new Map([...pods].map(([n, p]) => [n, p.metadata.uid]));

describe('hotpod rollout history, undo, pause and resume', { timeout: 600_000 }, () => {
  let c: Cluster;
  let ns: string;
  let pluginDir: string;

  before(async () => {
    c = await startGssCluster();
    ns = await namespace(c, 'cli-history');
    pluginDir = mkdtempSync(join(tmpdir(), 'hotpod-plugin-'));
  });
  after(async () => {
    await c?.cleanup();
    if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
  });

  it('history lists the revisions with their change causes; undo returns the pods in place; history renumbers', async () => {
    const manifest = gss('arena', ns, { replicas: 3 });
    manifest.metadata.annotations = { 'kubernetes.io/change-cause': 'first release' };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2']);
    await kubectl(c, ns, ['annotate', 'gss', 'arena', '--overwrite', 'kubernetes.io/change-cause=scripts v2']);
    await setSidecarImage(c, ns, 'arena', SIDECAR_V2);
    await ok(c, ['rollout', 'status', 'gss/arena', '-n', ns]);
    const before = uids(await podsOf(c, ns, 'arena'));

    assert.equal(await ok(c, ['rollout', 'history', 'gss/arena', '-n', ns]), ['gameserverset.game.kruise.io/arena', 'REVISION  CHANGE-CAUSE', '1         first release', '2         scripts v2', ''].join('\n'));
    const first = await ok(c, ['rollout', 'history', 'gss/arena', '-n', ns, '--revision', '1']);
    assert.match(first, /^gameserverset\.game\.kruise\.io\/arena with revision #1\nPod Template:\n/);
    assert.ok(first.includes(SIDECAR_V1) && !first.includes(SIDECAR_V2), first);

    assert.equal(await ok(c, ['rollout', 'undo', 'gss/arena', '-n', ns]), 'gameserverset.game.kruise.io/arena rolled back\n');
    await ok(c, ['rollout', 'status', 'gss/arena', '-n', ns]);
    const pods = await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2'], 'back on the first sidecar');
    for (const [name, p] of pods) {
      assert.equal(p.spec.containers.find((x: Json) => x.name === 'sidecar').image, SIDECAR_V1, name);
      assert.equal(p.metadata.uid, before.get(name), `${name} updated in place, not recreated`);
    }
    // The first revision is the newest again (3), as StatefulSet renumbers a rollback.
    const history = await ok(c, ['rollout', 'history', 'gss/arena', '-n', ns]);
    assert.deepEqual(history.trim().split('\n').slice(2).map((l) => l.split(/\s+/)[0]), ['2', '3'], history);
    assert.equal(await ok(c, ['rollout', 'undo', 'gss/arena', '-n', ns, '--to-revision', '3']), 'gameserverset.game.kruise.io/arena skipped rollback (current template already matches revision 3)\n');

    const missing = await hotpod(c, ['rollout', 'undo', 'gss/arena', '-n', ns, '--to-revision', '9']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: unable to find specified revision 9 in history\n');
    const gsUndo = await hotpod(c, ['rollout', 'undo', 'gs/arena-0', '-n', ns]);
    assert.equal(gsUndo.code, 1);
    assert.match(gsUndo.stderr, /^error: no rollout for gameservers/);
  });

  it('pause and resume write the set\'s paused, and say when there is nothing to do', async () => {
    assert.equal(await ok(c, ['rollout', 'pause', 'gss/arena', '-n', ns]), 'gameserverset.game.kruise.io/arena paused\n');
    assert.equal((await getGss(c, ns, 'arena')).spec.updateStrategy.rollingUpdate.paused, true);
    assert.equal(await ok(c, ['rollout', 'pause', 'gss/arena', '-n', ns]), 'gameserverset.game.kruise.io/arena already paused\n');
    // Paused, an image change moves no pod; resumed, it rolls.
    await setSidecarImage(c, ns, 'arena', SIDECAR_V2);
    await waitFor(async () => (await getGss(c, ns, 'arena')).status?.observedGeneration === (await getGss(c, ns, 'arena')).metadata.generation, 'the controller saw the paused change', WAIT_MS);
    assert.ok([...(await podsOf(c, ns, 'arena')).values()].every((p) => p.spec.containers[1].image === SIDECAR_V1), 'nothing updated while paused');
    assert.equal(await ok(c, ['rollout', 'resume', 'gss/arena', '-n', ns]), 'gameserverset.game.kruise.io/arena resumed\n');
    await ok(c, ['rollout', 'status', 'gss/arena', '-n', ns]);
    assert.ok([...(await podsOf(c, ns, 'arena')).values()].every((p) => p.spec.containers[1].image === SIDECAR_V2), 'updated once resumed');
    assert.equal(await ok(c, ['rollout', 'resume', 'gss/arena', '-n', ns]), 'gameserverset.game.kruise.io/arena already resumed\n');
  });

  it('kubectl hotpod rollout undo gd/NAME, as a kubectl 1.35 plugin, returns a hot-patched GameDeployment', async () => {
    await createGd(c, gdManifest('lobby', ns, { replicas: 2, type: 'HotPatchUpdate' }));
    await waitGd(c, ns, 'lobby', (g) => g.status?.updatedReadyReplicas === 2, 'lobby ready');
    await mergePatchGd(c, ns, 'lobby', { spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2' }] } } } });
    await ok(c, ['rollout', 'status', 'gd/lobby', '-n', ns]);
    const before = new Map((await listPods(c, ns, 'lobby')).map((p) => [p.metadata.name, p.metadata.uid]));

    const plugin = join(pluginDir, 'kubectl-hotpod');
    writeFileSync(plugin, `#!/bin/sh\nexec "${process.execPath}" "${cliPath()}" "$@"\n`);
    chmodSync(plugin, 0o755);
    const k = newestKubectl();
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(k.path, args, { env: { PATH: `${pluginDir}:${process.env.PATH}`, HOME: c.homeFor(k), KUBECONFIG: c.kubeconfigPath }, timeout: 120_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const list = await run(['plugin', 'list']);
    assert.match(list.stdout, /kubectl-hotpod/, list.stdout + list.stderr);
    const undo = await run(['hotpod', 'rollout', 'undo', 'gd/lobby', '-n', ns]);
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal(undo.stdout, 'gamedeployment.tkex.tencent.com/lobby rolled back\n');
    await ok(c, ['rollout', 'status', 'gd/lobby', '-n', ns]);
    const pods = await listPods(c, ns, 'lobby');
    for (const p of pods) {
      assert.equal(p.spec.containers[0].image, 'game/main:v1', p.metadata.name);
      assert.equal(p.metadata.uid, before.get(p.metadata.name), `${p.metadata.name} hot-patched back, not recreated`);
    }
    const history = await run(['hotpod', 'rollout', 'history', 'gd/lobby', '-n', ns]);
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(history.stdout.trim().split('\n').slice(2).map((l) => l.split(/\s+/)[0]), ['2', '3'], history.stdout);
  });
});
