// BCS's pod index: a GameDeployment annotated gamedeployment-index-on / -index-range gives each
// pod the lowest free index of the range, as its annotation gamedeployment-index-id and as
// POD_INDEX in its containers' environment (read here in the container, through kubectl exec of
// a process-runtime pod). A terminating pod keeps its index; once it is gone a replacement reuses
// it; with every index held a pod is made without one. A range that cannot be used stops
// scaling: FailedScale and a Warning Event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/node/images/index.js';
import { runKubectl, type Cluster } from '../helpers/cluster.js';
import { describeEvents, ensureNs, gdManifest, isReady, kubectl, kubectl135, listPods, live, startGdCluster, waitGd, waitPods, type Json } from './helpers.js';

const NS = 'gd-index';
const ON = 'tkex.bkbcs.tencent.com/gamedeployment-index-on';
const RANGE = 'tkex.bkbcs.tencent.com/gamedeployment-index-range';
const INDEX = 'tkex.bkbcs.tencent.com/gamedeployment-index-id';
/** A real process that outlives SIGTERM until its grace period ends: its pod stays terminating a while. */
const IMAGE = 'proc/indexed:v1';

const indexOf = (p: Json) => p.metadata.annotations?.[INDEX];
const indexes = (ps: Json[]) => live(ps).map(indexOf).sort();

describe('GameDeployment pod index (POD_INDEX)', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 2 });
    await ensureNs(c, NS);
    const build = mkdtempSync(join(tmpdir(), 'hotpod-images-'));
    try {
      writeFileSync(join(build, 'hotpod-image.json'), JSON.stringify({ cmd: ['node', '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'] }));
      new ImageStore(c.dataDir).build(build, [IMAGE]);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });
  after(async () => {
    await c?.cleanup();
  });

  it('each pod gets the lowest free index, as an annotation and as POD_INDEX in the container; a replacement reuses a freed index', async () => {
    const name = 'indexed';
    const gd = gdManifest(name, NS, { replicas: 3, type: 'HotPatchUpdate', image: IMAGE, annotations: { [ON]: 'true', [RANGE]: '{"podStartIndex": 5, "podEndIndex": 9}' }});
    gd.spec.template = {
      metadata: { labels: { app: name } },
      spec: { terminationGracePeriodSeconds: 4, containers: [{ name: 'main', image: IMAGE, env: [{ name: 'ROLE', value: 'game' }] }] },
    };
    assert.match(await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) }), /gamedeployment.tkex.tencent.com\/indexed created/);
    const pods = await waitPods(c, NS, name, (ps) => live(ps).length === 3 && ps.every(isReady), '3 ready pods');
    assert.deepEqual(indexes(pods), ['5', '6', '7']);
    for (const p of pods) {
      assert.deepEqual(p.spec.containers[0].env, [{ name: 'ROLE', value: 'game' }, { name: 'POD_INDEX', value: indexOf(p) }], 'POD_INDEX after the template\'s env');
      const r = await runKubectl(kubectl135(), c, ['exec', p.metadata.name, '-n', NS, '-c', 'main', '--', 'node', '-e', 'console.log(process.env.POD_INDEX, process.env.ROLE)']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${indexOf(p)} game\n`, `${p.metadata.name}: POD_INDEX as the container sees it`);
    }

    // Index 5's pod terminates for 4 s: its replacement takes 8, the lowest index no pod holds.
    const five = pods.find((p) => indexOf(p) === '5')!;
    await kubectl(c, ['delete', 'pod', five.metadata.name, '-n', NS, '--wait=false']);
    const replaced = await waitPods(c, NS, name, (ps) => live(ps).length === 3 && !ps.some((p) => p.metadata.name === five.metadata.name), `${five.metadata.name} gone, replaced`, 60_000);
    assert.deepEqual(indexes(replaced), ['6', '7', '8'], 'the terminating pod kept 5');
    // Index 5 is free now: the next replacement reuses it.
    const six = replaced.find((p) => indexOf(p) === '6')!;
    await kubectl(c, ['delete', 'pod', six.metadata.name, '-n', NS, '--wait=false']);
    const again = await waitPods(c, NS, name, (ps) => live(ps).length === 3 && !ps.some((p) => p.metadata.name === six.metadata.name), `${six.metadata.name} gone, replaced`, 60_000);
    assert.deepEqual(indexes(again), ['5', '7', '8']);

    // Two pods terminating at once: one replacement takes 6, the last free index; the other is
    // made without an index (as BCS makes it), and a Warning Event says so.
    const gone = again.filter((p) => ['5', '7'].includes(indexOf(p)));
    await kubectl(c, ['delete', 'pod', ...gone.map((p) => p.metadata.name), '-n', NS, '--wait=false']);
    const last = await waitPods(c, NS, name, (ps) => live(ps).length === 3 && ps.filter((p) => !p.metadata.deletionTimestamp && !again.some((q) => q.metadata.name === p.metadata.name)).length === 2, 'two replacements', 60_000);
    const fresh = live(last).filter((p) => !again.some((q) => q.metadata.name === p.metadata.name));
    assert.deepEqual(fresh.map(indexOf).sort(), ['6', undefined]);
    const bare = fresh.find((p) => indexOf(p) === undefined)!;
    assert.ok(!bare.spec.containers[0].env.some((e: Json) => e.name === 'POD_INDEX'), 'no POD_INDEX without an index');
    const warned = (await describeEvents(c, NS, name)).filter((e) => e.type === 'Warning' && e.reason === 'PodIndexExhausted');
    assert.deepEqual(warned.map((e) => e.message), [`pod ${bare.metadata.name} created without a pod index: every index of [5, 9) is held by a pod, terminating ones included`]);
  });

  it('a range that cannot be used stops scaling: FailedScale (InvalidIndexRange) and a Warning Event; fixed, the pods come', async () => {
    const name = 'badrange';
    const gd = gdManifest(name, NS, { replicas: 2, type: 'HotPatchUpdate', annotations: { [ON]: 'true', [RANGE]: '{"podStartIndex": 3, "podEndIndex": 2}' } });
    await kubectl(c, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gd) });
    const failed = await waitGd(c, NS, name, (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedScale' && x.status === 'True'), 'FailedScale');
    const cond = failed.status.conditions.find((x: Json) => x.type === 'FailedScale');
    assert.equal(cond.reason, 'InvalidIndexRange');
    assert.match(cond.message, /invalid index range \[3, 2\)/);
    assert.ok((await describeEvents(c, NS, name)).some((e) => e.type === 'Warning' && e.reason === 'FailedScale' && /^failed to scale: .*invalid index range/.test(e.message)));
    assert.equal((await listPods(c, NS, name)).length, 0, 'nothing created');

    // Two indexes for three replicas: refused as BCS refuses it.
    await kubectl(c, ['annotate', 'gamedeployment', name, '-n', NS, '--overwrite', `${RANGE}={"podStartIndex": 0, "podEndIndex": 2}`]);
    await kubectl(c, ['scale', 'gamedeployment', name, '-n', NS, '--replicas=3']);
    await waitGd(c, NS, name, (g) => /scale replicas 3 gt available indexs 2/.test(g.status?.conditions?.find((x: Json) => x.type === 'FailedScale')?.message ?? ''), 'FailedScale: too few indexes');
    await kubectl(c, ['annotate', 'gamedeployment', name, '-n', NS, '--overwrite', `${RANGE}={"podEndIndex": 3}`]);
    const pods = await waitPods(c, NS, name, (ps) => live(ps).length === 3, '3 pods');
    assert.deepEqual(indexes(pods), ['0', '1', '2'], 'podStartIndex defaults to 0');
    await waitGd(c, NS, name, (g) => g.status?.replicas === 3 && !(g.status?.conditions ?? []).some((x: Json) => x.type === 'FailedScale'), 'FailedScale cleared, 3 replicas');
  });
});
