// Kubernetes-Ingress as OpenKruiseGame's manual shows it: the manual's networkConf (applied with
// kubectl 1.35, strict) gives each GameServer a Service and an Ingress shaped as the manual's
// (paths with the server's id, host, class, annotations, tls), and a networkStatus with the
// paths inside at the pod IP and outside at the host. A changed networkConf rewrites the
// Ingress by its hash. `kubectl get ingress` and `kubectl get ingressclass` print kube's columns.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { WAIT_MS, applyGss, getGs, gss, kubectl, namespace, patchGss, startGssCluster, waitSettled, type Json } from './helpers.js';

const ingPath = (ns: string, name = '') => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses${name ? `/${name}` : ''}`;

async function get(c: Cluster, path: string): Promise<Json | undefined> {
  const r = await api(c, 'GET', path);
  return r.status === 200 ? r.body : undefined;
}

/** The manual's example (docs/en/user_manuals/network.md, Kubernetes-Ingress). */
const MANUAL_CONF = [
  { name: 'IngressClassName', value: 'nginx' },
  { name: 'Port', value: '80' },
  { name: 'Path', value: '/game<id>(/|$)(.*)' },
  { name: 'Path', value: '/test-<id>' },
  { name: 'Host', value: 'test.xxx.cn-hangzhou.ali.com' },
  { name: 'PathType', value: 'ImplementationSpecific' },
  { name: 'TlsHosts', value: 'xxx.xx1.com,xxx.xx2.com' },
  { name: 'Annotation', value: 'nginx.ingress.kubernetes.io/rewrite-target: /$2' },
  { name: 'Annotation', value: 'nginx.ingress.kubernetes.io/random: xxx' },
];

function paths(name: string, id: number): Json[] {
  return [`/game${id}(/|$)(.*)`, `/test-${id}`].map((path) => ({ backend: { service: { name, port: { number: 80 } } }, path, pathType: 'ImplementationSpecific' }));
}

describe('Kubernetes-Ingress', { timeout: 300_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it("the manual's example: a Service and an Ingress per GameServer, shaped as the manual's, and the networkStatus", async () => {
    const ns = await namespace(c, 'net-ingress');
    await kubectl(c, ns, ['apply', '-f', '-'], { input: toYaml({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } }) });
    const manifest = gss('ing-nginx', ns, { replicas: 2 });
    manifest.spec.network = { networkConf: MANUAL_CONF, networkType: 'Kubernetes-Ingress' };
    await applyGss(c, manifest);
    const pods = await waitSettled(c, ns, 'ing-nginx', ['ing-nginx-0', 'ing-nginx-1']);

    for (const [id, name] of ['ing-nginx-0', 'ing-nginx-1'].entries()) {
      const pod = pods.get(name)!;
      const ing = await waitFor(() => get(c, ingPath(ns, name)), `Ingress ${name}`, WAIT_MS);
      assert.deepEqual(ing.spec, {
        ingressClassName: 'nginx',
        rules: [{ host: 'test.xxx.cn-hangzhou.ali.com', http: { paths: paths(name, id) } }],
        tls: [{ hosts: ['xxx.xx1.com', 'xxx.xx2.com'] }],
      });
      const { 'game.kruise.io/ingress-hash': hash, ...annotations } = ing.metadata.annotations;
      assert.ok(hash, 'the hash of its parameters');
      assert.deepEqual(annotations, { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2', 'nginx.ingress.kubernetes.io/random': 'xxx' });
      const owner = [{ apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata.uid, controller: true, blockOwnerDeletion: true }];
      assert.deepEqual(ing.metadata.ownerReferences, owner);

      const svc = (await get(c, `/api/v1/namespaces/${ns}/services/${name}`))!;
      assert.equal(svc.spec.type, 'ClusterIP');
      assert.deepEqual(svc.spec.selector, { 'statefulset.kubernetes.io/pod-name': name });
      assert.deepEqual((svc.spec.ports as Json[]).map(({ name: n, port }) => ({ name: n, port })), [{ name: '80', port: 80 }]);
      assert.deepEqual(svc.metadata.ownerReferences, owner);

      const ports = [`/game${id}(/|$)(.*)`, `/test-${id}`].map((p) => ({ name: p, port: 80 }));
      const status = await waitFor(async () => {
        const s = (await getGs(c, ns, name)).status?.networkStatus;
        return s?.currentNetworkState === 'Ready' ? s : undefined;
      }, `${name} networkStatus Ready`, WAIT_MS);
      assert.equal(status.networkType, 'Kubernetes-Ingress');
      assert.deepEqual(status.internalAddresses, [{ ip: pod.status.podIP, ports }]);
      assert.deepEqual(status.externalAddresses, [{ ip: '', endPoint: 'test.xxx.cn-hangzhou.ali.com', ports }]);
    }

    // kube's columns.
    const table = await kubectl(c, ns, ['get', 'ingress']);
    assert.match(table, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/m);
    assert.match(table, /^ing-nginx-0\s+nginx\s+test\.xxx\.cn-hangzhou\.ali\.com\s+80, 443\s+\S+$/m);
    assert.match(await kubectl(c, ns, ['get', 'ingressclass', 'nginx']), /^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\nnginx\s+k8s\.io\/ingress-nginx\s+<none>\s+\S+$/m);

    // A changed networkConf reaches the pods by the rollout and the Ingress by its hash: it is
    // rewritten whole (an annotation and the tls taken out go), as OKG's Update.
    const conf = [
      ...MANUAL_CONF.filter((p) => !['Host', 'TlsHosts'].includes(p.name) && !p.value.includes('random')),
      { name: 'Host', value: 'game<id>.example.com' },
    ];
    await patchGss(c, ns, 'ing-nginx', { spec: { network: { networkType: 'Kubernetes-Ingress', networkConf: conf } } });
    const rewritten = await waitFor(
      async () => {
        const ing = await get(c, ingPath(ns, 'ing-nginx-1'));
        return ing?.spec.rules?.[0]?.host === 'game1.example.com' ? ing : undefined;
      },
      'Ingress ing-nginx-1 rewritten',
      WAIT_MS,
    );
    assert.equal(rewritten.spec.tls, undefined);
    assert.deepEqual(Object.keys(rewritten.metadata.annotations).sort(), ['game.kruise.io/ingress-hash', 'nginx.ingress.kubernetes.io/rewrite-target']);
    await waitFor(async () => ((await getGs(c, ns, 'ing-nginx-1')).status?.networkStatus?.externalAddresses?.[0]?.endPoint === 'game1.example.com' ? true : undefined), 'networkStatus on the new host', WAIT_MS);
    const ingresses = await apiOk(c, 'GET', ingPath(ns));
    assert.equal(ingresses.items.length, 2);
  });
});
