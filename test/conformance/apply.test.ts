// kubectl apply (client-side create then update, server-side) of a CRD, custom objects and pods.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectls, startCluster, runKubectl, kubectlOk, ensureNamespace, nsFor, apiOk, type Cluster } from '../helpers/cluster.js';
import { arenaSetCrd, arenaSet, pod, toYaml, getObj, arenaPath, waitCrdEstablished, type Obj } from '../helpers/fixtures.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const minorOf = (version: string) => Number(version.split('.')[1]);

describe('kubectl apply', { timeout: 600_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ inMemory: true });
  });
  after(async () => {
    await c?.cleanup();
  });

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      // Each kubectl gets its own CRD group so that it creates, then updates, a CRD of its own.
      const group = `k${k.version.replace('.', '')}.conformance.hotpod.dev`;
      const crdName = `arenasets.${group}`;
      const ns = nsFor('apply', k);
      const kubectl = (args: string[], input?: string) => runKubectl(k, c, args, { input });

      before(async () => {
        await ensureNamespace(c, ns);
      });

      it('creates a CRD, then reports it unchanged, then configures an update that takes effect', async () => {
        const crd = arenaSetCrd(group);
        let r = await kubectl(['apply', '-f', '-'], toYaml(crd));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `customresourcedefinition.apiextensions.k8s.io/${crdName} created`);

        r = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `customresourcedefinition.apiextensions.k8s.io/${crdName} condition met`);
        await waitCrdEstablished(c, group);

        const stored = await getObj(c, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`);
        assert.ok(stored);
        assert.equal(stored.status?.acceptedNames?.kind, 'ArenaSet');
        assert.deepEqual(stored.status?.acceptedNames?.shortNames, ['ars']);
        assert.ok(stored.metadata.annotations?.[LAST_APPLIED], 'last-applied annotation stored');

        r = await kubectl(['apply', '-f', '-'], toYaml(crd));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `customresourcedefinition.apiextensions.k8s.io/${crdName} unchanged`);

        // Update: add a printer column; the Table that kubectl prints must show it at once.
        const updated = arenaSetCrd(group);
        updated.spec.versions[0].additionalPrinterColumns.splice(3, 0, { name: 'Port', type: 'integer', jsonPath: '.spec.ports[0].containerPort' });
        r = await kubectl(['apply', '-f', '-'], toYaml(updated));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `customresourcedefinition.apiextensions.k8s.io/${crdName} configured`);
        const after = await getObj(c, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`);
        assert.ok(after);
        assert.deepEqual(
          after.spec.versions[0].additionalPrinterColumns.map((x: Obj) => x.name),
          ['Desired', 'Ready', 'Strategy', 'Port', 'Image', 'Age'],
        );
        assert.ok(Number(after.metadata.resourceVersion) > Number(stored.metadata.resourceVersion), 'resourceVersion grows');
        assert.equal(after.metadata.generation, (stored.metadata.generation ?? 1) + 1, 'generation bumps on a spec change');

        r = await kubectl(['apply', '-f', '-'], toYaml(arenaSet('probe', ns, { ports: [{ name: 'game', containerPort: 7777 }] }, {}, group)));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/probe created`);
        const out = await kubectlOk(k, c, ['get', `arenasets.${group}`, 'probe', '-n', ns]);
        const [header, row] = out.trim().split('\n');
        assert.deepEqual(header!.trim().split(/\s{2,}/), ['NAME', 'DESIRED', 'READY', 'STRATEGY', 'PORT', 'AGE']);
        assert.match(row!, /^probe\s+2\s+(<none>\s+)?InPlace\s+7777\s+\d+s$/);
      });

      it('creates a custom object with defaults applied and unknown fields pruned, then updates it', async () => {
        // --validate=false: the unknown field reaches the server, which must prune it silently.
        const pruned = arenaSet('pruned', ns, { replicas: 1 }, {}, group);
        pruned.spec.bogusField = 'dropme';
        let r = await kubectl(['create', '--validate=false', '-f', '-'], toYaml(pruned));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/pruned created`);
        const p = await getObj(c, arenaPath(ns, 'pruned', group));
        assert.equal(p?.spec.bogusField, undefined, 'unknown field pruned');
        assert.equal(p?.spec.image, 'registry.example/arena:1.0');

        const obj = arenaSet('alpha', ns, { replicas: 2 }, { labels: { tier: 'gold', keep: 'yes' } }, group);
        r = await kubectl(['apply', '-f', '-'], toYaml(obj));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/alpha created`);

        const created = await getObj(c, arenaPath(ns, 'alpha', group));
        assert.ok(created);
        assert.equal(created.spec.strategy, 'InPlace', 'default applied');
        assert.equal(created.spec.replicas, 2);
        assert.equal(created.metadata.generation, 1);
        assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
        assert.match(created.metadata.resourceVersion, /^\d+$/);
        assert.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp)));
        assert.ok(created.metadata.annotations?.[LAST_APPLIED]);

        // Same file again: nothing changes, not even the resourceVersion.
        r = await kubectl(['apply', '-f', '-'], toYaml(obj));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/alpha unchanged`);
        const same = await getObj(c, arenaPath(ns, 'alpha', group));
        assert.equal(same?.metadata.resourceVersion, created.metadata.resourceVersion);

        // Update: change replicas, drop label "tier" from the file (three-way merge removes it).
        const changed = arenaSet('alpha', ns, { replicas: 3, strategy: 'HotPatch' }, { labels: { keep: 'yes' } }, group);
        r = await kubectl(['apply', '-f', '-'], toYaml(changed));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/alpha configured`);
        const updated = await getObj(c, arenaPath(ns, 'alpha', group));
        assert.ok(updated);
        assert.equal(updated.spec.replicas, 3);
        assert.equal(updated.spec.strategy, 'HotPatch');
        assert.deepEqual(updated.metadata.labels, { keep: 'yes' });
        assert.equal(updated.metadata.generation, 2);
        assert.equal(updated.metadata.uid, created.metadata.uid);
        assert.ok(Number(updated.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
        assert.deepEqual(JSON.parse(updated.metadata.annotations[LAST_APPLIED]).spec, changed.spec);

        const jp = await kubectlOk(k, c, ['get', `arenasets.${group}`, 'alpha', '-n', ns, '-o', 'jsonpath={.spec.replicas}/{.spec.strategy}']);
        assert.equal(jp, '3/HotPatch');
      });

      it('applies server-side', async () => {
        const obj = arenaSet('beta', ns, { replicas: 4 }, {}, group);
        let r = await kubectl(['apply', '--server-side', '-f', '-'], toYaml(obj));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/beta serverside-applied`);
        let got = await getObj(c, arenaPath(ns, 'beta', group));
        assert.equal(got?.spec.replicas, 4);
        assert.equal(got?.spec.strategy, 'InPlace');

        r = await kubectl(['apply', '--server-side', '-f', '-'], toYaml(arenaSet('beta', ns, { replicas: 6 }, {}, group)));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `arenaset.${group}/beta serverside-applied`);
        got = await getObj(c, arenaPath(ns, 'beta', group));
        assert.equal(got?.spec.replicas, 6);
        assert.equal(got?.metadata.generation, 2);
      });

      it('creates a pod, then updates it with a strategic merge patch that keeps the container order', async () => {
        const p = pod('web', ns);
        let r = await kubectl(['apply', '-f', '-'], toYaml(p));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web created');
        const created = await getObj(c, `/api/v1/namespaces/${ns}/pods/web`);
        assert.ok(created);
        assert.deepEqual(created.spec.containers.map((x: Obj) => x.name), ['game', 'sidecar']);
        assert.ok(['Pending', 'Running'].includes(created.status?.phase), `phase ${created.status?.phase}`);

        r = await kubectl(['apply', '-f', '-'], toYaml(p));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web unchanged');

        // Change only the second container's image and add a label; the first container is intact.
        const p2 = pod('web', ns, {}, { labels: { app: 'arena', track: 'canary' } });
        p2.spec.containers[1].image = 'registry.example/sidecar:2.0';
        r = await kubectl(['apply', '-f', '-'], toYaml(p2));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web configured');
        const updated = await getObj(c, `/api/v1/namespaces/${ns}/pods/web`);
        assert.ok(updated);
        assert.deepEqual(
          updated.spec.containers.map((x: Obj) => `${x.name}=${x.image}`),
          ['game=registry.example/game:1.0', 'sidecar=registry.example/sidecar:2.0'],
        );
        assert.deepEqual(updated.spec.containers[0].ports, [{ containerPort: 7777, protocol: 'UDP' }]);
        assert.equal(updated.metadata.labels.track, 'canary');
        assert.equal(updated.metadata.uid, created.metadata.uid);

        const out = await kubectlOk(k, c, ['get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.spec.containers[*].image}']);
        assert.equal(out, 'registry.example/game:1.0 registry.example/sidecar:2.0');
      });

      it('explains the custom resource from its OpenAPI v3 schema (kubectl >= 1.27)', { skip: minorOf(k.version) < 27 && 'kubectl < 1.27 reads OpenAPI v2 only' }, async () => {
        const r = await kubectl(['explain', `arenasets.${group}.spec`]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^KIND:\s+ArenaSet$/m);
        assert.match(r.stdout, /^VERSION:\s+v1$/m);
        assert.match(r.stdout, /^FIELD:\s+spec <Object>$/m);
        assert.match(r.stdout, /^\s+image\s+<string> -required-$/m);
        assert.match(r.stdout, /^\s+replicas\s+<integer>$/m);
        assert.match(r.stdout, /^\s+strategy\s+<string>$/m);
        assert.match(r.stdout, /^\s+ports\s+<\[\]Object>$/m);
      });

      it('has the server reject unknown fields when kubectl asks for strict validation (kubectl >= 1.27)', { skip: minorOf(k.version) < 27 && 'kubectl < 1.27 validates on the client' }, async () => {
        const bad = arenaSet('strict', ns, {}, {}, group);
        bad.spec.bogusField = 1;
        const r = await kubectl(['apply', '-f', '-'], toYaml(bad));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /unknown field "spec\.bogusField"/);
        assert.equal(await getObj(c, arenaPath(ns, 'strict', group)), undefined);
      });

      it('applies a multi-document file with a namespace, a custom object and a pod', async () => {
        const ns2 = `${ns}-multi`;
        const docs = toYaml(
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns2 } },
          arenaSet('gamma', ns2, {}, {}, group),
          pod('solo', ns2),
        );
        const r = await kubectl(['apply', '-f', '-'], docs);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n'), [`namespace/${ns2} created`, `arenaset.${group}/gamma created`, 'pod/solo created']);
        assert.ok(await getObj(c, arenaPath(ns2, 'gamma', group)));
        assert.ok(await getObj(c, `/api/v1/namespaces/${ns2}/pods/solo`));
      });
    });
  }
});


describe('pod defaults', { timeout: 120_000 }, () => {
  it('defaults requests to limits and computes the QoS class', async () => {
    const c = await startCluster({ inMemory: true });
    try {
      const make = (name: string, resources: object) =>
        apiOk(c, 'POST', '/api/v1/namespaces/default/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { nodeSelector: { nowhere: 'x' }, containers: [{ name: 'main', image: 'engine:1', resources }] },
        });
      const guaranteed = await make('limits-only', { limits: { cpu: '1', memory: '1Gi' } });
      assert.deepEqual(guaranteed.spec.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
      assert.equal(guaranteed.status.qosClass, 'Guaranteed');
      const burstable = await make('requests-only', { requests: { cpu: '100m' } });
      assert.equal(burstable.status.qosClass, 'Burstable');
      const none = await make('nothing', {});
      assert.equal(none.status.qosClass, 'BestEffort');
    } finally {
      await c.cleanup();
    }
  });
});
