// deploy/'s RBAC is derived from what the controller calls: the controller runs in this process
// against an embedded cluster, through scenarios that take every code path that talks to the API
// (GameServerSet scale up/down, in-place and ReCreate updates, Kill, opsState, claims, network
// plugins; GameDeployment InplaceUpdate, HotPatchUpdate, RollingUpdate and scale; Events), and every request it sends is
// recorded. Each must be allowed by the ClusterRole (or, for the Lease, the leader-election
// Role), and the ClusterRole must grant nothing no request used.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController, type RunningController } from '../../src/controller/index.js';
import { requestAttributes, type ApiRequest, type ResourceAttributes } from '../../src/kube/request-attributes.js';
import { api, apiOk, kubeConfigFor, projectRoot, waitFor, type Cluster } from '../helpers/cluster.js';
import { findManifest, grantOf, grants, readManifests, rulesAllow, type PolicyRule } from '../helpers/rbac.js';
import {
  SIDECAR_V2,
  applyGss,
  gss,
  kubectl as gssKubectl,
  namespace,
  patchGs,
  patchGss,
  setSidecarImage,
  startGssCluster,
  waitSettled,
} from '../gameserverset/helpers.js';
import { createGd, gdManifest, listPods, mergePatchGd, waitGd, type Json } from '../gamedeployment/helpers.js';

const manifests = join(projectRoot, 'deploy', 'manifests');
const CONTROLLER_NAMESPACE = 'hotpod-system';

export function loadRbac(): { clusterRules: PolicyRule[]; leaseRules: PolicyRule[] } {
  const docs = readManifests(join(manifests, 'clusterrole.yaml'), join(manifests, 'leader-election-role.yaml'));
  return {
    clusterRules: findManifest(docs, 'ClusterRole', 'hotpod-controller').rules,
    leaseRules: findManifest(docs, 'Role', 'hotpod-leader-election').rules,
  };
}

/**
 * Grants the ClusterRole holds although no scenario here sends the request, each with the
 * reason. Keep this list short: everything else must be seen used.
 */
const UNUSED_GRANTS_ALLOWED: Record<string, string> = {
  'core events patch': 'a repeated Event patches count and lastTimestamp of the existing one; whether a scenario repeats an Event depends on timing',
  'apps controllerrevisions get': 'read only when creating a revision answers AlreadyExists (an earlier write the cache has not shown yet): a race no scenario can force',
  'core persistentvolumeclaims delete': "a scaled-down server's claims are deleted directly only when its pod is already gone as the scale-down condemns it (else they go with the pod, by ownerReference): a race no scenario can force",
};

/** The grants missing for some requests, as `group resource[/sub] verb (namespace/name of the first)` lines. */
export function denied(calls: ResourceAttributes[], clusterRules: PolicyRule[], leaseRules: PolicyRule[]): string[] {
  const out = new Map<string, string>();
  for (const a of calls) {
    const byRole = a.namespace === CONTROLLER_NAMESPACE && rulesAllow(leaseRules, a);
    if (!byRole && !rulesAllow(clusterRules, a) && !out.has(grantOf(a))) out.set(grantOf(a), `${grantOf(a)} (${a.namespace || '-'}/${a.name || '-'})`);
  }
  return [...out.values()].sort();
}

describe('the RBAC checker', () => {
  const pods: ResourceAttributes = { kind: 'resource', verb: 'patch', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: 'status', namespace: 'a', name: 'p' };

  it('allows a request only with group, resource/subresource and verb all granted', () => {
    assert.ok(rulesAllow([{ apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] }], pods));
    assert.ok(rulesAllow([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], pods));
    assert.ok(rulesAllow([{ apiGroups: [''], resources: ['*/status'], verbs: ['patch'] }], pods));
    assert.ok(!rulesAllow([{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }], pods), 'pods does not grant pods/status');
    assert.ok(!rulesAllow([{ apiGroups: ['apps'], resources: ['pods/status'], verbs: ['patch'] }], pods));
    assert.ok(!rulesAllow([{ apiGroups: [''], resources: ['pods/status'], verbs: ['update'] }], pods));
    assert.ok(rulesAllow([{ apiGroups: [''], resources: ['pods/status'], verbs: ['patch'], resourceNames: ['p'] }], pods));
    assert.ok(!rulesAllow([{ apiGroups: [''], resources: ['pods'], verbs: ['list'], resourceNames: ['p'] }], { ...pods, subresource: '', verb: 'list', name: '' }));
  });

  it("finds a call the deploy/ ClusterRole would no longer allow once one of its verbs is removed", () => {
    const { clusterRules, leaseRules } = loadRbac();
    const watchSets: ResourceAttributes = { ...pods, apiGroup: 'game.kruise.io', resource: 'gameserversets', subresource: '', verb: 'watch', name: '', namespace: '' };
    assert.deepEqual(denied([pods, watchSets], clusterRules, leaseRules), []);
    const reduced = clusterRules.map((r) => ({ ...r, verbs: r.resources?.includes('gameserversets') ? r.verbs.filter((v) => v !== 'watch') : r.verbs }));
    assert.deepEqual(denied([pods, watchSets], reduced, leaseRules), ['game.kruise.io gameserversets watch (-/-)']);
  });

  it('grants the Lease verbs only in the controller namespace, through the Role', () => {
    const { clusterRules, leaseRules } = loadRbac();
    const lease: ResourceAttributes = { kind: 'resource', verb: 'update', apiGroup: 'coordination.k8s.io', apiVersion: 'v1', resource: 'leases', subresource: '', namespace: CONTROLLER_NAMESPACE, name: 'hotpod-controller' };
    // Leader election (the `ops` work: `--leader-elect`) gets, creates and updates its Lease. No
    // scenario here records those calls yet, so they are listed by hand.
    for (const verb of ['get', 'create', 'update']) assert.deepEqual(denied([{ ...lease, verb }], clusterRules, leaseRules), []);
    assert.equal(denied([{ ...lease, namespace: 'default' }], clusterRules, leaseRules).length, 1);
  });
});

describe('deploy/manifests RBAC against what the controller calls', { timeout: 900_000 }, () => {
  let c: Cluster;
  let controller: RunningController | undefined;
  const requests: ApiRequest[] = [];

  before(async () => {
    c = await startGssCluster({ controller: false });
    controller = await startController({
      kubeConfig: kubeConfigFor(c),
      logger: pino({ level: 'silent' }),
      transientStateDelayMs: 200,
      onRequest: (r) => requests.push(r),
    });
  });
  after(async () => {
    await controller?.stop();
    await c?.cleanup();
  });

  it('GameServerSet: create, scale up and down, in-place and ReCreate updates, opsState, Kill, volumeClaimTemplates', async () => {
    const ns = await namespace(c, 'rbac-gss');
    const manifest = gss('arena', ns, { replicas: 2 });
    // Claims made per server; scale-downs move their ownerReferences to the pods.
    manifest.spec.gameServerTemplate.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
    manifest.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1']);
    await gssKubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=3']);
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2'], 'scaled up');
    await setSidecarImage(c, ns, 'arena', SIDECAR_V2);
    await waitFor(async () => ((await podSidecars(c, ns)).every((i) => i === SIDECAR_V2) ? true : undefined), 'in-place update done', 120_000, 300);
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2'], 'in place');
    await patchGss(c, ns, 'arena', { spec: { updateStrategy: { rollingUpdate: { podUpdatePolicy: 'ReCreate' } } } });
    await setSidecarImage(c, ns, 'arena', 'registry.example.com/game/sidecar:v3');
    await waitFor(async () => ((await podSidecars(c, ns)).every((i) => i.endsWith(':v3')) ? true : undefined), 'ReCreate update done', 120_000, 300);
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2'], 'recreated');
    await patchGs(c, ns, 'arena-0', { spec: { opsState: 'Maintaining' } });
    await patchGs(c, ns, 'arena-2', { spec: { opsState: 'Kill' } });
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1'], 'arena-2 killed');
    await gssKubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=1']);
    await waitSettled(c, ns, 'arena', ['arena-0'], 'scaled down (Maintaining kept)');
    await gssKubectl(c, ns, ['delete', 'gss', 'arena']);
  });

  it('network plugins: HostPort, NodePort (networkDisabled, a deleted pod), Ingress (a changed networkConf)', async () => {
    const ns = await namespace(c, 'rbac-net');
    const hostPort = gss('hp', ns, { replicas: 1 });
    hostPort.spec.network = { networkType: 'Kubernetes-HostPort', networkConf: [{ name: 'ContainerPorts', value: 'engine:7777' }] };
    // The pod takes a while to go, so the controller sees it terminating and deletes its Service itself.
    const nodePort = gss('np', ns, { replicas: 1, annotations: { 'sim.hotpod.dev/stop-delay-ms': '3000' } });
    nodePort.spec.network = { networkType: 'Kubernetes-NodePort', networkConf: [{ name: 'PortProtocols', value: '7777' }] };
    const ingress = gss('ing', ns, { replicas: 1 });
    const ingressConf = (port: string) => [
      { name: 'Path', value: '/game<id>' },
      { name: 'PathType', value: 'Prefix' },
      { name: 'Port', value: port },
    ];
    ingress.spec.network = { networkType: 'Kubernetes-Ingress', networkConf: ingressConf('80') };
    for (const m of [hostPort, nodePort, ingress]) await applyGss(c, m);
    for (const name of ['hp', 'np', 'ing']) await waitSettled(c, ns, name, [`${name}-0`]);
    const get = async (path: string) => {
      const r = await api(c, 'GET', path);
      return r.status === 200 ? r.body : undefined;
    };
    const svcPath = `/api/v1/namespaces/${ns}/services/np-0`;
    const ingPath = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/ing-0`;
    await waitFor(() => get(ingPath), 'the Ingress made', 60_000, 300);
    await patchGs(c, ns, 'np-0', { spec: { networkDisabled: true } });
    await waitFor(async () => ((await get(svcPath))?.spec.selector['game.kruise.io/svc-selector-disabled'] ? true : undefined), 'the Service selector moved', 60_000, 300);
    await patchGss(c, ns, 'ing', { spec: { network: { networkType: 'Kubernetes-Ingress', networkConf: ingressConf('8080') } } });
    await waitFor(async () => ((await get(ingPath))?.spec.rules[0].http.paths[0].backend.service.port.number === 8080 ? true : undefined), 'the Ingress rewritten', 120_000, 300);
    const svc = await get(svcPath);
    await apiOk(c, 'DELETE', `/api/v1/namespaces/${ns}/pods/np-0`);
    await waitFor(async () => ((await get(svcPath))?.metadata.uid !== svc.metadata.uid ? true : undefined), "the deleted pod's Service gone", 60_000, 300);
  });

  it('GameDeployment: InplaceUpdate, HotPatchUpdate, a rollback, RollingUpdate, scale, podsToDelete, revision pruning', async () => {
    const ns = await namespace(c, 'rbac-gd');
    const steps: [string, string][] = [
      ['InplaceUpdate', 'game/main:v2'],
      ['HotPatchUpdate', 'game/main:v3'],
      ['InplaceUpdate', 'game/main:v2'], // back to an existing revision: renumbered
      ['RollingUpdate', 'game/main:v4'],
    ];
    await createGd(c, gdManifest('gd', ns, { replicas: 2, type: 'InplaceUpdate' }));
    await waitGdSettled(c, ns, 'gd', 2);
    for (const [type, image] of steps) {
      await mergePatchGd(c, ns, 'gd', {
        spec: { updateStrategy: { type }, template: { spec: { containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent' }] } } },
      });
      await waitGdSettled(c, ns, 'gd', 2);
    }
    await mergePatchGd(c, ns, 'gd', { spec: { replicas: 3 } });
    await waitGdSettled(c, ns, 'gd', 3);
    const victim = (await listPods(c, ns, 'gd')).find((p) => !p.metadata.deletionTimestamp)!.metadata.name as string;
    await mergePatchGd(c, ns, 'gd', { spec: { replicas: 2, scaleStrategy: { podsToDelete: [victim] } } });
    await waitGd(c, ns, 'gd', (gd) => (gd.spec.scaleStrategy?.podsToDelete ?? []).length === 0, 'podsToDelete trimmed once the pod is gone');
    await mergePatchGd(c, ns, 'gd', { spec: { replicas: 1, revisionHistoryLimit: 0 } });
    await waitGdSettled(c, ns, 'gd', 1);
    await waitFor(async () => (await revisionsOf(c, ns)).length === 1, 'old ControllerRevisions pruned', 120_000, 300);
  });

  it('HookRun: a run driven to its verdict', async () => {
    const ns = await namespace(c, 'rbac-hooks');
    const path = `/apis/tkex.tencent.com/v1alpha1/namespaces/${ns}/hookruns`;
    // An exec metric without the pod to run in: the run ends in Error after its retries, with no traffic.
    const run = { apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'HookRun', metadata: { name: 'r', namespace: ns }, spec: { metrics: [{ name: 'm', consecutiveErrorLimit: 0, provider: { exec: { container: 'main', command: ['true'] } } }] } };
    await apiOk(c, 'POST', path, run);
    await waitFor(async () => ((await apiOk(c, 'GET', `${path}/r`)).status?.phase === 'Error' ? true : undefined), 'HookRun Error', 60_000, 300);

    // A GameDeployment's pre-delete hook, a kubernetes metric that marks the pod: the run made
    // from its template (HookTemplates listed), the pod read and patched, the run deleted once
    // its pod is gone.
    const metrics = [
      { name: 'mark', provider: { kubernetes: { function: 'patch', fields: [{ path: 'metadata.annotations.drained', value: 'yes' }] } } },
      // And a command in the pod (pods/exec), which the simulated container answers with exit 0.
      { name: 'empty', provider: { exec: { container: 'main', command: ['/bin/players-left'] } } },
    ];
    const template = { apiVersion: 'tkex.tencent.com/v1alpha1', kind: 'HookTemplate', metadata: { name: 'mark', namespace: ns }, spec: { metrics } };
    await apiOk(c, 'POST', `/apis/tkex.tencent.com/v1alpha1/namespaces/${ns}/hooktemplates`, template);
    await createGd(c, gdManifest('hooked', ns, { replicas: 1, podAnnotations: { 'sim.hotpod.dev/exec.main': JSON.stringify({ stdout: '0', exitCode: 0 }) }, spec: { preDeleteUpdateStrategy: { hook: { templateName: 'mark' } } } }));
    await waitGdSettled(c, ns, 'hooked', 1);
    await mergePatchGd(c, ns, 'hooked', { spec: { replicas: 0 } });
    await waitGdSettled(c, ns, 'hooked', 0);
    await waitFor(async () => (((await apiOk(c, 'GET', path)).items as unknown[]).length === 1 ? true : undefined), 'the pre-delete run pruned', 60_000, 300);
  });

  it('every request is allowed, and every ClusterRole grant is used', async () => {
    await controller!.stop();
    controller = undefined;
    const { clusterRules, leaseRules } = loadRbac();
    const attrs = requests.map(requestAttributes);
    const calls = attrs.filter((a): a is ResourceAttributes => a.kind === 'resource');
    assert.ok(calls.length > 50, `only ${calls.length} requests recorded`);
    // Discovery (/api, /apis/<group>/<version>) is granted to every authenticated user by the
    // cluster's own system:discovery ClusterRole.
    const other = attrs.filter((a) => a.kind === 'nonResource' && !/^\/apis?(\/[^/]+){0,2}$/.test(a.path));
    assert.deepEqual(other, [], 'non-resource requests other than discovery');

    // The pod cache holds only pods with a workload's revision label, never every pod of the cluster.
    const podReads = requests.filter((r) => r.method === 'GET' && /^\/api\/v1\/pods$/.test(r.path));
    assert.ok(podReads.length >= 2, 'the pods were listed and watched');
    assert.deepEqual([...new Set(podReads.map((r) => r.query.labelSelector))], ['controller-revision-hash'], 'pods listed and watched without the selector');

    assert.deepEqual(denied(calls, clusterRules, leaseRules), [], 'requests the RBAC in deploy/manifests does not allow: add them to clusterrole.yaml (and the chart)');

    const used = new Set(calls.map(grantOf));
    const unused = grants(clusterRules).filter((g) => !used.has(g) && !(g in UNUSED_GRANTS_ALLOWED));
    assert.deepEqual(unused, [], `ClusterRole grants no request used (least privilege): remove them, or list them in UNUSED_GRANTS_ALLOWED with the reason.\nused: ${[...used].sort().join(', ')}`);
  });
});

async function podSidecars(c: Cluster, ns: string): Promise<string[]> {
  const out = await gssKubectl(c, ns, ['get', 'pods', '-l', 'game.kruise.io/owner-gss=arena', '-o', 'jsonpath={.items[*].spec.containers[1].image}']);
  return out.trim().split(/\s+/).filter(Boolean);
}

async function revisionsOf(c: Cluster, ns: string): Promise<Json[]> {
  return (await apiOk(c, 'GET', `/apis/apps/v1/namespaces/${ns}/controllerrevisions`)).items as Json[];
}

async function waitGdSettled(c: Cluster, ns: string, name: string, replicas: number): Promise<Json> {
  return waitGd(
    c,
    ns,
    name,
    (gd) => {
      const s = gd.status ?? {};
      return s.observedGeneration === gd.metadata.generation && s.replicas === replicas && s.updatedReadyReplicas === replicas && s.readyReplicas === replicas;
    },
    `${replicas} replicas, all updated and ready`,
  );
}
