// Where a user sees which runtime runs a container: an image missing from the store (a typo, or
// one built into another data dir) runs simulated, and says so in a pod event and in the RUNTIME
// column of `hotpod node ps`; `node ps -a` lists a replaced container as Exited, as `docker ps
// -a` does; `hotpod image rm` refuses an image a running container uses, as docker does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiOk, kubectlOk, parseTable, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { runHotpod } from '../helpers/cli.js';
import { containerStatus, createNamespace, createPod, isReady, newestKubectl, podManifest, waitPod, type Json } from '../helpers/pods.js';

const NS = 'runtime-choice';

describe('which runtime runs a container, as a user sees it', { timeout: 180_000 }, () => {
  let c: Cluster;
  let root: string;
  let dataDir: string;
  const k = newestKubectl();
  const hotpod = (args: string[]) => runHotpod([...args, '--data-dir', dataDir]);
  const ps = async (...args: string[]) => {
    const r = await hotpod(['node', 'ps', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return parseTable(r.stdout);
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hotpod-runtime-choice-'));
    dataDir = join(root, 'data');
    const build = join(root, 'build');
    mkdirSync(build);
    writeFileSync(join(build, 'server.cjs'), 'setInterval(() => {}, 1000);\nprocess.on("SIGTERM", () => process.exit(0));\n');
    writeFileSync(join(build, 'hotpod-image.json'), JSON.stringify({ cmd: ['node', 'server.cjs'] }));
    const built = await hotpod(['image', 'build', build, '-t', 'game:1']);
    assert.equal(built.code, 0, built.stderr);
    process.env.HOTPOD_NODES = '1';
    c = await startCluster({ dataDir, inMemory: true });
    await createNamespace(c, NS);
    // `gmae:1` is the typo: not in the store, so simulated.
    await createPod(c, podManifest('arena', NS, [{ name: 'game', image: 'game:1' }, { name: 'typo', image: 'gmae:1' }], { spec: { terminationGracePeriodSeconds: 5 } }));
    await waitPod(c, NS, 'arena', isReady, 'Ready', 60_000);
  });
  after(async () => {
    await c?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a Normal event on the pod names the runtime of each container, and why', async () => {
    const events = await waitFor(async () => {
      const list = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=arena,reason=RuntimeSelected`);
      return list.items.length === 2 ? (list.items as Json[]) : undefined;
    }, 'a RuntimeSelected event per container');
    const byContainer = new Map(events.map((e) => [e.involvedObject.fieldPath, e]));
    const store = join(dataDir, 'images');
    assert.equal(byContainer.get('spec.containers{typo}')?.message, `image "gmae:1" is not in the image store at ${store}: running it on the simulated runtime`);
    assert.equal(byContainer.get('spec.containers{game}')?.message, `image "game:1" is in the image store at ${store}: running it as a process`);
    for (const e of events) assert.equal(e.type, 'Normal');
    // What `kubectl describe pod` shows a user.
    const described = await kubectlOk(k, c, ['describe', 'pod', 'arena', '-n', NS]);
    assert.match(described, /RuntimeSelected .*image "gmae:1" is not in the image store at .*: running it on the simulated runtime/);
  });

  it('hotpod node ps has a RUNTIME column: process or simulated', async () => {
    const table = await ps();
    assert.ok(table.headers.includes('RUNTIME'), table.headers.join(' '));
    const runtimeOf = (container: string) => table.rows.find((r) => r.NAMES!.startsWith(`k8s_${container}_arena_${NS}_`))?.RUNTIME;
    assert.equal(runtimeOf('game'), 'process');
    assert.equal(runtimeOf('typo'), 'simulated');
  });

  it('hotpod node ps -a lists the container an image change replaced, Exited', async () => {
    const before_ = containerStatus((await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/arena`)) as Json, 'typo');
    const oldId = before_.containerID.replace(/^\w+:\/\//, '').slice(0, 12);
    await kubectlOk(k, c, ['set', 'image', 'pod/arena', 'typo=gmae:2', '-n', NS]);
    await waitPod(c, NS, 'arena', (p) => containerStatus(p, 'typo').restartCount === 1 && isReady(p), 'typo restarted with gmae:2');
    const running = await ps();
    assert.equal(running.rows.find((r) => r['CONTAINER ID'] === oldId), undefined, 'without -a the exited container is not listed');
    const all = await ps('-a');
    const old = all.rows.find((r) => r['CONTAINER ID'] === oldId);
    assert.ok(old, `the replaced container ${oldId} is listed by -a:\n${JSON.stringify(all.rows, null, 1)}`);
    assert.equal(old.IMAGE, 'gmae:1');
    assert.match(old.STATUS!, /^Exited \(0\) (Less than a second|\d+ seconds?) ago$/);
    assert.ok(all.rows.some((r) => r.IMAGE === 'gmae:2' && /^Up /.test(r.STATUS!)), 'and the new one runs');
  });

  it('hotpod image rm refuses an image a running container uses, with docker\'s message', async () => {
    const game = containerStatus((await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/arena`)) as Json, 'game');
    const container = game.containerID.replace(/^\w+:\/\//, '').slice(0, 12);
    const imageId = (await hotpod(['image', 'ls', '-q'])).stdout.trim();
    assert.match(imageId, /^[0-9a-f]{12}$/);

    const byTag = await hotpod(['image', 'rm', 'game:1']);
    assert.equal(byTag.code, 1);
    assert.equal(byTag.stderr, `Error: conflict: unable to remove repository reference "game:1" (must force) - container ${container} is using its referenced image ${imageId}\n`);
    const byId = await hotpod(['image', 'rm', imageId]);
    assert.equal(byId.code, 1);
    assert.equal(byId.stderr, `Error: conflict: unable to delete ${imageId} (cannot be forced) - image is being used by running container ${container}\n`);
    assert.match((await hotpod(['image', 'ls'])).stdout, /^game\s+1\s/m, 'the image is still there');

    // A second tag may go (the image keeps one), and -f removes the last one anyway.
    assert.equal((await hotpod(['image', 'build', join(root, 'build'), '-t', 'game:copy'])).code, 0);
    assert.deepEqual(await hotpod(['image', 'rm', 'game:copy']), { code: 0, stdout: 'Untagged: game:copy\n', stderr: '' });
    const forced = await hotpod(['image', 'rm', '-f', 'game:1']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^Untagged: game:1\nDeleted: sha256:[0-9a-f]{64}\n$/);
  });
});
