// Hostile input against the store and the watch: objects nested too deep, a history filled by
// big rewrites, a watcher that stops reading, a resourceVersion from the future. Each answer is
// kube-apiserver's (status code and Status reason); afterwards the server still serves, the
// store holds what it held, and a new controller becomes ready.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { api, apiOk, rawWatch, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { assertControllerBecomesReady, assertStillServes, expectStatus, snapshot } from './helpers.js';
import { MAX_NESTING_DEPTH, nestingDepth } from '../../src/apiserver/registry/decode.js';
import { ExpiredError, SerializeError, Store } from '../../src/apiserver/storage/store.js';

const NS = 'hostile-store';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const HISTORY_BYTES = 1024 * 1024;
const BUFFER_BYTES = 1024 * 1024;
/** Each flood event is well under the buffer, so a client that reads is never over it for long. */
const FLOOD_EVENT_BYTES = 200_000;
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const LISTS = ['/api/v1/configmaps', '/api/v1/pods', '/api/v1/namespaces', '/apis/game.kruise.io/v1alpha1/gameserversets'];

/** A value `depth` containers deep: {"a":{"a":...{}}}. */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
}

/** The same as JSON text, built without recursion (the test's own JSON.stringify cannot go this deep). */
function deepConfigMapText(name: string, depth: number): string {
  const deep = `${'{"a":'.repeat(depth - 2)}{}${'}'.repeat(depth - 2)}`;
  return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":${JSON.stringify(name)},"namespace":"${NS}"},"deep":${deep}}`;
}

/** A ConfigMap whose whole body (the top-level object counts as 1) is `depth` containers deep. */
function deepConfigMap(name: string, depth: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, deep: nested(depth - 1) };
}

/** A ConfigMap of about `bytes` bytes of data. */
function bigConfigMap(name: string, bytes: number, marker: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { blob: marker.repeat(Math.ceil(bytes / marker.length)) } };
}

describe('hostile input: store and watch', { timeout: 600_000 }, () => {
  let c: Cluster;
  before(async () => {
    process.env.HOTPOD_NO_CONTROLLER = 'true';
    process.env.HOTPOD_NODES = '0';
    process.env.HOTPOD_WATCH_HISTORY_BYTES = String(HISTORY_BYTES);
    process.env.HOTPOD_WATCH_BUFFER_BYTES = String(BUFFER_BYTES);
    // Persistent, so the deepest accepted object is shown to survive a restart.
    c = await startCluster({ inMemory: false });
    await apiOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await apiOk(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { k: 'v' } });
  });
  after(async () => {
    await c?.cleanup();
    for (const k of ['HOTPOD_NO_CONTROLLER', 'HOTPOD_NODES', 'HOTPOD_WATCH_HISTORY_BYTES', 'HOTPOD_WATCH_BUFFER_BYTES']) delete process.env[k];
  });

  describe('nesting depth', () => {
    it('refuses a body nested deeper than the limit with 400 before anything is stored, and the name stays free', async () => {
      const before = await snapshot(c, LISTS);
      await expectStatus(c, 'POST', CM, deepConfigMap('too-deep', MAX_NESTING_DEPTH + 1), { code: 400, reason: 'BadRequest', message: /exceeded max depth/ });
      // The issue's input: 5,000 levels, once poison for every list.
      assert.equal(nestingDepth(JSON.parse(deepConfigMapText('x', 5000)), Infinity), 5000);
      await expectStatus(c, 'POST', CM, deepConfigMapText('too-deep', 5000), { code: 400, reason: 'BadRequest', message: /exceeded max depth/ });
      // 3 MB of brackets, about the most a body may hold.
      await expectStatus(c, 'POST', CM, deepConfigMapText('too-deep', 500_000), { code: 400, reason: 'BadRequest', message: /exceeded max depth/ });
      await assertStillServes(c, before);
      await expectStatus(c, 'GET', `${CM}/too-deep`, undefined, { code: 404, reason: 'NotFound' });
      // The name was never taken: a well-formed object of that name is created.
      await expectStatus(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-deep' } }, { code: 201 });
      await apiOk(c, 'DELETE', `${CM}/too-deep`);
    });

    it('refuses a YAML body nested too deep with 400', async () => {
      const before = await snapshot(c, LISTS);
      const open = '{a: '.repeat(MAX_NESTING_DEPTH);
      const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yaml-deep}\ndeep: ${open}x${'}'.repeat(MAX_NESTING_DEPTH)}\n`;
      await expectStatus(c, 'POST', CM, yaml, { code: 400, reason: 'BadRequest' }, { contentType: 'application/yaml' });
      await assertStillServes(c, before);
    });

    it('refuses a PUT of a too-deep object over an existing one and keeps the old version', async () => {
      const before = await snapshot(c, LISTS);
      const current = await apiOk(c, 'GET', `${CM}/plain`);
      await expectStatus(c, 'PUT', `${CM}/plain`, { ...deepConfigMap('plain', MAX_NESTING_DEPTH + 1), data: { k: 'v2' } }, { code: 400, reason: 'BadRequest' });
      assert.deepEqual(await apiOk(c, 'GET', `${CM}/plain`), current);
      await assertStillServes(c, before);
    });

    it('refuses patches that are, or that make, an object too deep: 400 for the patch, 422 for the result', async () => {
      const base = await apiOk(c, 'POST', CM, deepConfigMap('patched', MAX_NESTING_DEPTH));
      const before = await snapshot(c, LISTS);
      // A merge patch reaching past the limit is itself too deep.
      await expectStatus(c, 'PATCH', `${CM}/patched`, { deep: nested(MAX_NESTING_DEPTH) }, { code: 400, reason: 'BadRequest' }, { contentType: MERGE });
      // A shallow JSON patch that adds two levels at the bottom of the deepest accepted object.
      const bottom = `/deep${'/a'.repeat(MAX_NESTING_DEPTH - 3)}`;
      await expectStatus(c, 'PATCH', `${CM}/patched`, [{ op: 'add', path: `${bottom}/b`, value: { c: {} } }], { code: 422, reason: 'Invalid', message: /patch: .*exceeded max depth/ }, { contentType: JSON_PATCH });
      assert.equal((await apiOk(c, 'GET', `${CM}/patched`)).metadata.resourceVersion, base.metadata.resourceVersion);
      await assertStillServes(c, before);
      await apiOk(c, 'DELETE', `${CM}/patched`);
    });

    it('round-trips the deepest accepted object through create, get, list, watch, a restart and delete', async () => {
      const name = 'deepest';
      const w = rawWatch(c, `${CM}?resourceVersion=${(await apiOk(c, 'GET', CM)).metadata.resourceVersion}`);
      assert.equal(await w.status, 200);
      const created = await apiOk(c, 'POST', CM, deepConfigMap(name, MAX_NESTING_DEPTH));
      assert.equal(nestingDepth(created), MAX_NESTING_DEPTH, 'the object is stored as deep as it was sent');
      assert.deepEqual(await apiOk(c, 'GET', `${CM}/${name}`), created);
      const listed = (await apiOk(c, 'GET', CM)).items.find((o: { metadata: { name: string } }) => o.metadata.name === name);
      assert.deepEqual(listed, created);
      await w.waitFor((evs) => evs.some((e) => e.type === 'ADDED' && e.object.metadata.name === name));
      await assertStillServes(c);

      await c.restart();
      assert.deepEqual(await apiOk(c, 'GET', `${CM}/${name}`), created, 'the same object after a restart');

      const w2 = rawWatch(c, `${CM}?resourceVersion=${created.metadata.resourceVersion}`);
      await apiOk(c, 'DELETE', `${CM}/${name}`);
      const events = await w2.waitFor((evs) => evs.some((e) => e.type === 'DELETED' && e.object.metadata.name === name));
      assert.equal(nestingDepth(events.find((e) => e.type === 'DELETED')!.object), MAX_NESTING_DEPTH);
      w.close();
      w2.close();
      await assertStillServes(c);
    });

    it('a controller started afterwards becomes ready', async () => {
      await assertControllerBecomesReady(c);
    });
  });

  describe('store writes and events (the store itself)', () => {
    it('a write that cannot be serialised leaves memory as it was: no taken name, old version kept, lists still work', async () => {
      const store = new Store();
      const cm = (data: unknown) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'x' }, data });
      const first = await store.put('/configmaps', cm({ k: 'v' }));
      const revision = store.revision;
      // Deeper than the engine's stack can serialise: what a missing depth check would let in.
      assert.throws(() => store.put('/configmaps', cm(nested(50_000))), SerializeError);
      assert.throws(() => store.put('/configmaps', { ...cm({}), metadata: { namespace: 'ns', name: 'y' }, n: 1n }), SerializeError);
      assert.equal(store.revision, revision);
      assert.equal(store.get('/configmaps', 'ns', 'x'), first);
      assert.equal(store.get('/configmaps', 'ns', 'y'), undefined);
      assert.deepEqual(store.list('/configmaps').map((o) => o.metadata.name), ['x']);
      store.close();
    });

    it('a listener that throws neither stops other listeners nor the write', async () => {
      const store = new Store();
      const seen: number[] = [];
      store.subscribe(() => {
        throw new RangeError('Maximum call stack size exceeded');
      });
      store.subscribe((e) => seen.push(e.revision));
      const stored = await store.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'x' } });
      await store.remove('/configmaps', stored);
      assert.deepEqual(seen, [1, 2]);
      store.close();
    });

    it('bounds the history by bytes, evicting the oldest first; older revisions expire', async () => {
      const store = new Store({ historyBytes: 10_000 });
      const revisions: number[] = [];
      for (let i = 0; i < 20; i++) {
        const o = await store.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'x' }, data: { blob: String(i).repeat(1000) } });
        revisions.push(Number(o.metadata.resourceVersion));
      }
      const usage = store.historyUsage();
      assert.ok(usage.bytes <= 10_000, `history holds ${usage.bytes} bytes`);
      assert.ok(usage.events >= 3 && usage.events < 20, `history holds ${usage.events} events`);
      assert.throws(() => store.eventsSince('/configmaps', revisions[0]), ExpiredError);
      const recent = store.eventsSince('/configmaps', usage.oldestResumableRevision);
      assert.deepEqual(recent.map((e) => e.revision), revisions.slice(revisions.length - recent.length));
      store.close();
    });
    it('drops events older than the history age, as etcd compaction does, so a steady write rate holds a steady history', async () => {
      const store = new Store({ historyMaxAgeMs: 200 });
      const first = await store.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'aged' }, data: { n: '0' } });
      assert.equal(store.historyUsage().events, 1);
      await new Promise((r) => setTimeout(r, 300));
      const second = await store.put('/configmaps', { ...first, data: { n: '1' } });
      assert.equal(store.historyUsage().events, 1, 'the older event was dropped when the newer came');
      assert.throws(() => store.eventsSince('/configmaps', Number(first.metadata.resourceVersion) - 1), ExpiredError);
      assert.deepEqual(store.eventsSince('/configmaps', Number(first.metadata.resourceVersion)).map((e) => e.revision), [Number(second.metadata.resourceVersion)]);
      store.close();
    });
  });

  describe('watch history', () => {
    it(`keeps at most ${HISTORY_BYTES} bytes of events: a watch from before them gets 410 Expired, a recent one works`, async () => {
      const before = await snapshot(c, LISTS);
      const first = await apiOk(c, 'POST', CM, bigConfigMap('rewritten', 200_000, 'a'));
      let last = first;
      for (let i = 0; i < 8; i++) last = await apiOk(c, 'PUT', `${CM}/rewritten`, bigConfigMap('rewritten', 200_000, String(i)));
      const old = rawWatch(c, `${CM}?resourceVersion=${first.metadata.resourceVersion}`);
      const [err] = await old.waitFor((evs) => evs.length > 0);
      assert.equal(err.type, 'ERROR');
      assert.equal(err.object.code, 410);
      assert.equal(err.object.reason, 'Expired');
      await old.ended;
      const recent = rawWatch(c, `${CM}?resourceVersion=${last.metadata.resourceVersion}`);
      await apiOk(c, 'DELETE', `${CM}/rewritten`);
      await recent.waitFor((evs) => evs.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'rewritten'));
      recent.close();
      await assertStillServes(c, before);
      await assertControllerBecomesReady(c);
    });
  });

  describe('a watcher that stops reading', () => {
    it(`is closed once more than ${BUFFER_BYTES} bytes wait for it; readers and later watches are not affected`, async () => {
      const before = await snapshot(c, LISTS);
      const from = (await apiOk(c, 'GET', CM)).metadata.resourceVersion;
      const stalled = await stalledWatch(c, `${CM}?watch=true&resourceVersion=${from}`);
      const reader = rawWatch(c, `${CM}?resourceVersion=${from}`);
      assert.equal(await reader.status, 200);
      let writes = 0;
      const closedInLog = () => /closing unresponsive watch/.test(c.logs());
      // Enough to fill the loopback socket's buffers and then the server's limit; stops at the signal.
      while (!closedInLog() && writes < 250) {
        const body = bigConfigMap('flood', FLOOD_EVENT_BYTES, String(writes % 10));
        await apiOk(c, writes === 0 ? 'POST' : 'PUT', writes === 0 ? CM : `${CM}/flood`, body);
        writes++;
        if (writes > 5) await new Promise((r) => setTimeout(r, 50));
      }
      await waitFor(closedInLog, 'the server logs that it closes the stalled watch', 20_000, 100);
      // A client that stops reading cannot see the close until it reads again: then its stream ends.
      assert.equal(stalled.closed, false);
      stalled.resume();
      await Promise.race([stalled.ended, new Promise((_, rej) => setTimeout(() => rej(new Error('the stalled watch did not end')), 20_000))]);
      assert.ok(stalled.received < writes * FLOOD_EVENT_BYTES, `the stalled watch got ${stalled.received} bytes of ${writes} writes`);
      // The reading watcher got every write and is still open.
      await reader.waitFor((evs) => evs.filter((e) => e.object.metadata.name === 'flood').length === writes, 30_000);
      assert.equal(c.logs().match(/closing unresponsive watch/g)?.length, 1, 'only the stalled watch was closed');
      await apiOk(c, 'DELETE', `${CM}/flood`);
      await reader.waitFor((evs) => evs.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'flood'));
      reader.close();
      // A new watch works.
      const later = rawWatch(c, `${CM}?resourceVersion=${(await apiOk(c, 'GET', CM)).metadata.resourceVersion}`);
      await apiOk(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-flood' } });
      await later.waitFor((evs) => evs.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'after-flood'));
      later.close();
      await apiOk(c, 'DELETE', `${CM}/after-flood`);
      await assertStillServes(c, before);
      await assertControllerBecomesReady(c);
    });
  });

  describe('a resourceVersion from the future', () => {
    it('a watch waits for it, then ends with a 504 Timeout ERROR event "Too large resource version"', async () => {
      const current = Number((await apiOk(c, 'GET', CM)).metadata.resourceVersion);
      const future = current + 1000;
      const started = Date.now();
      const w = rawWatch(c, `${CM}?resourceVersion=${future}`);
      assert.equal(await w.status, 200);
      const [ev] = await w.waitFor((evs) => evs.length > 0, 15_000);
      const waited = Date.now() - started;
      assert.equal(ev.type, 'ERROR');
      assert.equal(ev.object.code, 504);
      assert.equal(ev.object.reason, 'Timeout');
      assert.match(ev.object.message, new RegExp(`^Too large resource version: ${future}, current: \\d+$`));
      assert.equal(ev.object.details.retryAfterSeconds, 1);
      assert.ok(waited >= 2500, `answered after ${waited} ms, kube waits 3 s`);
      await w.ended;
    });

    it('a watch whose resourceVersion is reached while it waits starts there', async () => {
      const current = Number((await apiOk(c, 'GET', CM)).metadata.resourceVersion);
      const w = rawWatch(c, `${CM}?resourceVersion=${current + 1}`);
      await new Promise((r) => setTimeout(r, 300));
      await apiOk(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'future-1' } });
      await apiOk(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'future-2' } });
      const events = await w.waitFor((evs) => evs.some((e) => e.object.metadata?.name === 'future-2'));
      // Events after the requested resourceVersion only, as from any other resourceVersion.
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED future-2']);
      w.close();
      for (const n of ['future-1', 'future-2']) await apiOk(c, 'DELETE', `${CM}/${n}`);
    });

    for (const match of ['', 'NotOlderThan']) {
      it(`a list${match ? ` with resourceVersionMatch=${match}` : ''} answers 504 Timeout with Retry-After after waiting`, async () => {
        const current = Number((await apiOk(c, 'GET', CM)).metadata.resourceVersion);
        const q = `resourceVersion=${current + 1000}${match ? `&resourceVersionMatch=${match}` : ''}`;
        const started = Date.now();
        const r = await expectStatus(c, 'GET', `${CM}?${q}`, undefined, { code: 504, reason: 'Timeout', message: new RegExp(`^Too large resource version: ${current + 1000}, current: ${current}$`) });
        assert.ok(Date.now() - started >= 2500, 'kube waits 3 s before answering');
        assert.equal(r.headers['retry-after'], '1');
        assert.deepEqual(r.body.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
        // A reached resourceVersion lists at once.
        assert.equal((await api(c, 'GET', `${CM}?resourceVersion=${current}${match ? `&resourceVersionMatch=${match}` : ''}`)).status, 200);
      });
    }
  });

  it('a controller started after all of this becomes ready', async () => {
    await assertStillServes(c);
    await assertControllerBecomesReady(c);
  });
});

interface StalledWatch {
  readonly closed: boolean;
  /** Bytes read after resume(). */
  readonly received: number;
  ended: Promise<void>;
  resume(): void;
}

/** A watch whose client reads the headers and then nothing until resume(): the response stream stays paused. */
function stalledWatch(c: Cluster, path: string): Promise<StalledWatch> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, c.url), { headers: { Authorization: `Bearer ${c.token}`, Accept: 'application/json' }, ca: c.caPem, agent: false });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${path} -> ${res.statusCode}`));
      res.pause();
      let closed = false;
      let received = 0;
      const ended = new Promise<void>((done) => {
        const end = (): void => {
          closed = true;
          done();
        };
        res.on('close', end);
        res.on('error', end);
        req.on('error', end);
      });
      resolve({
        get closed() {
          return closed;
        },
        get received() {
          return received;
        },
        ended,
        resume() {
          res.on('data', (d: Buffer) => (received += d.length));
          res.resume();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
