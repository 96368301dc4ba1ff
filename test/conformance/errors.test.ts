// Bad input: each gets the error a real API server gives (as kubectl shows it), and stored state
// stays unchanged.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectls, startCluster, runKubectl, ensureNamespace, nsFor, api, apiOk, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, configMap, toYaml, snapshot, getObj, GROUP, type Obj } from '../helpers/fixtures.js';

const G = GROUP.replace(/\./g, '\\.');

function assertStatus(body: Obj | undefined, code: number, reason: string): void {
  assert.ok(body, 'a Status body');
  assert.equal(body.kind, 'Status', JSON.stringify(body));
  assert.equal(body.apiVersion, 'v1');
  assert.equal(body.status, 'Failure');
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  assert.equal(typeof body.message, 'string');
}

describe('bad input', { timeout: 600_000 }, () => {
  let c: Cluster;
  let scratch: string;
  before(async () => {
    c = await startCluster({ inMemory: true });
    await installCrd(c);
    scratch = mkdtempSync(join(tmpdir(), 'hotpod-errors-'));
  });
  after(async () => {
    await c?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      const ns = nsFor('errors', k);
      const kubectl = (args: string[], input?: string) => runKubectl(k, c, args, { input });
      /** State of everything the tests touch in the namespace. */
      const state = async () => ({
        ars: await snapshot(c, arenaPath(ns)),
        pods: await snapshot(c, `/api/v1/namespaces/${ns}/pods`),
        cms: await snapshot(c, `/api/v1/namespaces/${ns}/configmaps`),
      });

      before(async () => {
        await ensureNamespace(c, ns);
        await apiOk(c, 'POST', arenaPath(ns), arenaSet('alpha', ns, { replicas: 2 }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('keep', ns, { a: '1' }));
      });

      it('malformed YAML is refused by kubectl and creates nothing', async () => {
        const before = await state();
        const r = await kubectl(['apply', '-n', ns, '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n   labels: {a: b\ndata:\n  x: "1"\n');
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^error: error (parsing|converting YAML to JSON)/m);
        assert.match(r.stderr, /yaml: line \d+/);
        assert.deepEqual(await state(), before);
      });

      it('malformed JSON sent raw gets 400 BadRequest and creates nothing', async () => {
        const before = await state();
        const file = join(scratch, `bad-${k.version}.json`);
        writeFileSync(file, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"},"data":{');
        const r = await kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/configmaps`, '-f', file]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^Error from server \(BadRequest\)/m);
        assert.deepEqual(await state(), before);
      });

      it('a wrong type in a custom object is 422 Invalid naming the field', async () => {
        const before = await state();
        const bad = arenaSet('bad', ns, { replicas: 'three' });
        const r = await kubectl(['apply', '-f', '-'], toYaml(bad));
        assert.notEqual(r.code, 0);
        // A 422 whose details name the kind and object is printed as "The <Kind> "<name>" is invalid".
        assert.match(r.stderr, /^The ArenaSet "bad" is invalid: spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer: "string"$/m);
        assert.deepEqual(await state(), before);
      });

      it('a wrong type in a built-in object is refused naming the field', async () => {
        const before = await state();
        const bad = configMap('typed', ns) as Obj;
        bad.data = { count: 3 };
        let r = await kubectl(['apply', '--validate=false', '-f', '-'], toYaml(bad));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Error from server \((BadRequest|Invalid)\)/);
        assert.match(r.stderr, /data/);
        const badPod = pod('typed', ns) as Obj;
        badPod.spec.containers = 'nginx';
        r = await kubectl(['apply', '--validate=false', '-f', '-'], toYaml(badPod));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Error from server \((BadRequest|Invalid)\)/);
        assert.match(r.stderr, /containers/);
        assert.deepEqual(await state(), before);
      });

      it('a missing required field is 422 Required value', async () => {
        const before = await state();
        const bad = arenaSet('noimage', ns);
        delete bad.spec.image;
        let r = await kubectl(['apply', '-f', '-'], toYaml(bad));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^The ArenaSet "noimage" is invalid: spec\.image: Required value$/m);

        const noContainers = pod('empty', ns);
        noContainers.spec.containers = [];
        r = await kubectl(['apply', '-f', '-'], toYaml(noContainers));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^The Pod "empty" is invalid: spec\.containers: Required value$/m);

        const noName = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns }, data: { a: 'b' } };
        r = await kubectl(['create', '-f', '-'], toYaml(noName));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /metadata\.name: Required value: name or generateName is required|resource name may not be empty/);
        assert.deepEqual(await state(), before);
      });

      it('an enum or minimum violation is 422 with the schema message', async () => {
        const before = await state();
        let r = await kubectl(['apply', '-f', '-'], toYaml(arenaSet('enum', ns, { strategy: 'Bogus' })));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^The ArenaSet "enum" is invalid: spec\.strategy: Unsupported value: "Bogus": supported values: "InPlace", "HotPatch", "Recreate"$/m);
        r = await kubectl(['apply', '-f', '-'], toYaml(arenaSet('neg', ns, { replicas: -1 })));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^The ArenaSet "neg" is invalid: spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0$/m);
        // The same checks on update: the stored object stays as it was.
        r = await kubectl(['patch', 'ars', 'alpha', '-n', ns, '--type', 'merge', '-p', '{"spec":{"strategy":"Bogus","replicas":5}}']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^The ArenaSet "alpha" is invalid: spec\.strategy: Unsupported value: "Bogus"/m);
        assert.deepEqual(await state(), before);
      });

      it('an unknown kind is a mapping error, an unknown resource type is reported as such', async () => {
        const before = await state();
        let r = await kubectl(['apply', '-f', '-'], toYaml({ apiVersion: `${GROUP}/v1`, kind: 'Nonexistent', metadata: { name: 'x', namespace: ns } }));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`no matches for kind "Nonexistent" in version "${G}/v1"`));
        assert.match(r.stderr, /resource mapping not found|unable to recognize/);
        r = await kubectl(['apply', '-f', '-'], toYaml({ apiVersion: 'nothere.example.com/v9', kind: 'Widget', metadata: { name: 'x', namespace: ns } }));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /no matches for kind "Widget" in version "nothere\.example\.com\/v9"/);
        r = await kubectl(['get', 'nonexistents', '-n', ns]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /error: the server doesn't have a resource type "nonexistents"/);
        r = await kubectl(['get', 'ars', 'ghost', '-n', ns]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`Error from server \\(NotFound\\): arenasets\\.${G} "ghost" not found`));
        const raw = await api(c, 'GET', '/apis/nothere.example.com/v9/widgets');
        assert.equal(raw.status, 404);
        assert.deepEqual(await state(), before);
      });

      it('an update with a stale resourceVersion is 409 Conflict', async () => {
        const stale = await apiOk(c, 'GET', arenaPath(ns, 'alpha'));
        await apiOk(c, 'PATCH', arenaPath(ns, 'alpha'), { spec: { replicas: 3 } }, { contentType: 'application/merge-patch+json' });
        const before = await state();
        stale.spec.replicas = 9;
        const r = await kubectl(['replace', '-f', '-'], JSON.stringify(stale));
        assert.notEqual(r.code, 0);
        assert.match(
          r.stderr,
          new RegExp(`Error from server \\(Conflict\\): error when replacing "STDIN": Operation cannot be fulfilled on arenasets\\.${G} "alpha": the object has been modified; please apply your changes to the latest version and try again`),
        );
        const cur = await getObj(c, arenaPath(ns, 'alpha'));
        assert.equal(cur?.spec.replicas, 3);
        assert.deepEqual(await state(), before);

        const cm = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/configmaps/keep`);
        await apiOk(c, 'PUT', `/api/v1/namespaces/${ns}/configmaps/keep`, { ...cm, data: { a: '2' } });
        const before2 = await state();
        const raw = await api(c, 'PUT', `/api/v1/namespaces/${ns}/configmaps/keep`, { ...cm, data: { a: '3' } });
        assert.equal(raw.status, 409);
        assertStatus(raw.body, 409, 'Conflict');
        assert.deepEqual(raw.body.details?.name, 'keep');
        assert.deepEqual(raw.body.details?.kind, 'configmaps');
        assert.deepEqual(await state(), before2);
      });

      it('creating an existing object is 409 AlreadyExists, a missing namespace is 404', async () => {
        const before = await state();
        let r = await kubectl(['create', '-f', '-'], toYaml(configMap('keep', ns, { a: 'x' })));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "keep" already exists/);
        r = await kubectl(['create', '-f', '-'], toYaml(configMap('lost', 'no-such-namespace')));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Error from server \(NotFound\): error when creating "STDIN": namespaces "no-such-namespace" not found/);
        assert.deepEqual(await state(), before);
      });

      it('a request with a wrong token is 401 Unauthorized', async () => {
        // (A kubeconfig without any credentials makes kubectl prompt for a username, so the
        // no-token case is checked with raw requests below.)
        const before = await state();
        let r = await kubectl(['--token', 'not-the-token', 'get', 'pods', '-n', ns]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /^error: You must be logged in to the server \(Unauthorized\)$/m);
        r = await kubectl(['--token', 'not-the-token', 'apply', '-f', '-'], toYaml(configMap('intruder', ns)));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /You must be logged in to the server|provide credentials/);
        assert.deepEqual(await state(), before);
      });
    });
  }

  describe('raw requests', () => {
    const ns = 'errors-raw';
    before(async () => {
      await ensureNamespace(c, ns);
    });

    it('401 with a Status body without a token or with a wrong one, on every path', async () => {
      for (const path of ['/api/v1/namespaces', `/api/v1/namespaces/${ns}/configmaps`, '/apis', '/version']) {
        for (const token of [null, 'wrong-token']) {
          const r = await api(c, 'GET', path, undefined, { token });
          if (path === '/version' && r.status === 200) continue; // real servers may serve /version anonymously
          assert.equal(r.status, 401, `${path} with token ${token}`);
          assertStatus(r.body, 401, 'Unauthorized');
          assert.equal(r.body.message, 'Unauthorized');
        }
      }
      const w = await api(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('intruder', ns), { token: null });
      assert.equal(w.status, 401);
      assert.equal((await getObj(c, `/api/v1/namespaces/${ns}/configmaps/intruder`)), undefined);
    });

    it('400 for malformed JSON and YAML bodies', async () => {
      const before = await snapshot(c, `/api/v1/namespaces/${ns}/configmaps`);
      let r = await api(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}', { contentType: 'application/json' });
      assert.equal(r.status, 400, r.text);
      assertStatus(r.body, 400, 'BadRequest');
      r = await api(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n   bad: [\n', { contentType: 'application/yaml' });
      assert.equal(r.status, 400, r.text);
      assertStatus(r.body, 400, 'BadRequest');
      r = await api(c, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/none`, '{not json', { contentType: 'application/merge-patch+json' });
      assert.ok(r.status === 400 || r.status === 404, `malformed patch -> ${r.status}`);
      assert.deepEqual(await snapshot(c, `/api/v1/namespaces/${ns}/configmaps`), before);
    });

    it('a valid YAML body is accepted as JSON would be', async () => {
      const r = await api(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n`, { contentType: 'application/yaml' });
      assert.equal(r.status, 201, r.text);
      assert.equal((await getObj(c, `/api/v1/namespaces/${ns}/configmaps/from-yaml`))?.data?.k, 'v');
    });

    it('unknown fields: pruned by default, 400 with fieldValidation=Strict', async () => {
      const obj = arenaSet('strict', ns, { replicas: 1 });
      obj.spec.bogus = 1;
      const strict = await api(c, 'POST', `${arenaPath(ns)}?fieldValidation=Strict`, obj);
      assert.equal(strict.status, 400, strict.text);
      assertStatus(strict.body, 400, 'BadRequest');
      assert.match(strict.body.message, /unknown field "spec\.bogus"/);
      assert.equal(await getObj(c, arenaPath(ns, 'strict')), undefined);
      const lax = await api(c, 'POST', `${arenaPath(ns)}?fieldValidation=Ignore`, obj);
      assert.equal(lax.status, 201, lax.text);
      assert.equal(lax.body.spec.bogus, undefined);
    });

    it('422 Invalid carries field causes', async () => {
      const bad = arenaSet('causes', ns, { replicas: 'many', strategy: 'Nope' });
      const r = await api(c, 'POST', arenaPath(ns), bad);
      assert.equal(r.status, 422, r.text);
      assertStatus(r.body, 422, 'Invalid');
      assert.equal(r.body.details?.name, 'causes');
      assert.equal(r.body.details?.group, GROUP);
      assert.equal(r.body.details?.kind, 'ArenaSet');
      const fields = (r.body.details?.causes ?? []).map((x: Obj) => x.field).sort();
      assert.deepEqual(fields, ['spec.replicas', 'spec.strategy']);
      for (const cause of r.body.details.causes) assert.match(cause.reason, /^Field/);
    });

    it('404 NotFound Status for a missing object', async () => {
      const r = await api(c, 'GET', `/api/v1/namespaces/${ns}/configmaps/ghost`);
      assert.equal(r.status, 404);
      assertStatus(r.body, 404, 'NotFound');
      assert.equal(r.body.message, 'configmaps "ghost" not found');
      assert.deepEqual(r.body.details, { name: 'ghost', kind: 'configmaps' });
    });
  });
});
