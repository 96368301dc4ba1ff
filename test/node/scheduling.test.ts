// The embedded nodes and scheduler, through the API and kubectl: Node objects and Leases,
// spreading, nodeSelector, cordoned nodes and capacity, and pods that cannot be placed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiOk, kubectlOk, parseTable, type Cluster } from '../helpers/cluster.js';
import { condition, createNamespace, createPod, isReady, newestKubectl, podManifest, podPath, startNodeCluster, waitPod, type Json } from '../helpers/pods.js';

const NS = 'node-sched';

describe('embedded nodes and scheduler', { timeout: 180_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const kubectl = (args: string[]) => kubectlOk(k, c, args);
  const small = (name: string, extra: Parameters<typeof podManifest>[3] = {}) => podManifest(name, NS, [{ name: 'app', image: 'game/server:v1' }], extra);
  const nodeOf = (pod: Json) => String(pod.spec.nodeName);

  before(async () => {
    c = await startNodeCluster({ nodes: 3 });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('registers three Ready nodes with kubelet-like status and a Lease each', async () => {
    const t = parseTable(await kubectl(['get', 'nodes', '-o', 'wide']));
    assert.deepEqual(t.rows.map((r) => r.NAME), ['node-1', 'node-2', 'node-3']);
    for (const r of t.rows) {
      assert.equal(r.STATUS, 'Ready');
      assert.equal(r.VERSION, 'v1.35.0-hotpod');
      assert.match(r['INTERNAL-IP']!, new RegExp(`^127\\.\\d+\\.${r.NAME!.slice('node-'.length)}\\.1$`), 'each node its own loopback address (127.<site>.<i>.1)');
      assert.equal(r['CONTAINER-RUNTIME'], 'hotpod://0.1.0');
    }
    const node = await apiOk(c, 'GET', '/api/v1/nodes/node-2');
    assert.equal(node.metadata.labels['hotpod.dev/hot-patch'], 'true');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'node-2');
    const ready = (node.status.conditions as Json[]).find((x) => x.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason], ['True', 'KubeletReady']);
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      assert.equal((node.status.conditions as Json[]).find((x) => x.type === type)?.status, 'False', type);
    }
    // 127.<site>.2.1: site 0 unless another embedded plane on this machine holds it.
    const site = Number(/^127\.(\d+)\.2\.1$/.exec(node.status.addresses[0]?.address)?.[1]);
    assert.deepEqual(node.status.addresses, [
      { type: 'InternalIP', address: `127.${site}.2.1` },
      { type: 'Hostname', address: 'node-2' },
    ]);
    assert.equal(node.status.capacity.pods, '110');
    assert.ok(node.status.allocatable.cpu && node.status.allocatable.memory);
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.35.0-hotpod');
    assert.ok(node.status.daemonEndpoints.kubeletEndpoint.Port > 0);
    assert.equal(node.spec.podCIDR, `127.${100 + 4 * site}.2.0/24`);

    const leases = await apiOk(c, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    const byName = new Map((leases.items as Json[]).map((l) => [l.metadata.name, l]));
    for (const name of ['node-1', 'node-2', 'node-3']) {
      const lease = byName.get(name);
      assert.ok(lease, `lease ${name}`);
      assert.equal(lease.spec.holderIdentity, name);
      assert.equal(lease.spec.leaseDurationSeconds, 40);
      assert.ok(Date.now() - Date.parse(lease.spec.renewTime) < 15_000, 'renewed recently');
      assert.equal(lease.metadata.ownerReferences?.[0]?.kind, 'Node');
    }
  });

  it('spreads pods over the nodes, fewest pods first', async () => {
    for (let i = 0; i < 6; i++) await createPod(c, small(`spread-${i}`, { labels: { app: 'spread' } }));
    const pods: Json[] = [];
    for (let i = 0; i < 6; i++) pods.push(await waitPod(c, NS, `spread-${i}`, isReady, 'Ready'));
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(nodeOf(p), (perNode.get(nodeOf(p)) ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [2, 2, 2], JSON.stringify([...perNode]));
    const scheduled = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=spread-0,reason=Scheduled`);
    assert.equal(scheduled.items[0]?.message, `Successfully assigned ${NS}/spread-0 to ${nodeOf(pods[0]!)}`);
    await apiOk(c, 'DELETE', `${podPath(NS)}?labelSelector=app=spread`);
  });

  it('says why a pod cannot be scheduled, and places it once a node matches', async () => {
    await createPod(c, small('picky', { spec: { nodeSelector: { 'hotpod.test/disk': 'ssd' } } }));
    const pod = await waitPod(c, NS, 'picky', (p) => condition(p, 'PodScheduled')?.status === 'False', 'PodScheduled False');
    const scheduled = condition(pod, 'PodScheduled')!;
    assert.equal(scheduled.reason, 'Unschedulable');
    assert.equal(scheduled.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    const row = parseTable(await kubectl(['get', 'pod', 'picky', '-n', NS])).rows[0]!;
    assert.equal(row.STATUS, 'Pending');
    const describe = await kubectl(['describe', 'pod', 'picky', '-n', NS]);
    assert.match(describe, /FailedScheduling .*0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);

    await kubectl(['label', 'node', 'node-3', 'hotpod.test/disk=ssd']);
    const placed = await waitPod(c, NS, 'picky', isReady, 'scheduled and Ready');
    assert.equal(nodeOf(placed), 'node-3');
    assert.equal(condition(placed, 'PodScheduled')?.status, 'True');
  });

  it('skips cordoned nodes', async () => {
    for (const n of ['node-1', 'node-2', 'node-3']) await kubectl(['cordon', n]);
    try {
      await createPod(c, small('cordoned'));
      const pod = await waitPod(c, NS, 'cordoned', (p) => condition(p, 'PodScheduled')?.status === 'False', 'PodScheduled False');
      assert.equal(condition(pod, 'PodScheduled')?.message, '0/3 nodes are available: 3 node(s) were unschedulable.');
      await kubectl(['uncordon', 'node-2']);
      const placed = await waitPod(c, NS, 'cordoned', isReady, 'placed on the uncordoned node');
      assert.equal(nodeOf(placed), 'node-2');
    } finally {
      for (const n of ['node-1', 'node-3']) await kubectl(['uncordon', n]);
    }
  });

  it('honours capacity: a request larger than any node is refused', async () => {
    await createPod(c, podManifest('huge', NS, [{ name: 'app', image: 'game/server:v1', resources: { requests: { cpu: '5', memory: '1Gi' } } }]));
    const pod = await waitPod(c, NS, 'huge', (p) => condition(p, 'PodScheduled')?.status === 'False', 'PodScheduled False');
    assert.equal(condition(pod, 'PodScheduled')?.message, '0/3 nodes are available: 3 Insufficient cpu.');
    assert.equal(pod.status.qosClass, 'Burstable', 'qosClass set by the API server is kept');
  });
});
