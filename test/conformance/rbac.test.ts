// RBAC and ServiceAccount tokens: a ServiceAccount's token (TokenRequest, `kubectl create
// token`) is denied what no Role grants it with kube-apiserver's 403 message, word for word as
// kubectl prints it, and allowed once a Role or ClusterRole is bound to it; the admin
// kubeconfig keeps full access and may impersonate; a deleted account's token stops working.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, ApiException } from '@kubernetes/client-node';
import { kubectls, startCluster, runKubectl, kubectlOk, ensureNamespace, nsFor, api, apiOk, rawWatch, parseTable, waitFor, type Cluster, type Kubectl } from '../helpers/cluster.js';
import { configMap, pod, toYaml } from '../helpers/fixtures.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';

const minor = (k: Kubectl) => Number(k.version.split('.')[1]);

describe('RBAC', { timeout: 600_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ inMemory: true });
  });
  after(async () => {
    await c?.cleanup();
  });

  it('tokens, roles and bindings survive a restart of a persistent control plane', async () => {
    const p = await startCluster({ inMemory: false });
    try {
      const sa = await serviceAccountKubeconfig(p, 'rbac-restart', 'keeper');
      await apiOk(p, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-restart/rolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'keeper-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'keeper' }],
      });
      await apiOk(p, 'POST', '/api/v1/namespaces/rbac-restart/configmaps', configMap('before', 'rbac-restart'), { token: sa.token });
      await p.restart();
      await apiOk(p, 'POST', '/api/v1/namespaces/rbac-restart/configmaps', configMap('after', 'rbac-restart'), { token: sa.token });
      assert.equal((await api(p, 'GET', '/api/v1/nodes', undefined, { token: sa.token })).status, 403);
    } finally {
      await p.cleanup();
    }
  });

  it('bootstrap ClusterRoles and bindings exist and print as kube prints them', async () => {
    const k = kubectls()[kubectls().length - 1];
    const roles = parseTable(await kubectlOk(k, c, ['get', 'clusterroles']));
    assert.deepEqual(roles.headers, ['NAME', 'CREATED AT']);
    const names = roles.rows.map((r) => r.NAME);
    for (const n of ['cluster-admin', 'system:discovery', 'system:basic-user', 'system:public-info-viewer', 'admin', 'edit', 'view']) assert.ok(names.includes(n), n);
    assert.match(roles.rows[0]['CREATED AT'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const bindings = parseTable(await kubectlOk(k, c, ['get', 'clusterrolebindings', '-o', 'wide']));
    assert.deepEqual(bindings.headers, ['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    const admin = bindings.rows.find((r) => r.NAME === 'cluster-admin');
    assert.deepEqual([admin?.ROLE, admin?.GROUPS], ['ClusterRole/cluster-admin', 'system:masters']);
    const publicInfo = bindings.rows.find((r) => r.NAME === 'system:public-info-viewer');
    assert.equal(publicInfo?.GROUPS, 'system:authenticated, system:unauthenticated');
  });

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      const ns = nsFor('rbac', k);
      const other = nsFor('rbac-other', k);
      const user = `system:serviceaccount:${ns}:robot`;
      let sa: { path: string; token: string };
      const admin = (args: string[], input?: string) => kubectlOk(k, c, args, { input });
      const asRobot = (args: string[]) => runKubectl(k, c, args, { kubeconfig: sa.path });
      const forbidden = (what: string, verb: string, resource: string, scope = `in the namespace "${ns}"`) =>
        `Error from server (Forbidden): ${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "" ${scope}`;

      before(async () => {
        await ensureNamespace(c, ns);
        await ensureNamespace(c, other);
        await admin(['create', 'serviceaccount', 'robot', '-n', ns]);
        sa = await serviceAccountKubeconfig(c, ns, 'robot');
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('allowed', ns, { a: '1' }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('secret-ish', ns, { b: '2' }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('p1', ns));
      });

      if (minor(k) >= 24) {
        it('kubectl create token makes a bearer token for the account; a too short duration is refused', async () => {
          const token = (await admin(['create', 'token', 'robot', '-n', ns, '--duration', '20m'])).trim();
          assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
          const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
          assert.equal(claims.sub, user);
          assert.equal(claims.exp - claims.iat, 1200);
          const review = await apiOk(c, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token });
          assert.equal(review.status.userInfo.username, user);
          assert.deepEqual(review.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']);
          const short = await runKubectl(k, c, ['create', 'token', 'robot', '-n', ns, '--duration', '1m']);
          assert.equal(short.code, 1);
          assert.equal(short.stderr.trim(), 'error: failed to create token: TokenRequest.authentication.k8s.io "robot" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
          const missing = await runKubectl(k, c, ['create', 'token', 'nobody', '-n', ns]);
          assert.equal(missing.code, 1);
          assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nobody" not found');
        });
      }

      if (minor(k) >= 28) {
        it('kubectl auth whoami names the account and its groups', async () => {
          const out = await runKubectl(k, c, ['auth', 'whoami'], { kubeconfig: sa.path });
          assert.equal(out.code, 0, out.stderr);
          const rows = Object.fromEntries(parseTable(out.stdout).rows.map((r) => [r.ATTRIBUTE, r.VALUE]));
          assert.equal(rows.Username, user);
          assert.equal(rows.Groups, `[system:serviceaccounts system:serviceaccounts:${ns} system:authenticated]`);
        });
      }

      it('a request no rule allows is 403 Forbidden with kube-apiserver\'s message; discovery still works', async () => {
        const r = await asRobot(['get', 'pods']);
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim(), forbidden('pods', 'list', 'pods'));
        const named = await asRobot(['get', 'pod', 'p1']);
        assert.equal(named.stderr.trim(), forbidden('pods "p1"', 'get', 'pods'));
        const nodes = await asRobot(['get', 'nodes']);
        assert.equal(nodes.stderr.trim(), forbidden('nodes', 'list', 'nodes', 'at the cluster scope'));
        const status = await api(c, 'GET', `/api/v1/namespaces/${ns}/pods/p1`, undefined, { token: sa.token });
        assert.equal(status.status, 403);
        assert.deepEqual(
          { kind: status.body.kind, code: status.body.code, reason: status.body.reason, details: status.body.details },
          { kind: 'Status', code: 403, reason: 'Forbidden', details: { name: 'p1', kind: 'pods' } },
        );
        assert.equal((await api(c, 'GET', '/apis', undefined, { token: sa.token })).status, 200);
        assert.equal((await api(c, 'GET', '/api/v1', undefined, { token: sa.token })).status, 200);
        const metrics = await api(c, 'GET', '/metrics', undefined, { token: sa.token });
        assert.equal(metrics.status, 403);
        assert.equal(metrics.body.message, `forbidden: User "${user}" cannot get path "/metrics"`);
      });

      it('a Role bound by a RoleBinding allows what it lists, in its namespace only', async () => {
        await admin(['create', 'role', 'pod-reader', '-n', ns, '--verb=get,list,watch', '--resource=pods']);
        await admin(['create', 'rolebinding', 'robot-reads-pods', '-n', ns, '--role=pod-reader', `--serviceaccount=${ns}:robot`]);
        const r = await asRobot(['get', 'pods', '-o', 'name']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'pod/p1');
        const elsewhere = await asRobot(['get', 'pods', '-n', other]);
        assert.equal(elsewhere.stderr.trim(), forbidden('pods', 'list', 'pods', `in the namespace "${other}"`));
        const write = await asRobot(['delete', 'pod', 'p1']);
        assert.equal(write.stderr.trim(), forbidden('pods "p1"', 'delete', 'pods'));
        const table = parseTable(await admin(['get', 'rolebindings', '-n', ns, '-o', 'wide']));
        assert.deepEqual(table.headers, ['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
        assert.deepEqual([table.rows[0].NAME, table.rows[0].ROLE, table.rows[0].SERVICEACCOUNTS], ['robot-reads-pods', 'Role/pod-reader', `${ns}/robot`]);
        assert.deepEqual(parseTable(await admin(['get', 'roles', '-n', ns])).headers, ['NAME', 'CREATED AT']);
        const described = await admin(['describe', 'role', 'pod-reader', '-n', ns]);
        assert.match(described, /pods\s+\[\]\s+\[\]\s+\[get list watch\]/);
      });

      it('subresources need their own rule: pods does not grant pods/status', async () => {
        const denied = await api(c, 'GET', `/api/v1/namespaces/${ns}/pods/p1/status`, undefined, { token: sa.token });
        assert.equal(denied.status, 403);
        assert.equal(denied.body.message, `pods "p1" is forbidden: User "${user}" cannot get resource "pods/status" in API group "" in the namespace "${ns}"`);
        await admin(['create', 'role', 'pod-status', '-n', ns, '--verb=get', '--resource=pods/status']);
        await admin(['create', 'rolebinding', 'robot-pod-status', '-n', ns, '--role=pod-status', `--serviceaccount=${ns}:robot`]);
        const allowed = await api(c, 'GET', `/api/v1/namespaces/${ns}/pods/p1/status`, undefined, { token: sa.token });
        assert.equal(allowed.status, 200, allowed.text);
      });

      it('resourceNames limit a rule to the objects it names', async () => {
        await admin(['create', 'role', 'one-configmap', '-n', ns, '--verb=get', '--resource=configmaps', '--resource-name=allowed']);
        await admin(['create', 'rolebinding', 'robot-one-configmap', '-n', ns, '--role=one-configmap', `--serviceaccount=${ns}:robot`]);
        const ok = await asRobot(['get', 'configmap', 'allowed', '-o', 'jsonpath={.data.a}']);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, '1');
        const no = await asRobot(['get', 'configmap', 'secret-ish']);
        assert.equal(no.stderr.trim(), forbidden('configmaps "secret-ish"', 'get', 'configmaps'));
        const list = await asRobot(['get', 'configmaps']);
        assert.equal(list.stderr.trim(), forbidden('configmaps', 'list', 'configmaps'));
      });

      it('a watch is authorised before it starts', async () => {
        const w = rawWatch(c, `/api/v1/namespaces/${ns}/configmaps`, { token: sa.token });
        try {
          assert.equal(await w.status, 403);
          await w.ended;
          const body = JSON.parse(w.errorText());
          assert.equal(body.message, `configmaps is forbidden: User "${user}" cannot watch resource "configmaps" in API group "" in the namespace "${ns}"`);
        } finally {
          w.close();
        }
        const pods = rawWatch(c, `/api/v1/namespaces/${ns}/pods`, { token: sa.token });
        try {
          assert.equal(await pods.status, 200);
          await pods.waitFor((events) => events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'p1'));
        } finally {
          pods.close();
        }
      });

      it('a ClusterRole bound by a ClusterRoleBinding allows cluster-scoped reads', async () => {
        const crb = `robot-${ns}-nodes`;
        await admin(['create', 'clusterrole', `node-reader-${ns}`, '--verb=get,list', '--resource=nodes']);
        await admin(['create', 'clusterrolebinding', crb, `--clusterrole=node-reader-${ns}`, `--serviceaccount=${ns}:robot`]);
        const r = await asRobot(['get', 'nodes', '-o', 'name']);
        assert.equal(r.code, 0, r.stderr);
        await admin(['delete', 'clusterrolebinding', crb]);
        const after = await asRobot(['get', 'nodes']);
        assert.equal(after.stderr.trim(), forbidden('nodes', 'list', 'nodes', 'at the cluster scope'));
      });

      it('kubectl auth can-i answers for the account and for the admin', async () => {
        const yes = await asRobot(['auth', 'can-i', 'list', 'pods']);
        assert.deepEqual([yes.code, yes.stdout.trim()], [0, 'yes']);
        const no = await asRobot(['auth', 'can-i', 'create', 'pods']);
        assert.deepEqual([no.code, no.stdout.trim()], [1, 'no']);
        const elsewhere = await asRobot(['auth', 'can-i', 'list', 'pods', '-n', other]);
        assert.deepEqual([elsewhere.code, elsewhere.stdout.trim()], [1, 'no']);
        const named = await asRobot(['auth', 'can-i', 'get', 'configmap/allowed']);
        assert.deepEqual([named.code, named.stdout.trim()], [0, 'yes']);
        const list = parseTable((await asRobot(['auth', 'can-i', '--list'])).stdout);
        const rows = list.rows.map((r) => `${r.Resources} ${r['Resource Names']} ${r.Verbs}`);
        assert.ok(rows.includes('pods [] [get list watch]'), rows.join('\n'));
        assert.ok(rows.includes('configmaps [allowed] [get]'), rows.join('\n'));
        assert.ok(rows.includes('selfsubjectaccessreviews.authorization.k8s.io [] [create]'), rows.join('\n'));
        const all = await runKubectl(k, c, ['auth', 'can-i', '*', '*', '--all-namespaces']);
        assert.deepEqual([all.code, all.stdout.trim()], [0, 'yes']);
      });

      it('kubectl --as acts as another identity when the requester may impersonate it', async () => {
        const asSa = await runKubectl(k, c, ['auth', 'can-i', 'list', 'pods', '-n', ns, `--as=${user}`]);
        assert.deepEqual([asSa.code, asSa.stdout.trim()], [0, 'yes']);
        const denied = await runKubectl(k, c, ['get', 'pods', '-n', other, `--as=${user}`]);
        assert.equal(denied.code, 1);
        assert.equal(denied.stderr.trim(), forbidden('pods', 'list', 'pods', `in the namespace "${other}"`));
        const asMaster = await runKubectl(k, c, ['get', 'nodes', '-o', 'name', '--as=someone', '--as-group=system:masters']);
        assert.equal(asMaster.code, 0, asMaster.stderr);
        const robot = await asRobot(['get', 'pods', '--as=bob']);
        assert.equal(robot.code, 1);
        assert.equal(robot.stderr.trim(), `Error from server (Forbidden): users "bob" is forbidden: User "${user}" cannot impersonate resource "users" in API group "" at the cluster scope`);
      });

      it('the admin kubeconfig keeps full access', async () => {
        await admin(['get', 'nodes']);
        await admin(['get', 'pods', '-A']);
        await admin(['create', 'configmap', 'by-admin', '-n', other, '--from-literal=x=1']);
      });

      it('bad RBAC objects are refused with 422 and their causes; roleRef cannot change', async () => {
        const badRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bad', namespace: ns }, rules: [{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'] }] };
        const r = await runKubectl(k, c, ['apply', '-f', '-'], { input: toYaml(badRole) });
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /The Role "bad" is invalid: \n?\* rules\[0\]\.verbs: Required value: verbs must contain at least one value\n\* rules\[1\]\.apiGroups: Required value: resource rules must supply at least one api group\n\* rules\[1\]\.resources: Required value: resource rules must supply at least one resource/,
        );
        const direct = await api(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'bad' },
          roleRef: { kind: 'Robot', name: '' },
          subjects: [{ kind: 'ServiceAccount' }],
        });
        assert.equal(direct.status, 422);
        assert.deepEqual(direct.body.details.causes, [
          { reason: 'FieldValueNotSupported', field: 'roleRef.kind', message: 'Unsupported value: "Robot": supported values: "Role", "ClusterRole"' },
          { reason: 'FieldValueRequired', field: 'roleRef.name', message: 'Required value' },
          { reason: 'FieldValueRequired', field: 'subjects[0].name', message: 'Required value' },
        ]);
        const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'robot-reads-pods', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'robot' }] };
        const changed = await runKubectl(k, c, ['apply', '-f', '-'], { input: toYaml(binding) });
        assert.equal(changed.code, 1);
        assert.match(changed.stderr, /The RoleBinding "robot-reads-pods" is invalid: roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"view"\}: cannot change roleRef/);
        const stored = await apiOk(c, 'GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/robot-reads-pods`);
        assert.equal(stored.roleRef.name, 'pod-reader');
      });

      it("a deleted account's token is rejected with 401, even after an account of the same name comes back", async () => {
        await admin(['delete', 'serviceaccount', 'robot', '-n', ns]);
        const r = await asRobot(['get', 'pods']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
        assert.equal((await api(c, 'GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token: sa.token })).status, 401);
        await admin(['create', 'serviceaccount', 'robot', '-n', ns]);
        assert.equal((await api(c, 'GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token: sa.token })).status, 401);
        const fresh = await serviceAccountKubeconfig(c, ns, 'robot');
        assert.equal((await api(c, 'GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token: fresh.token })).status, 200);
      });
    });
  }

  it('a token whose base64url text was changed without changing its bytes is refused (strict decoding)', async () => {
    const ns = 'strict-base64';
    const sa = await serviceAccountKubeconfig(c, ns, 'robot');
    const whoami = (token: string) => api(c, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token });
    assert.equal((await whoami(sa.token)).status, 201);
    const [h, p, sig] = sa.token.split('.') as [string, string, string];
    // A 256-byte signature is 342 characters: the last one carries 2 bits and 4 unused ones.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    assert.deepEqual(Buffer.from(sig.slice(0, -1) + twin, 'base64url'), Buffer.from(sig, 'base64url'), 'same bytes for a lenient decoder');
    for (const forged of [`${h}.${p}.${sig.slice(0, -1)}${twin}`, `${h}.${p}.${sig}=`, `${h}.${p}.${sig.slice(0, 10)}*${sig.slice(10)}`]) {
      assert.equal((await whoami(forged)).status, 401, forged.slice(-12));
    }
  });

  it('client-node acting as a ServiceAccount gets 403 until a binding allows it', async () => {
    const ns = 'rbac-client-node';
    const sa = await serviceAccountKubeconfig(c, ns, 'informer');
    const kc = new KubeConfig();
    kc.loadFromFile(sa.path);
    const core = kc.makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespacedPod({ namespace: ns }), (err: unknown) => {
      assert.ok(err instanceof ApiException);
      assert.equal(err.code, 403);
      assert.match(String(err.body), /pods is forbidden: User \\?"system:serviceaccount:rbac-client-node:informer\\?" cannot list resource/);
      return true;
    });
    await apiOk(c, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'informer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'informer', namespace: ns }],
    });
    const list = await core.listNamespacedPod({ namespace: ns });
    assert.deepEqual(list.items, []);
  });

  it('ClusterRoles labelled aggregate-to-view add their rules to view, and lose them when deleted', async () => {
    const path = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    const viewHas = async (resource: string) => {
      const view = await apiOk(c, 'GET', `${path}/view`);
      return (view.rules ?? []).some((r: { resources?: string[] }) => r.resources?.includes(resource));
    };
    assert.ok(await viewHas('pods'), 'view holds the rules of system:aggregate-to-view');
    assert.ok(await viewHas('leases'));
    const view = await apiOk(c, 'GET', `${path}/view`);
    assert.ok(view.rules.some((r: { apiGroups?: string[] }) => r.apiGroups?.includes('game.kruise.io')), 'view covers hotpod\'s kinds through hotpod:aggregate-to-view');
    const edit = await apiOk(c, 'GET', `${path}/edit`);
    assert.ok(edit.rules.some((r: { verbs: string[]; resources: string[] }) => r.resources.includes('pods') && r.verbs.includes('create')));
    assert.ok(edit.rules.some((r: { verbs: string[]; resources: string[] }) => r.resources.includes('pods') && r.verbs.includes('watch')), 'edit includes view');
    await apiOk(c, 'POST', path, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['widgets.example'], resources: ['widgets'], verbs: ['get', 'list'] }],
    });
    await waitFor(() => viewHas('widgets'), 'view to take the rules of widgets-view');
    const sa = await serviceAccountKubeconfig(c, 'rbac-aggregate', 'viewer');
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rbac-aggregate-viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: 'rbac-aggregate' }],
    });
    const review = (resource: string) =>
      apiOk(c, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'list', group: 'widgets.example', resource } },
      }, { token: sa.token });
    assert.equal((await review('widgets')).status.allowed, true);
    assert.equal((await review('gadgets')).status.allowed, false);
    // kubectl's imperative create sends the aggregation rule as protobuf.
    const k = kubectls()[kubectls().length - 1];
    await kubectlOk(k, c, ['create', 'clusterrole', 'team-x', '--aggregation-rule=team=x']);
    await kubectlOk(k, c, ['create', 'clusterrole', 'team-x-secrets', '--verb=get', '--resource=secrets']);
    await kubectlOk(k, c, ['label', 'clusterrole', 'team-x-secrets', 'team=x']);
    await waitFor(async () => (await apiOk(c, 'GET', `${path}/team-x`)).rules?.[0]?.resources?.[0] === 'secrets', 'team-x to take the rules of team-x-secrets');
    await apiOk(c, 'DELETE', `${path}/widgets-view`);
    await waitFor(async () => !(await viewHas('widgets')), 'view to drop the rules of the deleted role');
    assert.equal((await review('widgets')).status.allowed, false);
  });

  it('a kubernetes.io/service-account-token Secret gets a token, which dies with the Secret', async () => {
    const ns = 'rbac-legacy';
    await serviceAccountKubeconfig(c, ns, 'old-school');
    const k = kubectls()[kubectls().length - 1];
    const secret = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'old-school-token', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'old-school' } } };
    await kubectlOk(k, c, ['apply', '-f', '-'], { input: toYaml(secret) });
    const filled = await waitFor(async () => {
      const got = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/secrets/old-school-token`);
      return got.data?.token ? got : undefined;
    }, 'the token Secret to be populated');
    assert.equal(Buffer.from(filled.data.namespace, 'base64').toString(), ns);
    assert.equal(Buffer.from(filled.data['ca.crt'], 'base64').toString(), c.caPem);
    const sa = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/old-school`);
    assert.equal(filled.metadata.annotations['kubernetes.io/service-account.uid'], sa.metadata.uid);
    const token = Buffer.from(filled.data.token, 'base64').toString();
    const whoami = await apiOk(c, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token });
    assert.equal(whoami.status.userInfo.username, `system:serviceaccount:${ns}:old-school`);
    await apiOk(c, 'DELETE', `/api/v1/namespaces/${ns}/secrets/old-school-token`);
    assert.equal((await api(c, 'GET', '/api', undefined, { token })).status, 401);
  });

  it('TokenReview and SubjectAccessReview answer for other identities, to holders of system:auth-delegator', async () => {
    const ns = 'rbac-delegate';
    const proxy = await serviceAccountKubeconfig(c, ns, 'proxy');
    const client = await serviceAccountKubeconfig(c, ns, 'client');
    const tokenReview = (token: string, audiences?: string[]) =>
      api(c, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } }, { token: proxy.token });
    const denied = await tokenReview(client.token);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.message, `tokenreviews.authentication.k8s.io is forbidden: User "${proxy.username}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`);
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rbac-delegate-proxy' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'proxy', namespace: ns }],
    });
    const ok = await tokenReview(client.token);
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.status.authenticated, true);
    assert.equal(ok.body.status.user.username, client.username);
    assert.deepEqual(ok.body.status.user.groups, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']);
    const otherAudience = await tokenReview(client.token, ['https://vault.example']);
    assert.equal(otherAudience.body.status.authenticated, undefined);
    assert.equal((await tokenReview('garbage')).body.status.error, 'invalid bearer token');

    const sar = (spec: object, path = '/apis/authorization.k8s.io/v1/subjectaccessreviews') =>
      api(c, 'POST', path, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }, { token: proxy.token });
    const clientCanList = await sar({ user: client.username, groups: ['system:serviceaccounts'], resourceAttributes: { namespace: ns, verb: 'list', resource: 'pods' } });
    assert.equal(clientCanList.status, 201, clientCanList.text);
    assert.equal(clientCanList.body.status.allowed, false);
    const masters = await sar({ user: 'anyone', groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes' } });
    assert.equal(masters.body.status.allowed, true);
    const discovery = await sar({ user: 'anyone', groups: ['system:authenticated'], nonResourceAttributes: { verb: 'get', path: '/apis' } });
    assert.equal(discovery.body.status.allowed, true);
    const nobody = await sar({ resourceAttributes: { verb: 'get', resource: 'pods' } });
    assert.equal(nobody.status, 422);
    assert.equal(nobody.body.details.causes[0].message, 'Invalid value: "": at least one of user or group must be specified');
    const local = await api(c, 'POST', `/apis/authorization.k8s.io/v1/namespaces/${ns}/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      spec: { user: 'x', resourceAttributes: { namespace: 'elsewhere', verb: 'get', resource: 'pods' } },
    });
    assert.equal(local.status, 422);
    assert.match(local.body.message, /spec\.resourceAttributes\.namespace: Invalid value: "elsewhere": must match metadata\.namespace/);
  });

  it('roles and bindings grant only what their writer holds, unless the writer may escalate or bind', async () => {
    const ns = 'rbac-escalation';
    const boss = await serviceAccountKubeconfig(c, ns, 'boss');
    const groups = `["system:serviceaccounts" "system:serviceaccounts:${ns}" "system:authenticated"]`;
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`;
    await apiOk(c, 'POST', `${rbac}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'boss-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'boss' }],
    });
    const role = (name: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules });
    const held = await api(c, 'POST', `${rbac}/roles`, role('pod-writer', [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] }]), { token: boss.token });
    assert.equal(held.status, 201, held.text);
    const more = await api(c, 'POST', `${rbac}/roles`, role('node-lister', [{ apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['pods'], verbs: ['escalate'] }]), { token: boss.token });
    assert.equal(more.status, 403);
    assert.equal(
      more.body.message,
      `roles.rbac.authorization.k8s.io "node-lister" is forbidden: user "${boss.username}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n` +
        '{APIGroups:[""], Resources:["pods"], Verbs:["escalate"]}\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}',
    );
    assert.deepEqual(more.body.details, { name: 'node-lister', group: 'rbac.authorization.k8s.io', kind: 'roles' });
    const binding = (name: string, roleName: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: 'helper' }],
    });
    assert.equal((await api(c, 'POST', `${rbac}/rolebindings`, binding('helper-view', 'view'), { token: boss.token })).status, 201);
    const escalate = await api(c, 'POST', `${rbac}/rolebindings`, binding('helper-root', 'cluster-admin'), { token: boss.token });
    assert.equal(escalate.status, 403);
    assert.equal(
      escalate.body.message,
      `rolebindings.rbac.authorization.k8s.io "helper-root" is forbidden: user "${boss.username}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n` +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    // The bind verb on that one ClusterRole is enough to bind it without holding its permissions.
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'bind-cluster-admin' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] }],
    });
    await apiOk(c, 'POST', `${rbac}/rolebindings`, { ...binding('boss-binds', 'bind-cluster-admin'), subjects: [{ kind: 'ServiceAccount', name: 'boss' }] });
    const bound = await api(c, 'POST', `${rbac}/rolebindings`, binding('helper-root', 'cluster-admin'), { token: boss.token });
    assert.equal(bound.status, 201, bound.text);
  });

  it('a token bound to a pod (kubectl create token --bound-object-kind Pod) dies with the pod', async () => {
    const ns = 'rbac-bound';
    await serviceAccountKubeconfig(c, ns, 'runner');
    await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('worker', ns));
    const k = kubectls()[kubectls().length - 1];
    const token = (await kubectlOk(k, c, ['create', 'token', 'runner', '-n', ns, '--bound-object-kind', 'Pod', '--bound-object-name', 'worker'])).trim();
    const whoami = await apiOk(c, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token });
    assert.deepEqual(whoami.status.userInfo.extra['authentication.kubernetes.io/pod-name'], ['worker']);
    const missing = await runKubectl(k, c, ['create', 'token', 'runner', '-n', ns, '--bound-object-kind', 'Pod', '--bound-object-name', 'nobody']);
    assert.equal(missing.stderr.trim(), 'error: failed to create token: pods "nobody" not found');
    await apiOk(c, 'DELETE', `/api/v1/namespaces/${ns}/pods/worker?gracePeriodSeconds=0`);
    await waitFor(async () => (await api(c, 'GET', `/api/v1/namespaces/${ns}/pods/worker`)).status === 404, 'the pod to be gone');
    assert.equal((await api(c, 'GET', '/api', undefined, { token })).status, 401);
  });

  it('unknown tokens are 401 as before; health and version stay open', async () => {
    assert.equal((await api(c, 'GET', '/api/v1/pods', undefined, { token: 'not-a-token' })).status, 401);
    assert.equal((await api(c, 'GET', '/api/v1/pods', undefined, { token: null })).status, 401);
    assert.equal((await api(c, 'GET', '/version', undefined, { token: null })).status, 200);
  });
});
