// Scale-down order by BCS's deletion costs, through kubectl: the pods'
// controller.kubernetes.io/pod-deletion-cost (lower first, or higher first with the
// GameDeployment's io.tencent.bcs.dev/pod-deletion-cost-sort-method: descend), the nodes'
// io.tencent.bcs.dev/node-deletion-cost compared before them, pods without a cost last.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../helpers/cluster.js';
import { createGd, describeEvents, ensureNs, gdManifest, isReady, kubectl, live, startGdCluster, waitGd, waitPods, waitRow, type Json } from './helpers.js';

const NS = 'gd-cost';
const POD_COST = 'controller.kubernetes.io/pod-deletion-cost';
const NODE_COST = 'io.tencent.bcs.dev/node-deletion-cost';
const SORT = 'io.tencent.bcs.dev/pod-deletion-cost-sort-method';

describe('GameDeployment scale-down by deletion cost', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 3 });
    await ensureNs(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  /** A GameDeployment of `n` ready pods, by name. */
  async function readyPods(name: string, n: number, annotations?: Record<string, string>): Promise<Json[]> {
    await createGd(c, gdManifest(name, NS, { replicas: n, type: 'HotPatchUpdate', annotations }));
    await waitRow(c, NS, name, `${n} ${n} ${n} ${n} ${n}`);
    return waitPods(c, NS, name, (ps) => live(ps).length === n && ps.every(isReady), `${n} ready pods`);
  }

  const annotatePod = (p: Json, key: string, value: string | number) => kubectl(c, ['annotate', 'pod', p.metadata.name, '-n', NS, '--overwrite', `${key}=${value}`]);

  /** kubectl scale down to `to`; returns the names deleted (pods gone, and new SuccessfulDelete Events). */
  async function scaleDown(name: string, pods: Json[], to: number): Promise<string[]> {
    const deletesOf = async () => (await describeEvents(c, NS, name)).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
    const earlier = new Set(await deletesOf());
    await kubectl(c, ['scale', 'gamedeployment', name, '-n', NS, `--replicas=${to}`]);
    await waitRow(c, NS, name, `${to} ${to} ${to} ${to} ${to}`);
    const left = await waitPods(c, NS, name, (ps) => ps.length === to, `${pods.length - to} pods gone`);
    const gone = pods.map((p) => p.metadata.name).filter((n) => !left.some((p) => p.metadata.name === n)).sort();
    const deletes = (await deletesOf()).filter((m) => !earlier.has(m)).sort();
    assert.deepEqual(deletes, gone.map((n) => `succeed to delete pod ${n}`));
    return gone;
  }

  it('ascend (the default): the lowest pod costs go first, a pod without a cost last; the pre-2022 name is not read', async () => {
    const pods = await readyPods('asc', 5);
    const costs = [10, 1, undefined, 5, -2.5];
    for (const [i, p] of pods.entries()) if (costs[i] !== undefined) await annotatePod(p, POD_COST, costs[i]!);
    // The name BCS read before 2022, on the pod without a cost: not read, and the GameDeployment says so.
    await annotatePod(pods[2]!, 'io.tencent.bcs.dev/pod-deletion-cost', -100);
    const said = await waitGd(c, NS, 'asc', (g) => (g.status?.conditions ?? []).some((x: Json) => x.type === 'FieldsNotActedOn' && x.status === 'True'), 'FieldsNotActedOn names the old annotation', 60_000);
    const gone = await scaleDown('asc', pods, 2);
    assert.deepEqual(gone, [pods[1]!, pods[3]!, pods[4]!].map((p) => p.metadata.name).sort(), 'costs -2.5, 1 and 5 go; 10 and the one without a cost stay');
    const cond = said.status.conditions.find((x: Json) => x.type === 'FieldsNotActedOn');
    assert.match(cond.message, new RegExp(`annotation io\\.tencent\\.bcs\\.dev/pod-deletion-cost \\(pods ${pods[2]!.metadata.name}\\) is not read`));
    assert.ok((await describeEvents(c, NS, 'asc')).some((e) => e.type === 'Warning' && e.reason === 'FieldsNotActedOn'));
  });

  it('descend: the highest pod costs go first, a pod without a cost still last', async () => {
    const pods = await readyPods('desc', 4, { [SORT]: 'descend' });
    const costs = [3, undefined, 7, -1];
    for (const [i, p] of pods.entries()) if (costs[i] !== undefined) await annotatePod(p, POD_COST, costs[i]!);
    assert.deepEqual(await scaleDown('desc', pods, 2), [pods[0]!, pods[2]!].map((p) => p.metadata.name).sort(), 'costs 7 and 3 go');
    assert.deepEqual(await scaleDown('desc', pods.filter((_, i) => i === 1 || i === 3), 1), [pods[3]!.metadata.name], 'then -1; the pod without a cost stays');
  });

  it('node costs come first (lower first, either sort method), then pod costs; a node without a cost last', async () => {
    const pods = await readyPods('nodes', 6, { [SORT]: 'descend' });
    const byNode = new Map<string, Json[]>();
    for (const p of pods) byNode.set(p.spec.nodeName, [...(byNode.get(p.spec.nodeName) ?? []), p]);
    const nodes = [...byNode.keys()].sort();
    assert.ok(nodes.length >= 2, `pods on ${nodes.length} node(s): the test needs two`);
    // The cheapest node's pods carry the lowest pod costs, the others the highest: with descend
    // alone the others would go first; the node cost sends the cheap node's pods first.
    const [cheap, dear] = nodes;
    await kubectl(c, ['annotate', 'node', cheap!, '--overwrite', `${NODE_COST}=1`]);
    await kubectl(c, ['annotate', 'node', dear!, '--overwrite', `${NODE_COST}=2`]);
    for (const p of pods) await annotatePod(p, POD_COST, p.spec.nodeName === cheap ? 0 : 100);
    const onCheap = byNode.get(cheap!)!;
    const onDear = byNode.get(dear!)!;
    // Take the cheap node's pods and one of the dear node's (any: they cost the same).
    const gone = await scaleDown('nodes', pods, pods.length - onCheap.length - 1);
    for (const p of onCheap) assert.ok(gone.includes(p.metadata.name), `${p.metadata.name} on the cheapest node goes first`);
    const third = gone.filter((n) => !onCheap.some((p) => p.metadata.name === n));
    assert.equal(third.length, 1);
    assert.ok(onDear.some((p) => p.metadata.name === third[0]), `then a pod on node ${dear} (cost 2), not on a node without a cost`);
    for (const n of nodes) await kubectl(c, ['annotate', 'node', n, `${NODE_COST}-`]).catch(() => '');
  });
});
