// Requests kube-apiserver refuses must be refused here too, with its status code, reason and
// message, and leave the store as it was: oversized bodies and headers (answered, not reset),
// media types no serializer reads, unknown write and list options, objects whose kind or uid do
// not fit, and pod fields outside their enums.
process.env.HOTPOD_NO_CONTROLLER = 'true';
process.env.HOTPOD_NODES = '0';

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { api, apiOk, startCluster, type Cluster } from '../helpers/cluster.js';
import { assertControllerBecomesReady, assertStillServes, expectStatus, snapshot, type StoreSnapshot } from './helpers.js';

const NS = 'hostile-requests';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const MiB = 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request written as a client that does not wait: the body goes out in chunks while the
 * server may already answer. A reset (ECONNRESET, EPIPE) before an answer rejects.
 */
function raw(c: Cluster, o: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json', ...o.headers };
    if (o.body && !o.chunked) headers['Content-Length'] = String(o.body.length);
    const req = https.request(new URL(o.path, c.url), { method: o.method, headers, ca: c.caPem, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    const body = o.body;
    if (!body) return void req.end();
    // 64 KiB at a time, each after the last has gone: the server sees a client still sending.
    let at = 0;
    const next = () => {
      if (at >= body.length) return void req.end();
      const chunk = body.subarray(at, (at += 64 * 1024));
      if (req.write(chunk)) setImmediate(next);
      else req.once('drain', next);
    };
    req.on('socket', () => next());
  });
}

function configMap(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra };
}

function pod(name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'game:1', ...container }], ...spec } };
}

describe('hostile requests to the API server', { timeout: 180_000 }, () => {
  let c: Cluster;
  let base: StoreSnapshot;
  let uid: string;

  before(async () => {
    c = await startCluster();
    await apiOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    uid = (await apiOk(c, 'POST', CM, configMap('kept'))).metadata.uid;
    base = await snapshot(c);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('answers 413 RequestEntityTooLarge to a body over 3 MiB, declared or chunked, without a reset', async () => {
    const big = Buffer.from(JSON.stringify(configMap('huge', { data: { a: 'x'.repeat(4 * MiB) } })));
    for (const chunked of [false, true]) {
      const r = await raw(c, { method: 'POST', path: CM, body: big, chunked });
      assert.equal(r.status, 413, `chunked=${chunked}: ${r.text.slice(0, 300)}`);
      const status = JSON.parse(r.text);
      assert.equal(status.reason, 'RequestEntityTooLarge');
      assert.equal(status.message, 'Request entity too large: limit is 3145728');
    }
    // A PUT and a patch go through the same limit.
    const put = await raw(c, { method: 'PUT', path: `${CM}/kept`, body: big });
    assert.equal(put.status, 413);
    const patch = await raw(c, { method: 'PATCH', path: `${CM}/kept`, body: big, headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(patch.status, 413);
    // Just under the limit is served.
    const fits = Buffer.from(JSON.stringify(configMap('fits', { data: { a: 'x'.repeat(3 * MiB - 200) } })));
    assert.ok(fits.length < 3 * MiB);
    const ok = await raw(c, { method: 'POST', path: CM, body: fits, headers: { 'Content-Type': 'application/json' } });
    assert.equal(ok.status, 201, ok.text.slice(0, 300));
    await apiOk(c, 'DELETE', `${CM}/fits`);
    await assertStillServes(c, base);
  });

  it('answers 431 to a 100 KB header, without a reset', async () => {
    const r = await raw(c, { method: 'GET', path: CM, headers: { 'X-Padding': 'x'.repeat(100 * 1024) } });
    assert.equal(r.status, 431);
    assert.equal(r.text, '431 Request Header Fields Too Large');
    const withBody = await raw(c, { method: 'POST', path: CM, headers: { 'X-Padding': 'x'.repeat(100 * 1024) }, body: Buffer.from(JSON.stringify(configMap('padded'))) });
    assert.equal(withBody.status, 431);
    await assertStillServes(c, base);
  });

  it('answers 415 UnsupportedMediaType to a body it does not decode', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '*/*']) {
      await expectStatus(c, 'POST', CM, JSON.stringify(configMap('typed')), {
        code: 415,
        reason: 'UnsupportedMediaType',
        message: /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf$/,
      }, { contentType: type });
    }
    await expectStatus(c, 'PUT', `${CM}/kept`, JSON.stringify(configMap('kept')), { code: 415, reason: 'UnsupportedMediaType' }, { contentType: 'text/plain' });
    await expectStatus(c, 'PATCH', `${CM}/kept`, JSON.stringify({ data: { b: '2' } }), { code: 415, reason: 'UnsupportedMediaType' }, { contentType: 'text/plain' });
    // Parameters of a media type kube reads are fine.
    const r = await api(c, 'POST', `${CM}?dryRun=All`, configMap('charset'), { contentType: 'application/json; charset=utf-8' });
    assert.equal(r.status, 201, r.text);
    await assertStillServes(c, base);
  });

  it('refuses dryRun, fieldValidation and fieldManager values it does not know (422 on the options kind)', async () => {
    await expectStatus(c, 'POST', `${CM}?dryRun=Bogus`, configMap('dry'), {
      code: 422,
      reason: 'Invalid',
      message: /^CreateOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: \[\]string\{"Bogus"\}: supported values: "All"$/,
    });
    await expectStatus(c, 'PUT', `${CM}/kept?dryRun=Bogus`, configMap('kept', { data: { a: '2' } }), { code: 422, reason: 'Invalid', message: /^UpdateOptions\.meta\.k8s\.io "" is invalid: dryRun/ });
    await expectStatus(c, 'PATCH', `${CM}/kept?dryRun=Bogus`, { data: { a: '2' } }, { code: 422, reason: 'Invalid', message: /^PatchOptions/ }, { contentType: 'application/merge-patch+json' });
    await expectStatus(c, 'DELETE', `${CM}/kept?dryRun=Bogus`, undefined, { code: 422, reason: 'Invalid', message: /^DeleteOptions/ });
    await expectStatus(c, 'DELETE', `${CM}/kept`, { dryRun: ['Bogus'] }, { code: 422, reason: 'Invalid', message: /^DeleteOptions.*dryRun/ });
    await expectStatus(c, 'POST', `${CM}?fieldValidation=Bogus`, configMap('fv'), {
      code: 422,
      reason: 'Invalid',
      message: /fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"$/,
    });
    await expectStatus(c, 'POST', `${CM}?fieldManager=${'m'.repeat(129)}`, configMap('fm'), { code: 422, reason: 'Invalid', message: /fieldManager: Too long: may not be more than 128 bytes/ });
    await expectStatus(c, 'POST', `${CM}?fieldManager=ab%07c`, configMap('fm'), { code: 422, reason: 'Invalid', message: /fieldManager: Invalid value: "ab\\u0007c": invalid character U\+0007 \(at position 2\)$/ });
    await assertStillServes(c, base);
  });

  it('stores nothing on dryRun=All, for create, update, patch and delete', async () => {
    const created = await apiOk(c, 'POST', `${CM}?dryRun=All`, configMap('dry'));
    assert.equal(created.metadata.name, 'dry');
    await apiOk(c, 'PUT', `${CM}/kept?dryRun=All`, configMap('kept', { data: { a: 'dry' } }));
    await apiOk(c, 'PATCH', `${CM}/kept?dryRun=All`, { data: { a: 'dry' } }, { contentType: 'application/merge-patch+json' });
    await apiOk(c, 'DELETE', `${CM}/kept?dryRun=All`);
    await expectStatus(c, 'GET', `${CM}/dry`, undefined, { code: 404, reason: 'NotFound' });
    assert.deepEqual((await apiOk(c, 'GET', `${CM}/kept`)).data, { a: '1' });
    await assertStillServes(c, base);
  });

  it('refuses invalid limit, resourceVersion and resourceVersionMatch of a list', async () => {
    await expectStatus(c, 'GET', `${CM}?limit=abc`, undefined, { code: 400, reason: 'BadRequest', message: /^strconv\.ParseInt: parsing "abc": invalid syntax$/ });
    await expectStatus(c, 'GET', `${CM}?limit=99999999999999999999`, undefined, { code: 400, reason: 'BadRequest', message: /value out of range/ });
    await expectStatus(c, 'GET', `${CM}?resourceVersion=abc`, undefined, {
      code: 400,
      reason: 'BadRequest',
      message: /^invalid resource version: resourceVersion: Invalid value: "abc": strconv\.ParseUint: parsing "abc": invalid syntax$/,
    });
    await expectStatus(c, 'GET', `${CM}?resourceVersion=-1`, undefined, { code: 400, reason: 'BadRequest' });
    await expectStatus(c, 'GET', `${CM}?resourceVersion=1&resourceVersionMatch=Bogus`, undefined, {
      code: 422,
      reason: 'Invalid',
      message: /^ListOptions\.meta\.k8s\.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""$/,
    });
    await expectStatus(c, 'GET', `${CM}?resourceVersionMatch=NotOlderThan`, undefined, {
      code: 422,
      reason: 'Invalid',
      message: /resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided/,
    });
    // What is valid still lists: a negative limit is no limit, as in kube.
    const all = await apiOk(c, 'GET', `${CM}?limit=-1`);
    assert.ok(all.items.length >= 1);
    await apiOk(c, 'GET', `${CM}?resourceVersion=0&resourceVersionMatch=NotOlderThan`);
    await assertStillServes(c, base);
  });

  it('refuses a PUT with another metadata.uid (409 precondition) and a patch of it (422 immutable)', async () => {
    const current = await apiOk(c, 'GET', `${CM}/kept`);
    const other = '00000000-0000-0000-0000-000000000001';
    await expectStatus(c, 'PUT', `${CM}/kept`, { ...current, metadata: { ...current.metadata, uid: other }, data: { a: 'changed' } }, {
      code: 409,
      reason: 'Conflict',
      message: new RegExp(`^Operation cannot be fulfilled on configmaps "kept": Precondition failed: UID in precondition: ${other}, UID in object meta: ${uid}$`),
    });
    // Checked before the resourceVersion, as kube's storage does.
    await expectStatus(c, 'PUT', `${CM}/kept`, { ...current, metadata: { ...current.metadata, uid: other, resourceVersion: '1' } }, { code: 409, message: /Precondition failed: UID/ });
    await expectStatus(c, 'PATCH', `${CM}/kept`, [{ op: 'replace', path: '/metadata/uid', value: other }], {
      code: 422,
      reason: 'Invalid',
      message: new RegExp(`^ConfigMap "kept" is invalid: metadata.uid: Invalid value: "${other}": field is immutable$`),
    }, { contentType: 'application/json-patch+json' });
    await expectStatus(c, 'PATCH', `${CM}/kept`, { metadata: { uid: other } }, { code: 422, reason: 'Invalid' }, { contentType: 'application/merge-patch+json' });
    // The same uid, or none, is no change of it.
    await apiOk(c, 'PUT', `${CM}/kept?dryRun=All`, { ...current, data: { a: 'same-uid' } });
    await assertStillServes(c, base);
  });

  it('refuses a custom resource without kind, and a kind or apiVersion other than the URL says (400)', async () => {
    const gss = `/apis/game.kruise.io/v1alpha1/namespaces/${NS}/gameserversets`;
    const body = { apiVersion: 'game.kruise.io/v1alpha1', metadata: { name: 'nokind' }, spec: {} };
    await expectStatus(c, 'POST', gss, body, {
      code: 400,
      reason: 'BadRequest',
      message: /^the object provided is unrecognized \(must be of type GameServerSet\): Object 'Kind' is missing in '\{"apiVersion":"game\.kruise\.io\/v1alpha1".*' \(\{"apiVersion":"game\.kruise\.io\/ \.\.\.\)$/,
    });
    await expectStatus(c, 'POST', CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mismatch' } }, { code: 400, reason: 'BadRequest' });
    await expectStatus(c, 'POST', CM, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'mismatch' } }, {
      code: 400,
      reason: 'BadRequest',
      message: /^the API version in the data \(apps\/v1\) does not match the expected API version \(v1\)$/,
    });
    // A built-in kind takes both from the URL, as kube's decoder defaults them.
    const defaulted = await apiOk(c, 'POST', `${CM}?dryRun=All`, { metadata: { name: 'bare' } });
    assert.deepEqual([defaulted.apiVersion, defaulted.kind], ['v1', 'ConfigMap']);
    await assertStillServes(c, base);
  });

  it('refuses pod enums outside kube\'s values (422 Unsupported value)', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [pod('rp', { restartPolicy: 'Sometimes' }), 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"', 'spec.restartPolicy'],
      [pod('dns', { dnsPolicy: 'Google' }), 'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"', 'spec.dnsPolicy'],
      [pod('pull', {}, { imagePullPolicy: 'Sometimes' }), 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"', 'spec.containers[0].imagePullPolicy'],
      [pod('proto', {}, { ports: [{ containerPort: 80, protocol: 'ICMP' }] }), 'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"', 'spec.containers[0].ports[0].protocol'],
    ];
    for (const [body, message, field] of cases) {
      const name = (body.metadata as { name: string }).name;
      const r = await expectStatus(c, 'POST', PODS, body, { code: 422, reason: 'Invalid', message: new RegExp(`^Pod "${name}" is invalid: ${message.replace(/[[\]().*+?^$|{}]/g, '\\$&')}$`) });
      assert.deepEqual(r.body.details.causes.map((x: { field: string; reason: string }) => [x.field, x.reason]), [[field, 'FieldValueNotSupported']]);
    }
    const fine = await apiOk(c, 'POST', `${PODS}?dryRun=All`, pod('fine', { restartPolicy: 'OnFailure', dnsPolicy: 'Default' }, { imagePullPolicy: 'Never', ports: [{ containerPort: 53, protocol: 'UDP' }] }));
    assert.equal(fine.spec.restartPolicy, 'OnFailure');
    await assertStillServes(c, base);
  });

  it('answers writes pipelined behind a big answer still being written on the same TLS connection', async () => {
    // Pipelined: a list of megabytes the client does not read yet, then two big writes. The server
    // is still writing the list when it parses the writes' headers, so it pauses reading; it must
    // parse them whole once the client reads, never failing a request because its parser paused.
    for (let i = 0; i < 6; i++) await apiOk(c, 'POST', CM, configMap(`bulk-${i}`, { data: { blob: 'b'.repeat(900_000) } }));
    const url = new URL(c.url);
    const head = (method: string, extra: string) => `${method} ${CM} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${c.token}\r\n${extra}`;
    const names = ['pipelined-0', 'pipelined-1'];
    // The last asks the server to close the connection once it has answered: the end of the answers.
    const writes = names.map((name, i) => {
      const body = JSON.stringify(configMap(name, { data: { blob: 'p'.repeat(400_000) } }));
      const close = i === names.length - 1 ? 'Connection: close\r\n' : '';
      return head('POST', `Content-Type: application/json\r\n${close}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    const statuses = await new Promise<number[]>((resolve, reject) => {
      let text = '';
      const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: c.caPem, servername: 'localhost' }, () => {
        socket.pause();
        socket.write(head('GET', 'Accept: application/json\r\n\r\n') + writes.join(''));
        setTimeout(() => socket.resume(), 300);
      });
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (text += d));
      socket.on('error', reject);
      socket.on('close', () => resolve([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))));
    });
    assert.deepEqual(statuses, [200, 201, 201]);
    for (const name of names) assert.equal((await apiOk(c, 'GET', `${CM}/${name}`)).data.blob.length, 400_000);
    for (const name of [...names, ...[0, 1, 2, 3, 4, 5].map((i) => `bulk-${i}`)]) await apiOk(c, 'DELETE', `${CM}/${name}`);
    await assertStillServes(c, base);
  });

  it('a controller started afterwards becomes ready', async () => {
    await assertStillServes(c, base);
    await assertControllerBecomesReady(c);
  });
});
