// DELETE with a protobuf DeleteOptions body, as client-go's protobuf clients send it (helm's
// release storage deletes its Secrets so): kube-apiserver accepts it in any group version and
// honours gracePeriodSeconds, preconditions, propagationPolicy and dryRun. The bodies are built
// here field by field as Go's generated marshallers write them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, ensureNamespace, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { configMap, getObj, pod, type Obj } from '../helpers/fixtures.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return Buffer.from(out);
}
const bytesField = (num: number, value: Buffer | string) => {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint(BigInt((num << 3) | 2)), varint(BigInt(b.length)), b]);
};
const varintField = (num: number, value: bigint | boolean) => Buffer.concat([varint(BigInt(num << 3)), varint(typeof value === 'boolean' ? (value ? 1n : 0n) : value)]);

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}, as client-go writes it. */
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytesField(1, typeMeta), bytesField(2, raw), bytesField(3, ''), bytesField(4, '')]);
}

interface Opts {
  gracePeriodSeconds?: bigint;
  uid?: string;
  resourceVersion?: string;
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun?: string[];
}

/** meta/v1 DeleteOptions: only the fields given, as Go writes only non-nil pointers. */
function deleteOptions(o: Opts, apiVersion = 'v1'): Buffer {
  const parts: Buffer[] = [];
  if (o.gracePeriodSeconds !== undefined) parts.push(varintField(1, o.gracePeriodSeconds));
  if (o.uid !== undefined || o.resourceVersion !== undefined) {
    const pre: Buffer[] = [];
    if (o.uid !== undefined) pre.push(bytesField(1, o.uid));
    if (o.resourceVersion !== undefined) pre.push(bytesField(2, o.resourceVersion));
    parts.push(bytesField(2, Buffer.concat(pre)));
  }
  if (o.orphanDependents !== undefined) parts.push(varintField(3, o.orphanDependents));
  if (o.propagationPolicy !== undefined) parts.push(bytesField(4, o.propagationPolicy));
  for (const d of o.dryRun ?? []) parts.push(bytesField(5, d));
  return envelope(apiVersion, 'DeleteOptions', Buffer.concat(parts));
}

describe('DELETE with a protobuf DeleteOptions body', { timeout: 120_000 }, () => {
  let c: Cluster;
  const ns = 'pb-delete';
  const cm = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
  const del = (path: string, body: Buffer) => api(c, 'DELETE', path, body, { contentType: PROTOBUF });

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster();
    await ensureNamespace(c, ns);
  });
  after(async () => {
    await c?.cleanup();
  });

  it("accepts helm's empty DeleteOptions (the bytes helm 4 sends when it purges a release)", async () => {
    await apiOk(c, 'POST', cm(), configMap('helm', ns));
    const r = await del(cm('helm'), Buffer.from('6b3873000a130a027631120d44656c6574654f7074696f6e7312001a002200', 'hex'));
    assert.equal(r.status, 200, r.text);
    assert.equal(await getObj(c, cm('helm')), undefined);
  });

  it('accepts DeleteOptions labelled with another group version (meta.k8s.io/v1, apps/v1)', async () => {
    for (const apiVersion of ['meta.k8s.io/v1', 'apps/v1']) {
      await apiOk(c, 'POST', cm(), configMap('gv', ns));
      const r = await del(cm('gv'), deleteOptions({}, apiVersion));
      assert.equal(r.status, 200, `${apiVersion}: ${r.text}`);
    }
  });

  it('checks preconditions: a wrong uid or resourceVersion is a 409 Conflict and keeps the object', async () => {
    const created = await apiOk(c, 'POST', cm(), configMap('pre', ns));
    const wrongUid = await del(cm('pre'), deleteOptions({ uid: 'not-the-uid' }));
    assert.equal(wrongUid.status, 409, wrongUid.text);
    assert.match(wrongUid.body.message, /Precondition failed: UID in precondition: not-the-uid/);
    const wrongRv = await del(cm('pre'), deleteOptions({ uid: created.metadata.uid, resourceVersion: '1' }));
    assert.equal(wrongRv.status, 409, wrongRv.text);
    assert.match(wrongRv.body.message, /Precondition failed: ResourceVersion in precondition: 1,/);
    assert.ok(await getObj(c, cm('pre')), 'still there');
    const right = await del(cm('pre'), deleteOptions({ uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion }));
    assert.equal(right.status, 200, right.text);
    assert.equal(await getObj(c, cm('pre')), undefined);
  });

  it('dryRun All deletes nothing', async () => {
    await apiOk(c, 'POST', cm(), configMap('dry', ns));
    const r = await del(cm('dry'), deleteOptions({ dryRun: ['All'] }));
    assert.equal(r.status, 200, r.text);
    assert.ok(await getObj(c, cm('dry')), 'still there after a dry run');
  });

  it('propagationPolicy Orphan (and orphanDependents) keep the dependents; an unknown policy is a 400', async () => {
    for (const [name, opts] of [
      ['orphan', { propagationPolicy: 'Orphan' }],
      ['legacy', { orphanDependents: true }],
    ] as [string, Opts][]) {
      const owner = await apiOk(c, 'POST', cm(), configMap(name, ns));
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', name, uid: owner.metadata.uid };
      await apiOk(c, 'POST', cm(), configMap(`${name}-child`, ns, {}, { ownerReferences: [ref] }));
      const r = await del(cm(name), deleteOptions(opts));
      assert.equal(r.status, 200, r.text);
      await waitFor(async () => (await getObj(c, cm(name))) === undefined, `${name} deleted`, 20_000);
      await waitFor(async () => !((await getObj(c, cm(`${name}-child`))) as Obj | undefined)?.metadata.ownerReferences, `${name}-child orphaned`, 20_000);
      assert.ok(await getObj(c, cm(`${name}-child`)), `${name}-child kept`);
    }
    await apiOk(c, 'POST', cm(), configMap('bad-policy', ns));
    const bad = await del(cm('bad-policy'), deleteOptions({ propagationPolicy: 'Sometimes' }));
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.message, /propagationPolicy: Unsupported value: "Sometimes"/);
  });

  it('gracePeriodSeconds 0 removes a pod bound to a node at once; without it the pod is only marked', async () => {
    const pods = `/api/v1/namespaces/${ns}/pods`;
    for (const name of ['now', 'later']) await apiOk(c, 'POST', pods, pod(name, ns, { nodeName: 'node-gone', terminationGracePeriodSeconds: 600 }));
    const now = await del(`${pods}/now`, deleteOptions({ gracePeriodSeconds: 0n }));
    assert.equal(now.status, 200, now.text);
    assert.equal(await getObj(c, `${pods}/now`), undefined, 'gone at once');
    const later = await del(`${pods}/later`, deleteOptions({}));
    assert.equal(later.status, 200, later.text);
    const marked = await getObj(c, `${pods}/later`);
    assert.equal(marked?.metadata.deletionGracePeriodSeconds, 600);
  });

  it('refuses other kinds with 415 and a malformed envelope with 400', async () => {
    await apiOk(c, 'POST', cm(), configMap('other', ns));
    const wrongKind = await del(cm('other'), envelope('v1', 'ConfigMap', Buffer.alloc(0)));
    assert.equal(wrongKind.status, 415, wrongKind.text);
    const noMagic = await del(cm('other'), Buffer.from('{"propagationPolicy":"Orphan"}'));
    assert.equal(noMagic.status, 415, noMagic.text);
    const truncated = await del(cm('other'), Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x40, 0x01])]));
    assert.equal(truncated.status, 400, truncated.text);
    assert.ok(await getObj(c, cm('other')), 'still there');
  });
});
