import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestAttributes, type RequestAttributes } from '../../src/util/request-attributes.js';
import { allows, appliesTo, compileRules, ruleAllows, type Binding, type PolicySource, type Role } from '../../src/apiserver/auth/rbac-rules.js';
import { serviceAccountUser, type UserInfo } from '../../src/apiserver/auth/user.js';
import { forbidden } from '../../src/apiserver/auth/authorizer.js';
import { TokenSigner } from '../../src/apiserver/auth/tokens.js';
import { compactString, uncovered } from '../../src/apiserver/auth/escalation.js';
import { defaultRbac, validateRbac } from '../../src/apiserver/registry/rbac-strategy.js';
import { BUILTIN_RESOURCES } from '../../src/apiserver/registry/builtins.js';
import { generateKeyPairSync } from 'node:crypto';

const q = (s = '') => new URLSearchParams(s);

function attrs(method: string, path: string, query = ''): RequestAttributes {
  return requestAttributes(method, path, q(query));
}

function resource(verb: string, resource: string, extra: Partial<Extract<RequestAttributes, { kind: 'resource' }>> = {}): RequestAttributes {
  return { kind: 'resource', verb, apiGroup: '', apiVersion: 'v1', resource, subresource: '', name: '', namespace: 'ns1', ...extra };
}

test('attributes: verbs from method and path, as kube-apiserver derives them', () => {
  const cases: [string, string, string, Partial<Extract<RequestAttributes, { kind: 'resource' }>>][] = [
    ['GET', '/api/v1/namespaces/ns1/pods', '', { verb: 'list', resource: 'pods', namespace: 'ns1', name: '' }],
    ['GET', '/api/v1/namespaces/ns1/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/ns1/pods', '', { verb: 'watch', resource: 'pods', namespace: 'ns1' }],
    ['GET', '/api/v1/namespaces/ns1/pods', 'watch=1&fieldSelector=metadata.name%3Dp1', { verb: 'watch', name: 'p1' }],
    ['GET', '/api/v1/namespaces/ns1/pods/p1', '', { verb: 'get', name: 'p1' }],
    ['POST', '/api/v1/namespaces/ns1/pods', '', { verb: 'create', name: '' }],
    ['PUT', '/api/v1/namespaces/ns1/pods/p1/status', '', { verb: 'update', subresource: 'status', name: 'p1' }],
    ['PATCH', '/apis/game.kruise.io/v1alpha1/namespaces/ns1/gameserversets/s1/scale', '', { verb: 'patch', apiGroup: 'game.kruise.io', resource: 'gameserversets', subresource: 'scale' }],
    ['POST', '/api/v1/namespaces/ns1/pods/p1/binding', '', { verb: 'create', subresource: 'binding' }],
    ['DELETE', '/api/v1/namespaces/ns1/pods/p1', '', { verb: 'delete' }],
    ['DELETE', '/api/v1/namespaces/ns1/pods', '', { verb: 'deletecollection' }],
    ['GET', '/api/v1/nodes', '', { verb: 'list', resource: 'nodes', namespace: '' }],
    // A namespace is its own namespace, so a RoleBinding in it can grant reading it.
    ['GET', '/api/v1/namespaces/ns1', '', { verb: 'get', resource: 'namespaces', name: 'ns1', namespace: 'ns1' }],
    ['PUT', '/api/v1/namespaces/ns1/finalize', '', { verb: 'update', resource: 'namespaces', name: 'ns1', subresource: 'finalize' }],
    ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', namespace: '' }],
  ];
  for (const [method, path, query, want] of cases) {
    const got = attrs(method, path, query);
    assert.equal(got.kind, 'resource', `${method} ${path}`);
    for (const [k, v] of Object.entries(want)) assert.equal((got as unknown as Record<string, unknown>)[k], v, `${method} ${path}?${query}: ${k}`);
  }
});

test('attributes: discovery, version and openapi paths are non-resource URLs', () => {
  for (const path of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/openapi/v3', '/healthz']) {
    assert.deepEqual(attrs('GET', path), { kind: 'nonResource', verb: 'get', path });
  }
});

test('rules: verbs, groups, resources, subresources, resourceNames and stars', () => {
  const podReader = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
  assert.ok(ruleAllows(podReader, resource('list', 'pods')));
  assert.ok(!ruleAllows(podReader, resource('watch', 'pods')));
  assert.ok(!ruleAllows(podReader, resource('get', 'pods', { apiGroup: 'apps' })));
  assert.ok(!ruleAllows(podReader, resource('get', 'pods', { subresource: 'status' })), 'pods does not cover pods/status');
  assert.ok(ruleAllows({ verbs: ['patch'], apiGroups: [''], resources: ['pods/status'] }, resource('patch', 'pods', { subresource: 'status' })));
  assert.ok(ruleAllows({ verbs: ['patch'], apiGroups: [''], resources: ['*/status'] }, resource('patch', 'pods', { subresource: 'status' })));
  assert.ok(!ruleAllows({ verbs: ['patch'], apiGroups: [''], resources: ['*/status'] }, resource('patch', 'pods')));
  assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, resource('delete', 'gameserversets', { apiGroup: 'game.kruise.io', subresource: 'scale' })));
  const named = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] };
  assert.ok(ruleAllows(named, resource('get', 'configmaps', { name: 'settings' })));
  assert.ok(!ruleAllows(named, resource('get', 'configmaps', { name: 'other' })));
  assert.ok(!ruleAllows(named, resource('list', 'configmaps')), 'a list names no object, so resourceNames never match it');
  const urls = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.ok(ruleAllows(urls, { kind: 'nonResource', verb: 'get', path: '/healthz' }));
  assert.ok(ruleAllows(urls, { kind: 'nonResource', verb: 'get', path: '/apis/apps/v1' }));
  assert.ok(!ruleAllows(urls, { kind: 'nonResource', verb: 'get', path: '/api' }));
  assert.ok(!ruleAllows(urls, { kind: 'nonResource', verb: 'post', path: '/healthz' }));
  assert.ok(!ruleAllows(podReader, { kind: 'nonResource', verb: 'get', path: '/api' }), 'resource rules grant no URL');
});

test('subjects: users, groups, and service accounts defaulting to the binding namespace', () => {
  const sa = serviceAccountUser('ns1', 'sa1', 'uid-1');
  assert.ok(appliesTo(sa, { kind: 'ServiceAccount', name: 'sa1', namespace: 'ns1' }, 'other'));
  assert.ok(appliesTo(sa, { kind: 'ServiceAccount', name: 'sa1' }, 'ns1'));
  assert.ok(!appliesTo(sa, { kind: 'ServiceAccount', name: 'sa1' }, ''));
  assert.ok(!appliesTo(sa, { kind: 'ServiceAccount', name: 'sa1', namespace: 'ns2' }, 'ns1'));
  assert.ok(appliesTo(sa, { kind: 'Group', name: 'system:serviceaccounts:ns1' }, ''));
  assert.ok(appliesTo(sa, { kind: 'User', name: 'system:serviceaccount:ns1:sa1' }, ''));
  assert.ok(!appliesTo(sa, { kind: 'User', name: 'sa1' }, ''));
  assert.ok(!appliesTo(sa, { kind: 'Robot', name: 'sa1' }, 'ns1'));
});

function source(objs: { clusterRoles?: Role[]; roles?: Role[]; crbs?: Binding[]; rbs?: Binding[] }): PolicySource {
  return {
    clusterRoles: () => objs.clusterRoles ?? [],
    roles: (ns) => (objs.roles ?? []).filter((r) => r.metadata.namespace === ns),
    clusterRoleBindings: () => objs.crbs ?? [],
    roleBindings: () => objs.rbs ?? [],
  };
}

test('compiled rules: Role by RoleBinding in its namespace, ClusterRole by RoleBinding or ClusterRoleBinding', () => {
  const user: UserInfo = serviceAccountUser('ns1', 'sa1', 'u');
  const src = source({
    clusterRoles: [{ metadata: { name: 'node-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes'] }] },
      { metadata: { name: 'cm-writer' }, rules: [{ verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }] }],
    roles: [{ metadata: { name: 'pod-reader', namespace: 'ns1' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }] }],
    crbs: [{ metadata: { name: 'nodes' }, roleRef: { kind: 'ClusterRole', name: 'node-reader' }, subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }] }],
    rbs: [
      { metadata: { name: 'pods', namespace: 'ns1' }, roleRef: { kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'sa1' }] },
      { metadata: { name: 'cms', namespace: 'ns2' }, roleRef: { kind: 'ClusterRole', name: 'cm-writer' }, subjects: [{ kind: 'ServiceAccount', name: 'sa1', namespace: 'ns1' }] },
      { metadata: { name: 'dangling', namespace: 'ns1' }, roleRef: { kind: 'Role', name: 'gone' }, subjects: [{ kind: 'ServiceAccount', name: 'sa1' }] },
    ],
  });
  const rules = compileRules(user, src);
  assert.ok(allows(rules, resource('list', 'nodes', { namespace: '' })));
  assert.ok(allows(rules, resource('list', 'pods', { namespace: 'ns1' })));
  assert.ok(!allows(rules, resource('list', 'pods', { namespace: 'ns2' })));
  assert.ok(!allows(rules, resource('list', 'pods', { namespace: '' })), 'a RoleBinding grants nothing cluster-wide');
  assert.ok(allows(rules, resource('create', 'configmaps', { namespace: 'ns2' })));
  assert.ok(!allows(rules, resource('create', 'configmaps', { namespace: 'ns1' })));
  assert.deepEqual(rules.errors, ['role.rbac.authorization.k8s.io "gone" not found']);
  const stranger = compileRules({ name: 'bob', groups: ['system:authenticated'] }, src);
  assert.ok(!allows(stranger, resource('list', 'nodes', { namespace: '' })));
});

test('forbidden: kube-apiserver messages for named, collection, cluster-scoped, subresource and URL requests', () => {
  const user = serviceAccountUser('ns1', 'sa1', 'u');
  const list = forbidden(user, attrs('GET', '/api/v1/namespaces/ns1/pods'), '').toStatus();
  assert.equal(list.message, 'pods is forbidden: User "system:serviceaccount:ns1:sa1" cannot list resource "pods" in API group "" in the namespace "ns1"');
  assert.equal(list.code, 403);
  assert.equal(list.reason, 'Forbidden');
  assert.deepEqual(list.details, { name: undefined, group: undefined, kind: 'pods' });
  const named = forbidden(user, attrs('PATCH', '/apis/game.kruise.io/v1alpha1/namespaces/ns1/gameserversets/s1/scale'), '').toStatus();
  assert.equal(named.message, 'gameserversets.game.kruise.io "s1" is forbidden: User "system:serviceaccount:ns1:sa1" cannot patch resource "gameserversets/scale" in API group "game.kruise.io" in the namespace "ns1"');
  assert.deepEqual(named.details, { name: 's1', group: 'game.kruise.io', kind: 'gameserversets' });
  assert.equal(
    forbidden(user, attrs('GET', '/api/v1/nodes'), 'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found').message,
    'nodes is forbidden: User "system:serviceaccount:ns1:sa1" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
  );
  assert.equal(forbidden(user, attrs('GET', '/metrics'), '').message, 'forbidden: User "system:serviceaccount:ns1:sa1" cannot get path "/metrics"');
});

test('tokens: signed, expiring, bound to the signing key', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = new TokenSigner(privateKey);
  const now = Date.parse('2026-01-01T00:00:00Z');
  const { token, claims } = signer.issue({ namespace: 'ns1', serviceAccount: { name: 'sa1', uid: 'u1' }, audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 }, now);
  assert.equal(claims.sub, 'system:serviceaccount:ns1:sa1');
  assert.deepEqual(signer.verify(token, now + 1000)?.['kubernetes.io'].serviceaccount, { name: 'sa1', uid: 'u1' });
  assert.equal(signer.verify(token, now + 601_000), undefined, 'expired');
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:ns1:admin' })).toString('base64url');
  assert.equal(signer.verify(`${h}.${forged}.${s}`, now), undefined, 'claims changed after signing');
  const other = new TokenSigner(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  assert.equal(other.verify(token, now), undefined, 'another key');
  const foreign = signer.issue({ namespace: 'ns1', serviceAccount: { name: 'sa1', uid: 'u1' }, audiences: ['vault'], expirationSeconds: 600 }, now);
  assert.equal(signer.verify(foreign.token, now), undefined, 'a token for another audience is not for the API server');
  assert.equal(signer.verify(`${p}.${h}`, now), undefined);
});

test('escalation: owner rules must cover every verb, resource, name and URL a role grants', () => {
  const owner = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/status'] },
    { verbs: ['*'], apiGroups: ['apps'], resources: ['*'] },
    { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
    { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
  ];
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/status'] }]), []);
  assert.deepEqual(uncovered(owner, [{ verbs: ['delete', 'patch'], apiGroups: ['apps'], resources: ['deployments/scale'] }]), []);
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }]), []);
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }]), []);
  assert.deepEqual(uncovered(owner, [{ verbs: ['get', 'watch'], apiGroups: [''], resources: ['pods'] }]), [{ apiGroups: [''], resources: ['pods'], verbs: ['watch'] }]);
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]), [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }], 'a name-limited rule does not cover all names');
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], nonResourceURLs: ['/api'] }]), [{ nonResourceURLs: ['/api'], verbs: ['get'] }]);
  assert.equal(uncovered([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]).length, 1, 'resource rules cover no URL');
  assert.equal(compactString({ apiGroups: [''], resources: ['pods'], resourceNames: ['x'], verbs: ['get', 'list'] }), '{APIGroups:[""], Resources:["pods"], ResourceNames:["x"], Verbs:["get" "list"]}');
  assert.equal(compactString({ nonResourceURLs: ['*'], verbs: ['*'] }), '{NonResourceURLs:["*"], Verbs:["*"]}');
});

test('RBAC validation: rules, roleRef and subjects with kube-apiserver field paths and messages', () => {
  const def = (resource: string) => BUILTIN_RESOURCES.find((d) => d.group === 'rbac.authorization.k8s.io' && d.resource === resource)!;
  const meta = (name: string) => ({ name });
  const role = (resource: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('r'), rules });
  assert.deepEqual(validateRbac(def('roles'), role('roles', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }])), [
    { reason: 'FieldValueInvalid', field: 'rules[0].nonResourceURLs', message: 'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs' },
  ]);
  assert.deepEqual(validateRbac(def('clusterroles'), role('clusterroles', [{ verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] }])), [
    { reason: 'FieldValueInvalid', field: 'rules[0].nonResourceURLs', message: 'Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs' },
  ]);
  assert.deepEqual(validateRbac(def('clusterroles'), { ...role('clusterroles', []), metadata: meta('system:thing') }), [], 'RBAC names may hold colons');
  assert.equal(validateRbac(def('roles'), { ...role('roles', []), metadata: meta('a/b') })[0].message, 'Invalid value: "a/b": may not contain \'/\'');
  const crb = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta('b'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
    subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }],
  };
  assert.deepEqual(validateRbac(def('clusterrolebindings'), crb), [
    { reason: 'FieldValueNotSupported', field: 'roleRef.kind', message: 'Unsupported value: "Role": supported values: "ClusterRole"' },
    { reason: 'FieldValueRequired', field: 'subjects[0].namespace', message: 'Required value' },
  ]);
  const rb = { ...crb, kind: 'RoleBinding', subjects: [{ kind: 'Group', name: 'g' }] };
  defaultRbac(def('rolebindings'), rb);
  assert.deepEqual(rb.subjects, [{ kind: 'Group', name: 'g', apiGroup: 'rbac.authorization.k8s.io' }], 'User and Group subjects default to the RBAC group');
  assert.deepEqual(validateRbac(def('rolebindings'), rb), []);
  const changed = { ...rb, roleRef: { ...rb.roleRef, name: 'y' } };
  assert.deepEqual(validateRbac(def('rolebindings'), changed, rb), [
    { reason: 'FieldValueInvalid', field: 'roleRef', message: 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"y"}: cannot change roleRef' },
  ]);
});
