// Containers restart after a hot-patch that went well: a crash, or `hotpod up` restarting every
// container. Neither is the hot-patch's fault, so neither may stop the next release. A hot-patch
// the node really carried out by restarting the container is still reported, and the release
// after it goes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/node/images/index.js';
import type { Cluster } from '../helpers/cluster.js';
import { createGd, describeEvents, ensureNs, gdManifest, getGd, kubectl, listPods, mainStatus, startGdCluster, waitGd, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-hotpatch-restarts';
const failedUpdate = (g: Json) => (g.status?.conditions ?? []).find((x: Json) => x.type === 'FailedUpdate');
const setImage = (c: Cluster, name: string, image: string) =>
  kubectl(c, ['patch', 'gamedeployment', name, '-n', NS, '--type=json', `-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"${image}"}]`]);
const allOn = (image: string, n: number) => (ps: Json[]) => ps.length === n && ps.every((p) => mainStatus(p).image === image && mainStatus(p).state?.running);

describe('hot-patched GameDeployment whose containers restart later', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 2, persistent: true });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a crash after a confirmed hot-patch is not blamed on it, and the next image rolls out', async () => {
    const name = 'crashy';
    // The first instance of each container exits 20 s after it started: after the hot-patch below.
    await createGd(c, gdManifest(name, NS, {
      replicas: 4,
      type: 'HotPatchUpdate',
      updateStrategy: { maxUnavailable: 4 },
      podAnnotations: { 'sim.hotpod.dev/crash-after-ms': '20000', 'sim.hotpod.dev/crash-times': '1' },
    }));
    await waitRow(c, NS, name, '4 4 4 4 4');
    const started = await listPods(c, NS, name);

    await setImage(c, name, 'game/main:v2');
    await waitRow(c, NS, name, '4 4 4 4 4');
    const patched = await waitPods(c, NS, name, allOn('game/main:v2', 4), 'all hot-patched to v2');
    for (const p of patched) {
      const was = started.find((s) => s.metadata.name === p.metadata.name)!;
      assert.equal(mainStatus(p).containerID, mainStatus(was).containerID, `${p.metadata.name} hot-patched in its container`);
    }

    const crashed = await waitPods(c, NS, name, (ps) => ps.every((p) => mainStatus(p).restartCount === 1 && mainStatus(p).state?.running), 'every container crashed once and runs again', 60_000);
    for (const p of crashed) assert.notEqual(mainStatus(p).containerID, mainStatus(patched.find((s) => s.metadata.name === p.metadata.name)!).containerID);

    await setImage(c, name, 'game/main:v3');
    await waitPods(c, NS, name, allOn('game/main:v3', 4), 'all hot-patched to v3');
    await waitRow(c, NS, name, '4 4 4 4 4');
    const gd = await getGd(c, NS, name);
    assert.equal(failedUpdate(gd), undefined, JSON.stringify(gd.status.conditions));
    const warnings = (await describeEvents(c, NS, name)).filter((e) => e.type === 'Warning');
    assert.deepEqual(warnings, []);
  });

  it('after `hotpod up` restarts (and so restarts every container) the next image still rolls out', async () => {
    const name = 'steady';
    await createGd(c, gdManifest(name, NS, { replicas: 3, type: 'HotPatchUpdate', updateStrategy: { maxUnavailable: 3 } }));
    await waitRow(c, NS, name, '3 3 3 3 3');
    await setImage(c, name, 'game/main:v2');
    await waitRow(c, NS, name, '3 3 3 3 3');
    const patched = await waitPods(c, NS, name, allOn('game/main:v2', 3), 'all hot-patched to v2');

    await c.restart();
    await waitPods(
      c, NS, name,
      (ps) => ps.length === 3 && ps.every((p) => mainStatus(p).state?.running && mainStatus(p).containerID !== mainStatus(patched.find((s) => s.metadata.name === p.metadata.name)!).containerID),
      'every container started again by the restarted node',
      90_000,
    );

    await setImage(c, name, 'game/main:v3');
    await waitPods(c, NS, name, allOn('game/main:v3', 3), 'all hot-patched to v3');
    await waitRow(c, NS, name, '3 3 3 3 3');
    const gd = await getGd(c, NS, name);
    assert.equal(failedUpdate(gd), undefined, JSON.stringify(gd.status.conditions));
  });

  it('a hot-patch the node carried out by restarting the container is reported; the release after it goes on', async () => {
    const name = 'moved';
    // A simulated container cannot be hot-patched to an image of the store (it runs as a real
    // process): the node restarts it instead, which is what the controller must report.
    const build = mkdtempSync(join(tmpdir(), 'hotpod-images-'));
    try {
      const store = new ImageStore(c.dataDir);
      for (const tag of ['proc/main:v3', 'proc/main:v4']) {
        const dir = join(build, tag.replace(/[/:]/g, '-'));
        mkdirSync(dir);
        writeFileSync(join(dir, 'hotpod-image.json'), JSON.stringify({ cmd: ['node', '-e', 'setInterval(() => {}, 1000)'] }));
        store.build(dir, [tag]);
      }
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    await createGd(c, gdManifest(name, NS, { replicas: 2, type: 'HotPatchUpdate', updateStrategy: { maxUnavailable: 2 } }));
    await waitRow(c, NS, name, '2 2 2 2 2');
    const started = await listPods(c, NS, name);

    await setImage(c, name, 'proc/main:v3');
    const gd = await waitGd(c, NS, name, (g) => failedUpdate(g)?.status === 'True', 'FailedUpdate condition');
    assert.equal(failedUpdate(gd).reason, 'HotPatchFailed');
    for (const p of started) assert.match(failedUpdate(gd).message, new RegExp(`${p.metadata.name}: container main was restarted \\(.+ → .+\\) instead of hot-patched`));
    // One Warning per new problem: both pods in one, or one each, as the node's reports fell into passes.
    const warnings = (await describeEvents(c, NS, name)).filter((e) => e.reason === 'FailedUpdatePodHotPatch');
    for (const p of started) assert.ok(warnings.some((w) => w.message.includes(`${p.metadata.name}: container main was restarted`)), JSON.stringify(warnings));

    await setImage(c, name, 'proc/main:v4');
    const moved = await waitPods(c, NS, name, allOn('proc/main:v4', 2), 'all hot-patched to v4');
    for (const p of moved) assert.equal(mainStatus(p).restartCount, 1, `${p.metadata.name}: restarted once (for v3), hot-patched for v4`);
    await waitRow(c, NS, name, '2 2 2 2 2');
    await waitGd(c, NS, name, (g) => failedUpdate(g) === undefined, 'FailedUpdate cleared');
  });
});
