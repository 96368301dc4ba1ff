// A GameServer as OpenKruiseGame keeps it: reclaimPolicy Cascade (owned by its pod, made again
// with a new pod: opsState back to None) or Delete (owned by the set, outlives its pod), the
// game.kruise.io/node-name label, status.podStatus (the whole pod status), the PodNormal and
// NodeNormal conditions with a Warning Event when one turns False, the "State turn from X to Y"
// Events, and spec.containers resources applied to a pod when it is made. All through kubectl 1.35.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, waitFor, type Cluster } from '../helpers/cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { WAIT_MS, getGs, gss, kubectl, namespace, podsOf, startGssCluster, waitSettled, type Json } from './helpers.js';

const OPS_LABEL = 'game.kruise.io/gs-opsState';

function gsCondition(gs: Json, type: string): Json | undefined {
  return ((gs.status?.conditions ?? []) as Json[]).find((c) => c.type === type);
}

/** Events about one GameServer, as `kubectl get events` lists them. */
async function gameServerEvents(c: Cluster, ns: string, name: string): Promise<Json[]> {
  const out = await kubectl(c, ns, ['get', 'events', '--field-selector', `involvedObject.kind=GameServer,involvedObject.name=${name}`, '-o', 'json']);
  return JSON.parse(out).items as Json[];
}

async function kubectlJson(c: Cluster, ns: string, args: string[]): Promise<Json> {
  return JSON.parse(await kubectl(c, ns, [...args, '-o', 'json']));
}

/** Applies a set under strict field validation (every field must be known to the schema). */
async function applyStrict(c: Cluster, manifest: Json): Promise<void> {
  await kubectl(c, manifest.metadata.namespace, ['apply', '--validate=strict', '-f', '-'], { input: toYaml(manifest) });
}

describe('GameServers as OpenKruiseGame keeps them', { timeout: 600_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('reclaimPolicy Cascade (the default): the GameServer is its pod\'s, and a deleted pod comes back with a new one (opsState None)', async () => {
    const ns = await namespace(c, 'gs-cascade');
    const manifest = gss('cas', ns, { replicas: 1 });
    manifest.spec.gameServerTemplate.reclaimPolicy = 'Cascade';
    await applyStrict(c, manifest);
    const pod = (await waitSettled(c, ns, 'cas', ['cas-0'])).get('cas-0')!;
    const first = await waitFor(async () => {
      const gs = await kubectlJson(c, ns, ['get', 'gameserver', 'cas-0']);
      return gs.status?.currentState === 'Ready' ? gs : undefined;
    }, 'GameServer cas-0 Ready', WAIT_MS);
    const owner = (first.metadata.ownerReferences as Json[]).find((r) => r.controller);
    assert.deepEqual([owner?.kind, owner?.name, owner?.uid], ['Pod', 'cas-0', pod.metadata.uid]);

    // Resources reach a pod only when it is made, and a Cascade GameServer never sees its pod made: said so.
    const containers = [{ name: 'engine', resources: { requests: { cpu: '100m' } } }];
    await kubectl(c, ns, ['patch', 'gameserver', 'cas-0', '--type=merge', '-p', JSON.stringify({ spec: { opsState: 'Maintaining', deletionPriority: 5, containers } })]);
    await waitFor(async () => (await podsOf(c, ns, 'cas')).get('cas-0')?.metadata.labels[OPS_LABEL] === 'Maintaining', 'pod cas-0 mirrors Maintaining', WAIT_MS);
    const ignored = await waitFor(async () => gsCondition(await getGs(c, ns, 'cas-0'), 'FieldsNotActedOn'), 'GameServer cas-0 FieldsNotActedOn', WAIT_MS);
    assert.equal(ignored.status, 'True');
    assert.match(ignored.message, /^spec\.containers\[engine\]\.resources: applied only when a pod is made/);
    const warned = await gameServerEvents(c, ns, 'cas-0');
    assert.ok(warned.some((e) => e.type === 'Warning' && e.reason === 'FieldsNotActedOn' && e.message === ignored.message), JSON.stringify(warned.map((e) => [e.reason, e.message])));
    await kubectl(c, ns, ['delete', 'pod', 'cas-0', '--wait=false']);

    const again = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'cas')).get('cas-0');
      const r = await api(c, 'GET', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/cas-0`);
      if (!p || p.metadata.uid === pod.metadata.uid || r.status !== 200) return undefined;
      const gs = r.body as Json;
      return gs.metadata.uid !== first.metadata.uid && gs.status?.currentState === 'Ready' && p.metadata.labels[OPS_LABEL] ? { p, gs } : undefined;
    }, 'a new pod cas-0 with a new, Ready GameServer', WAIT_MS);
    assert.equal(again.gs.spec.opsState, 'None');
    assert.equal(again.gs.spec.deletionPriority, 0);
    assert.equal(again.gs.spec.containers, undefined);
    assert.equal(gsCondition(again.gs, 'FieldsNotActedOn'), undefined);
    assert.equal(again.p.metadata.labels[OPS_LABEL], 'None');
    assert.equal((again.gs.metadata.ownerReferences as Json[]).find((r) => r.controller)?.uid, again.p.metadata.uid);
  });

  it('reclaimPolicy Delete: the GameServer is the set\'s, outlives a deleted pod (opsState kept, resources applied to the new pod), and goes on scale-down', async () => {
    const ns = await namespace(c, 'gs-delete');
    // Its pod takes 3 s to stop: Deleting lasts past the 1 s a transient state waits to be reported.
    const manifest = gss('del', ns, { replicas: 1, annotations: { 'sim.hotpod.dev/stop-delay-ms': '3000' } });
    manifest.spec.gameServerTemplate.reclaimPolicy = 'Delete';
    await applyStrict(c, manifest);
    const pod = (await waitSettled(c, ns, 'del', ['del-0'])).get('del-0')!;
    const first = await kubectlJson(c, ns, ['get', 'gameserver', 'del-0']);
    const owner = (first.metadata.ownerReferences as Json[]).find((r) => r.controller);
    assert.deepEqual([owner?.kind, owner?.name], ['GameServerSet', 'del']);

    // Resources are taken when a pod is made (OKG's pod webhook); the running pod keeps its own.
    const resources = { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m' } };
    await kubectl(c, ns, ['patch', 'gameserver', 'del-0', '--type=merge', '-p', JSON.stringify({ spec: { opsState: 'Maintaining', containers: [{ name: 'engine', resources }] } })]);
    await waitFor(async () => (await podsOf(c, ns, 'del')).get('del-0')?.metadata.labels[OPS_LABEL] === 'Maintaining', 'pod del-0 mirrors Maintaining', WAIT_MS);
    const running = (await podsOf(c, ns, 'del')).get('del-0')!;
    assert.equal(running.spec.containers.find((x: Json) => x.name === 'engine').resources?.requests?.cpu, undefined);

    await kubectl(c, ns, ['delete', 'pod', 'del-0', '--wait=false']);
    const next = await waitFor(async () => {
      const p = (await podsOf(c, ns, 'del')).get('del-0');
      return p && p.metadata.uid !== pod.metadata.uid && p.metadata.labels[OPS_LABEL] ? p : undefined;
    }, 'a new pod del-0', WAIT_MS);
    const gs = await getGs(c, ns, 'del-0');
    assert.equal(gs.metadata.uid, first.metadata.uid, 'the same GameServer');
    assert.equal(gs.spec.opsState, 'Maintaining');
    assert.equal(next.metadata.labels[OPS_LABEL], 'Maintaining', 'the new pod is made with the opsState');
    const engine = next.spec.containers.find((x: Json) => x.name === 'engine');
    assert.deepEqual(engine.resources, resources);

    const events = await waitFor(async () => {
      const es = await gameServerEvents(c, ns, 'del-0');
      return es.some((e) => /^State turn from Deleting to (Creating|Ready) $/.test(e.message)) ? es : undefined;
    }, 'Event "State turn from Deleting to ..."', WAIT_MS);
    const shapes = JSON.stringify(events.map((e) => [e.type, e.reason, e.message]));
    assert.equal(events.find((e) => e.message === 'OpsState turn from None to Maintaining ')?.type, 'Warning', shapes);
    const deleting = events.find((x) => x.message === 'State turn from Ready to Deleting ');
    assert.deepEqual([deleting?.type, deleting?.reason], ['Normal', 'GsStateChanged'], shapes);
    // The listing shows the same text (what tools grep).
    const table = await kubectl(c, ns, ['get', 'events', '--field-selector', 'involvedObject.kind=GameServer']);
    assert.match(table, /GsStateChanged\s+gameserver\/del-0\s+State turn from Ready to Deleting/);

    await kubectl(c, ns, ['scale', 'gameserverset', 'del', '--replicas=0']);
    await waitFor(async () => (await api(c, 'GET', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/del-0`)).status === 404, 'GameServer del-0 deleted on scale-down', WAIT_MS);
  });

  it('labels, annotations, node-name, podStatus, PodNormal/NodeNormal True and the state Events', async () => {
    const ns = await namespace(c, 'gs-meta');
    const manifest = gss('meta', ns, { replicas: 1 });
    manifest.spec.gameServerTemplate.metadata = { labels: { tier: 'gold' }, annotations: { note: 'x' } };
    await applyStrict(c, manifest);
    const pod = (await waitSettled(c, ns, 'meta', ['meta-0'])).get('meta-0')!;
    const gs = await waitFor(async () => {
      const g = await kubectlJson(c, ns, ['get', 'gameserver', 'meta-0']);
      return g.status?.currentState === 'Ready' && gsCondition(g, 'NodeNormal') && g.metadata.labels['game.kruise.io/node-name'] ? g : undefined;
    }, 'GameServer meta-0 Ready with NodeNormal', WAIT_MS);
    assert.equal(gs.metadata.labels.tier, 'gold');
    assert.equal(gs.metadata.annotations.note, 'x');
    assert.match(gs.metadata.annotations['game.kruise.io/gsTemplate-metadata-hash'], /^[a-z0-9]+$/);
    assert.equal(gs.metadata.labels['game.kruise.io/node-name'], pod.spec.nodeName);
    assert.deepEqual((gs.status.podStatus.containerStatuses as Json[]).map((s) => s.name).sort(), ['engine', 'sidecar']);
    assert.ok((gs.status.podStatus.conditions as Json[]).some((x) => x.type === 'Ready' && x.status === 'True'));
    for (const type of ['PodNormal', 'NodeNormal']) {
      const cond = gsCondition(gs, type)!;
      assert.equal(cond.status, 'True', type);
      assert.ok(cond.lastTransitionTime, type);
    }
    // A settled GameServer is not written again: its reconcile (seen once the pod has the label)
    // leaves it at the resourceVersion of the label write itself.
    const patched = await api(c, 'PATCH', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/meta-0`, { metadata: { labels: { 'gs-sync/probe': '1' } } }, { contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    const labelled = patched.body as Json;
    await waitFor(async () => (await podsOf(c, ns, 'meta')).get('meta-0')?.metadata.labels['gs-sync/probe'] === '1', 'pod meta-0 labelled gs-sync/probe', WAIT_MS);
    const after = await getGs(c, ns, 'meta-0');
    assert.equal(after.metadata.resourceVersion, labelled.metadata.resourceVersion, 'no status write for an unchanged pod');
  });

  it('PodNormal False with a Warning Event when the containers are not ready', async () => {
    const ns = await namespace(c, 'gs-pod-normal');
    await applyStrict(c, gss('sick', ns, { replicas: 1, annotations: { 'sim.hotpod.dev/never-ready': 'true' } }));
    const gs = await waitFor(async () => {
      const g = await getGs(c, ns, 'sick-0');
      return gsCondition(g, 'PodNormal')?.reason === 'ContainersNotReady' ? g : undefined;
    }, 'GameServer sick-0 PodNormal False (ContainersNotReady)', WAIT_MS);
    const cond = gsCondition(gs, 'PodNormal')!;
    assert.equal(cond.status, 'False');
    assert.match(cond.message, /containers with unready status/);
    const events = await waitFor(async () => {
      const es = await gameServerEvents(c, ns, 'sick-0');
      return es.some((e) => e.type === 'Warning' && e.reason === 'ContainersNotReady') ? es : undefined;
    }, 'Warning Event ContainersNotReady', WAIT_MS);
    assert.equal(events.find((e) => e.reason === 'ContainersNotReady')?.message, cond.message);
  });

  it('NodeNormal False with a Warning Event while the node is NotReady, True again once it reports Ready', async () => {
    const ns = await namespace(c, 'gs-node-normal');
    await applyStrict(c, gss('nd', ns, { replicas: 1 }));
    const pod = (await waitSettled(c, ns, 'nd', ['nd-0'])).get('nd-0')!;
    const node = pod.spec.nodeName as string;
    const healthy = await waitFor(async () => {
      const g = await getGs(c, ns, 'nd-0');
      return gsCondition(g, 'NodeNormal')?.status === 'True' ? gsCondition(g, 'NodeNormal') : undefined;
    }, 'NodeNormal True', WAIT_MS);
    // The node's agent posts its own status again within its status period (20 s): the patch is
    // repeated until the controller has seen it.
    const notReady = async () => {
      const n = await kubectlJson(c, ns, ['get', 'node', node]);
      const conditions = (n.status.conditions as Json[]).map((x) => (x.type === 'Ready' ? { ...x, status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' } : x));
      await kubectl(c, ns, ['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions } })]);
    };
    const sick = await waitFor(async () => {
      const g = await getGs(c, ns, 'nd-0');
      const cond = gsCondition(g, 'NodeNormal');
      if (cond?.status === 'False') return cond;
      await notReady();
      return undefined;
    }, 'NodeNormal False', WAIT_MS, 1000);
    assert.equal(sick.reason, 'Ready:KubeletNotReady');
    assert.equal(sick.message, 'container runtime is down');
    assert.notEqual(sick.lastTransitionTime, undefined);
    const events = await gameServerEvents(c, ns, 'nd-0');
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'Ready:KubeletNotReady' && e.message === 'container runtime is down'), JSON.stringify(events.map((e) => [e.reason, e.message])));
    const back = await waitFor(async () => {
      const cond = gsCondition(await getGs(c, ns, 'nd-0'), 'NodeNormal');
      return cond?.status === 'True' ? cond : undefined;
    }, 'NodeNormal True again after the next node status', WAIT_MS);
    assert.ok(back.lastTransitionTime >= healthy!.lastTransitionTime);
  });
});
