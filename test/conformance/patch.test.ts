// kubectl patch (json, merge, strategic), scale through the scale subresource, label and annotate.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectls, startCluster, runKubectl, ensureNamespace, nsFor, apiOk, api, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, configMap, getObj, GROUP, type Obj } from '../helpers/fixtures.js';

const ARS = `arenaset.${GROUP}`;

describe('kubectl patch, scale, label, annotate', { timeout: 600_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ inMemory: true });
    await installCrd(c);
  });
  after(async () => {
    await c?.cleanup();
  });

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      const ns = nsFor('patch', k);
      const kubectl = (args: string[]) => runKubectl(k, c, [...args, '-n', ns]);
      const ars = () => getObj(c, arenaPath(ns, 'alpha')) as Promise<Obj>;
      const thePod = () => getObj(c, `/api/v1/namespaces/${ns}/pods/web`) as Promise<Obj>;

      before(async () => {
        await ensureNamespace(c, ns);
        await apiOk(c, 'POST', arenaPath(ns), arenaSet('alpha', ns, { replicas: 2, ports: [{ name: 'game', containerPort: 7777 }] }, { labels: { tier: 'gold', zone: 'eu' } }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('web', ns, {}, { finalizers: ['conformance.hotpod.dev/one'] }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('settings', ns, { a: '1', b: '2' }));
      });

      after(async () => {
        // Let the pod go: drop its finalizers.
        await api(c, 'PATCH', `/api/v1/namespaces/${ns}/pods/web`, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
      });

      it('applies a JSON patch (--type json) to a custom object', async () => {
        const r = await kubectl(['patch', 'ars', 'alpha', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":7},{"op":"add","path":"/spec/ports/-","value":{"name":"query","containerPort":27015}}]']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha patched`);
        const o = await ars();
        assert.equal(o.spec.replicas, 7);
        assert.deepEqual(o.spec.ports, [{ name: 'game', containerPort: 7777 }, { name: 'query', containerPort: 27015 }]);
        assert.equal(o.metadata.generation, 2);
      });

      it('fails a JSON patch whose test operation fails, and changes nothing', async () => {
        const before = await ars();
        const r = await kubectl(['patch', 'ars', 'alpha', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":99},{"op":"replace","path":"/spec/replicas","value":1}]']);
        assert.notEqual(r.code, 0);
        // A 422 from a failed test operation: kubectl prints "The request is invalid: ..." (no
        // kind in the details) or "Error from server (...)".
        assert.match(r.stderr, /^(The request is invalid: |Error from server \()/m);
        assert.match(r.stderr, /test/);
        const after = await ars();
        assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
        assert.equal(after.spec.replicas, 7);
      });

      it('applies a merge patch (--type merge), null removes a key', async () => {
        const r = await kubectl(['patch', 'ars', 'alpha', '--type', 'merge', '-p', '{"spec":{"strategy":"HotPatch"},"metadata":{"labels":{"zone":null}}}']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha patched`);
        const o = await ars();
        assert.equal(o.spec.strategy, 'HotPatch');
        assert.deepEqual(o.metadata.labels, { tier: 'gold' });
        assert.equal(o.spec.replicas, 7, 'untouched fields stay');
        assert.equal(o.spec.ports.length, 2);
      });

      it('reports a patch that changes nothing as (no change) and keeps the resourceVersion', async () => {
        const before = await ars();
        const r = await kubectl(['patch', 'ars', 'alpha', '--type', 'merge', '-p', '{"spec":{"replicas":7}}']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha patched (no change)`);
        const after = await ars();
        assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
      });

      it('rejects a strategic merge patch on a custom object with 415', async () => {
        const before = await ars();
        const r = await kubectl(['patch', 'ars', 'alpha', '-p', '{"spec":{"replicas":1}}']);
        assert.notEqual(r.code, 0);
        // kubectl 1.20 prints the Status; newer ones wrap it, naming the patch type and kind.
        assert.match(
          r.stderr,
          /^(Error from server \(UnsupportedMediaType\)|error: application\/strategic-merge-patch\+json is not supported by conformance\.hotpod\.dev\/v1, Kind=ArenaSet): the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml$/m,
        );
        const after = await ars();
        assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
        assert.equal(after.spec.replicas, 7);
        const raw = await api(c, 'PATCH', arenaPath(ns, 'alpha'), { spec: { replicas: 1 } }, { contentType: 'application/strategic-merge-patch+json' });
        assert.equal(raw.status, 415);
        assert.equal(raw.body?.kind, 'Status');
        assert.equal(raw.body?.reason, 'UnsupportedMediaType');
        assert.equal(raw.body?.code, 415);
        assert.equal(raw.body?.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
      });

      it('applies a strategic merge patch to a pod: containers by name, labels as a map', async () => {
        const r = await kubectl(['patch', 'pod', 'web', '-p', '{"metadata":{"labels":{"track":"canary"}},"spec":{"containers":[{"name":"sidecar","image":"registry.example/sidecar:3.0"}]}}']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web patched');
        const p = await thePod();
        assert.deepEqual(
          p.spec.containers.map((x: Obj) => `${x.name}=${x.image}`),
          ['game=registry.example/game:1.0', 'sidecar=registry.example/sidecar:3.0'],
        );
        assert.deepEqual(p.spec.containers[0].ports, [{ containerPort: 7777, protocol: 'UDP' }]);
        assert.deepEqual(p.metadata.labels, { app: 'arena', track: 'canary' });
      });

      it('merges and deletes from a primitive list with a strategic merge patch (finalizers)', async () => {
        let r = await kubectl(['patch', 'pod', 'web', '--type', 'strategic', '-p', '{"metadata":{"finalizers":["conformance.hotpod.dev/two"]}}']);
        assert.equal(r.code, 0, r.stderr);
        let p = await thePod();
        assert.deepEqual([...p.metadata.finalizers].sort(), ['conformance.hotpod.dev/one', 'conformance.hotpod.dev/two']);
        r = await kubectl(['patch', 'pod', 'web', '--type', 'strategic', '-p', '{"metadata":{"$deleteFromPrimitiveList/finalizers":["conformance.hotpod.dev/one"]}}']);
        assert.equal(r.code, 0, r.stderr);
        p = await thePod();
        assert.deepEqual(p.metadata.finalizers, ['conformance.hotpod.dev/two']);
        // A merge patch replaces the list instead.
        r = await kubectl(['patch', 'pod', 'web', '--type', 'merge', '-p', '{"metadata":{"finalizers":["conformance.hotpod.dev/three"]}}']);
        assert.equal(r.code, 0, r.stderr);
        p = await thePod();
        assert.deepEqual(p.metadata.finalizers, ['conformance.hotpod.dev/three']);
      });

      it('applies a strategic merge patch to a configmap (map merge, null deletes)', async () => {
        const r = await kubectl(['patch', 'configmap', 'settings', '-p', '{"data":{"b":null,"c":"3"}}']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'configmap/settings patched');
        const cm = await getObj(c, `/api/v1/namespaces/${ns}/configmaps/settings`);
        assert.deepEqual(cm?.data, { a: '1', c: '3' });
      });

      it('scales through the scale subresource', async () => {
        await apiOk(c, 'PATCH', `${arenaPath(ns, 'alpha')}/status`, { status: { replicas: 7, selector: 'arena=alpha' } }, { contentType: 'application/merge-patch+json' });
        const before = await ars();
        let r = await kubectl(['scale', 'ars', 'alpha', '--replicas=4']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha scaled`);
        const o = await ars();
        assert.equal(o.spec.replicas, 4);
        assert.equal(o.metadata.generation, before.metadata.generation + 1);
        assert.equal(o.status.replicas, 7, 'scale does not write status');

        const scale = await apiOk(c, 'GET', `${arenaPath(ns, 'alpha')}/scale`);
        assert.equal(scale.kind, 'Scale');
        assert.equal(scale.apiVersion, 'autoscaling/v1');
        assert.equal(scale.metadata.name, 'alpha');
        assert.equal(scale.metadata.namespace, ns);
        assert.equal(scale.spec.replicas, 4);
        assert.equal(scale.status.replicas, 7);
        assert.equal(scale.status.selector, 'arena=alpha');

        r = await kubectl(['scale', 'ars', 'alpha', '--current-replicas=3', '--replicas=5']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Expected replicas to be 3, was 4/);
        assert.equal((await ars()).spec.replicas, 4);

        r = await kubectl(['scale', 'ars', 'alpha', '--current-replicas=4', '--replicas=0']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await ars()).spec.replicas, 0);

        // A scale below the schema's minimum is refused.
        r = await kubectl(['scale', 'ars', 'alpha', '--replicas=-1']);
        assert.notEqual(r.code, 0);
        assert.equal((await ars()).spec.replicas, 0);
      });

      it('labels: add, refuse to overwrite without --overwrite, overwrite, remove', async () => {
        let r = await kubectl(['label', 'ars', 'alpha', 'env=prod']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha labeled`);
        assert.equal((await ars()).metadata.labels.env, 'prod');

        const before = await ars();
        r = await kubectl(['label', 'ars', 'alpha', 'env=dev']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /'env' already has a value \(prod\), and --overwrite is false/);
        assert.equal((await ars()).metadata.resourceVersion, before.metadata.resourceVersion);

        r = await kubectl(['label', 'ars', 'alpha', 'env=dev', '--overwrite']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha labeled`);
        assert.equal((await ars()).metadata.labels.env, 'dev');

        r = await kubectl(['label', 'ars', 'alpha', 'env-']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), new RegExp(`^${ARS.replace(/\./g, '\\.')}/alpha (un)?labeled$`));
        const o = await ars();
        assert.equal(o.metadata.labels.env, undefined);
        assert.equal(o.metadata.labels.tier, 'gold');

        r = await kubectl(['label', 'pod', 'web', 'slot=3']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web labeled');
        assert.equal((await thePod()).metadata.labels.slot, '3');
        const sel = await runKubectl(k, c, ['get', 'pods', '-n', ns, '-l', 'slot=3', '-o', 'name']);
        assert.equal(sel.stdout.trim(), 'pod/web');
      });

      it('annotates: add, overwrite, remove', async () => {
        let r = await kubectl(['annotate', 'pod', 'web', 'note=hello world']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web annotated');
        assert.equal((await thePod()).metadata.annotations.note, 'hello world');

        r = await kubectl(['annotate', 'pod', 'web', 'note=again']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /'note' already has a value \(hello world\)/);
        assert.match(r.stderr, /--overwrite is false/);

        r = await kubectl(['annotate', 'pod', 'web', 'note=again', '--overwrite']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await thePod()).metadata.annotations.note, 'again');

        r = await kubectl(['annotate', 'ars', 'alpha', 'hotpod.dev/owner=team-a']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${ARS}/alpha annotated`);
        assert.equal((await ars()).metadata.annotations['hotpod.dev/owner'], 'team-a');

        r = await kubectl(['annotate', 'pod', 'web', 'note-']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/web annotated');
        assert.equal((await thePod()).metadata.annotations?.note, undefined);
      });
    });
  }
});
