// `hotpod get` and `hotpod rollout status` run as a user runs them (the built CLI, a kubeconfig)
// against an embedded cluster with nodes, during real rollouts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable, type Cluster } from '../helpers/cluster.js';
import { SIDECAR_V2, applyGss, gss, namespace, setSidecarImage, startGssCluster, waitSettled } from '../gameserverset/helpers.js';
import { createGd, gdManifest, mergePatchGd } from '../gamedeployment/helpers.js';
import { runHotpod } from '../helpers/cli.js';

const hotpod = (c: Cluster, args: string[], timeoutMs = 180_000) => runHotpod([...args, '--kubeconfig', c.kubeconfigPath], { timeoutMs });

describe('hotpod get and hotpod rollout status', { timeout: 600_000 }, () => {
  let c: Cluster;
  let ns: string;

  before(async () => {
    c = await startGssCluster();
    ns = await namespace(c, 'cli-rollout');
  });
  after(async () => {
    await c?.cleanup();
  });

  it('rollout status follows an in-place update to the end, then get shows it complete', async () => {
    // Slow readiness so that the rollout is still running when the CLI starts watching.
    await applyGss(c, gss('arena', ns, { replicas: 3, annotations: { 'sim.hotpod.dev/ready-delay-ms': '3000' } }));
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2']);
    await setSidecarImage(c, ns, 'arena', SIDECAR_V2);
    const r = await hotpod(c, ['rollout', 'status', 'gss/arena', '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'gameserverset "arena" successfully rolled out');
    assert.ok(lines.length >= 2, `progress lines before the end:\n${r.stdout}`);
    for (const l of lines.slice(0, -1)) assert.match(l, /^Waiting for (rollout to finish: .*\.\.\.|gameserverset spec update to be observed\.\.\.)$/);
    assert.ok(!r.stdout.includes('\x1b['), 'no terminal redraws when stdout is not a terminal');

    const get = await hotpod(c, ['get', 'gss', '-n', ns]);
    assert.equal(get.code, 0, get.stderr);
    const t = parseTable(get.stdout);
    assert.deepEqual(t.headers, ['NAME', 'DESIRED', 'CURRENT', 'UPDATED', 'READY', 'MAINTAINING', 'WAITTOBEDELETED', 'PREDELETE', 'ROLLOUT', 'AGE']);
    assert.deepEqual(
      t.rows.map((row) => [row.NAME, row.DESIRED, row.UPDATED, row.READY, row.ROLLOUT]),
      [['arena', '3', '3', '3', '[##########] 100%']],
    );
  });

  it('rollout status of a partitioned GameDeployment ends with "partitioned roll out complete"', async () => {
    await createGd(c, gdManifest('lobby', ns, { replicas: 4, type: 'HotPatchUpdate', updateStrategy: { partition: 1 } }));
    const first = await hotpod(c, ['rollout', 'status', 'gd/lobby', '-n', ns]);
    assert.equal(first.code, 0, first.stderr);
    await mergePatchGd(c, ns, 'lobby', { spec: { template: { spec: { containers: [{ name: 'main', image: 'game/main:v2' }] } } } });
    const r = await hotpod(c, ['rollout', 'status', 'gamedeployment', 'lobby', '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').at(-1), 'partitioned roll out complete: 3 new pods have been updated...');

    const all = await hotpod(c, ['get', '-n', ns]);
    assert.equal(all.code, 0, all.stderr);
    const tables = all.stdout.trim().split('\n\n').map(parseTable);
    assert.deepEqual(
      tables.map((t) => t.rows.map((row) => row.NAME)),
      [['gameserverset.game.kruise.io/arena'], ['gameserver.game.kruise.io/arena-0', 'gameserver.game.kruise.io/arena-1', 'gameserver.game.kruise.io/arena-2'], ['gamedeployment.tkex.tencent.com/lobby']],
    );
    const lobby = tables[2]!.rows[0]!;
    assert.deepEqual([lobby.DESIRED, lobby.UPDATED, lobby.UPDATED_READY, lobby.TOTAL, lobby.ROLLOUT], ['4', '3', '3', '4', '[##########] 100%']);
  });

  it('a rollout that cannot finish: --timeout ends it with one line and exit 1; --watch=false reports once', async () => {
    await applyGss(c, gss('stuck', ns, { replicas: 2, annotations: { 'sim.hotpod.dev/never-ready': 'true' } }));
    const r = await hotpod(c, ['rollout', 'status', 'gss/stuck', '-n', ns, '--timeout', '3s']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: timed out waiting for the condition\n');
    assert.match(r.stdout, /^Waiting for /);
    const once = await hotpod(c, ['rollout', 'status', 'gss/stuck', '-n', ns, '--watch=false']);
    assert.equal(once.code, 0, once.stderr);
    assert.equal(once.stdout.trim().split('\n').length, 1);
    assert.match(once.stdout, /^Waiting for rollout to finish: 0 of 2 updated replicas are ready\.\.\.\n$/);

    const get = await hotpod(c, ['get', 'gss', 'stuck', '-n', ns]);
    assert.equal(parseTable(get.stdout).rows[0]!.ROLLOUT, '[----------] 0%');
  });

  it('a missing object or type is one line on stderr and exit 1', async () => {
    const missing = await hotpod(c, ['rollout', 'status', 'gss/nope', '-n', ns]);
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error from server (NotFound): gameserversets.game.kruise.io "nope" not found\n']);
    const get = await hotpod(c, ['get', 'gd', 'nope', '-n', ns]);
    assert.deepEqual([get.code, get.stderr], [1, 'Error from server (NotFound): gamedeployments.tkex.tencent.com "nope" not found\n']);
    const type = await hotpod(c, ['get', 'deployments']);
    assert.equal(type.code, 1);
    assert.equal(type.stderr.trim().split('\n').length, 1);
    const empty = await hotpod(c, ['get', 'gss', '-n', 'default']);
    assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, '', 'No resources found in default namespace.\n']);
  });
});
