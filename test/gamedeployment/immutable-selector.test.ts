// A GameDeployment's selector cannot change once set, as apps/v1 Deployments' and BCS's: the CRD
// says so with kube's transition rule (x-kubernetes-validations `self == oldSelf`), and the API
// server answers 422 Invalid with a field cause, as kube-apiserver does. A CRD's other fields
// still change, and a write that keeps the selector passes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, runKubectl, type Cluster } from '../helpers/cluster.js';
import { GD_PATH, createGd, ensureNs, gdManifest, getGd, kubectl135, startGdCluster } from './helpers.js';

const NS = 'gd-immutable';

describe('GameDeployment spec.selector is immutable', { timeout: 120_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGdCluster({ nodes: 0, controller: false });
    await ensureNs(c, NS);
    await createGd(c, gdManifest('arena', NS, { replicas: 2 }));
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a merge patch of the selector gets 422 Invalid naming spec.selector; the object is unchanged', async () => {
    const before0 = await getGd(c, NS, 'arena');
    const patch = { spec: { selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } } } } };
    const r = await api(c, 'PATCH', GD_PATH(NS, 'arena'), patch, { contentType: 'application/merge-patch+json' });
    assert.equal(r.status, 422, r.text);
    const status = JSON.parse(r.text);
    assert.equal(status.reason, 'Invalid');
    assert.deepEqual(status.details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.selector', message: 'Invalid value: "object": field is immutable' }]);
    assert.equal(status.message, 'GameDeployment.tkex.tencent.com "arena" is invalid: spec.selector: Invalid value: "object": field is immutable');
    const after0 = await getGd(c, NS, 'arena');
    assert.equal(after0.metadata.resourceVersion, before0.metadata.resourceVersion);
    assert.deepEqual(after0.spec.selector, { matchLabels: { app: 'arena' } });
  });

  it('kubectl patch of the selector fails with kube\'s message; a replicas change passes', async () => {
    const k = kubectl135();
    const bad = await runKubectl(k, c, ['patch', 'gamedeployment', 'arena', '-n', NS, '--type=merge', '-p', '{"spec":{"selector":{"matchLabels":{"app":"x"}}}}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The GameDeployment "arena" is invalid: spec\.selector: Invalid value: "object": field is immutable/);
    const ok = await runKubectl(k, c, ['patch', 'gamedeployment', 'arena', '-n', NS, '--type=merge', '-p', '{"spec":{"replicas":3}}']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await getGd(c, NS, 'arena')).spec.replicas, 3);
  });
});
