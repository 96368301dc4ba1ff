// The event recorder writes real core/v1 Events and counts repeats on the existing Event, read
// back from `hotpod up --in-memory` (and shown by kubectl describe when kubectl 1.35 is there).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { startCluster, kubeConfigFor, ensureNamespace, kubectlOk, projectRoot, sleep, type Cluster } from '../helpers/cluster.js';
import { EventRecorder } from '../../src/kube/event-recorder.js';
import { KubeClient } from '../../src/kube/client.js';
import { FakeClock } from '../../src/util/clock.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';

const NS = 'events-rt';
const quiet = pino({ level: process.env.HOTPOD_TEST_LOG ?? 'silent' });
const kubectl135 = join(projectRoot, '.tools', 'kubectl-1.35', 'kubectl');

describe('EventRecorder against the API server', { timeout: 120_000 }, () => {
  let c: Cluster;
  let clients: KubeClient;
  let target: KubeObject;
  let rec: EventRecorder;
  const eventsOf = async (uid: string) =>
    (await clients.listPage('v1', 'Event', { namespace: NS, fieldSelector: `involvedObject.uid=${uid}` })).items;

  before(async () => {
    c = await startCluster({ inMemory: true });
    await ensureNamespace(c, NS);
    clients = new KubeClient({ kubeConfig: kubeConfigFor(c) });
    target = await clients.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target', namespace: NS }, data: { a: '1' } });
    rec = new EventRecorder(clients, { component: 'hotpod', instance: 'hotpod-test', logger: quiet });
  });
  after(async () => {
    await rec?.flush();
    await c?.cleanup();
  });

  it('writes one Event per distinct (object, type, reason, message) and counts repeats on it', async () => {
    rec.event(target, 'Warning', 'BackOff', 'restarting failed container');
    await rec.flush();
    await sleep(1_100); // a later second for lastTimestamp
    rec.event(target, 'Warning', 'BackOff', 'restarting failed container');
    rec.event(target, 'Warning', 'BackOff', 'restarting failed container');
    rec.event(target, 'Warning', 'BackOff', 'another message');
    rec.event(target, 'Normal', 'Synced', 'all good');
    await rec.flush();
    assert.deepEqual(rec.stats, { created: 3, patched: 2, dropped: 0, failed: 0 });

    const events = await eventsOf(target.metadata!.uid!);
    const summary = events.map((e) => `${e.type} ${e.reason} ${e.message} x${e.count}`).sort();
    assert.deepEqual(summary, ['Normal Synced all good x1', 'Warning BackOff another message x1', 'Warning BackOff restarting failed container x3']);
    const repeated = events.find((e) => e.count === 3)!;
    assert.ok(repeated.lastTimestamp > repeated.firstTimestamp, `lastTimestamp ${repeated.lastTimestamp} after firstTimestamp ${repeated.firstTimestamp}`);
    assert.match(repeated.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(repeated.involvedObject, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'target',
      namespace: NS,
      uid: target.metadata!.uid,
      resourceVersion: target.metadata!.resourceVersion,
    });
    assert.deepEqual(repeated.source, { component: 'hotpod' });
    assert.equal(repeated.reportingComponent, 'hotpod');
    assert.equal(repeated.reportingInstance, 'hotpod-test');
    assert.match(repeated.metadata!.name!, /^target\.[0-9a-f]+$/);
    assert.equal(repeated.metadata!.namespace, NS);
  });

  it('kubectl describe shows the Events section with the repeat count', async (t) => {
    if (!existsSync(kubectl135)) {
      t.skip('kubectl 1.35 not under .tools/');
      return;
    }
    const out = await kubectlOk({ version: '1.35', path: kubectl135 }, c, ['describe', 'configmap', 'target', '-n', NS]);
    const section = out.slice(out.indexOf('Events:'));
    assert.match(section, /Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(section, /Warning\s+BackOff\s+\S+ \(x3 over \d+s\)\s+hotpod\s+restarting failed container/);
    assert.match(section, /Normal\s+Synced\s+\S+\s+hotpod\s+all good/);
  });

  it('starts a new Event, keeping the count, when the one it counted on is gone', async () => {
    const before = (await eventsOf(target.metadata!.uid!)).find((e) => e.count === 3)!;
    await clients.deleteObject('v1', 'Event', { namespace: NS, name: before.metadata!.name! });
    rec.event(target, 'Warning', 'BackOff', 'restarting failed container');
    await rec.flush();
    const now = (await eventsOf(target.metadata!.uid!)).filter((e) => e.message === 'restarting failed container');
    assert.equal(now.length, 1);
    assert.equal(now[0]!.count, 4);
    assert.equal(now[0]!.firstTimestamp, before.firstTimestamp);
    assert.notEqual(now[0]!.metadata!.name, before.metadata!.name!);
  });

  it('files events about cluster-scoped objects in the default namespace', async () => {
    const ns = await clients.get('v1', 'Namespace', { namespace: '', name: NS });
    rec.event(ns, 'Normal', 'Seen', 'namespace noticed');
    await rec.flush();
    const list = await clients.listPage('v1', 'Event', { namespace: 'default', fieldSelector: `involvedObject.uid=${ns.metadata!.uid}` });
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0]!.involvedObject.namespace, undefined);
    assert.equal(list.items[0]!.involvedObject.kind, 'Namespace');
  });
});

describe('EventRecorder without a server', () => {
  const fake = () => {
    const writes: string[] = [];
    let failNext = false;
    const client = {
      async request(method: string, path: string, opts: { body: KubeObject }) {
        if (method === 'POST') {
          if (failNext) {
            failNext = false;
            throw new KubeApiError('POST', path, 500, { reason: 'InternalError', message: 'boom' }, {});
          }
          writes.push(`create ${opts.body.reason} ${opts.body.message} x${opts.body.count}`);
          return opts.body;
        }
        writes.push(`patch ${path.split('/').pop()!.split('.')[0]} x${opts.body.count}`);
        return {};
      },
    };
    return { client: client as unknown as KubeClient, writes, fail: () => (failNext = true) };
  };
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', uid: 'u1' } };

  it('drops events about one object beyond the spam filter burst, then allows one per refill', async () => {
    const clock = new FakeClock();
    const f = fake();
    const rec = new EventRecorder(f.client, { component: 'hotpod', clock, logger: quiet, spam: { burst: 5, refillSeconds: 300 } });
    for (let i = 0; i < 8; i++) rec.event(obj, 'Normal', 'Tick', `tick ${i}`);
    rec.event({ ...obj, metadata: { ...obj.metadata, name: 'q', uid: 'u2' } }, 'Normal', 'Tick', 'other object');
    await rec.flush();
    assert.equal(f.writes.length, 6, f.writes.join('\n'));
    assert.equal(rec.stats.dropped, 3);
    clock.advance(300_000);
    rec.event(obj, 'Normal', 'Tick', 'after refill');
    rec.event(obj, 'Normal', 'Tick', 'too soon');
    await rec.flush();
    assert.equal(f.writes.at(-1), 'create Tick after refill x1');
    assert.equal(rec.stats.dropped, 4);
  });

  it('never throws into the caller: a failed write is counted and the next repeat creates the Event', async () => {
    const f = fake();
    const rec = new EventRecorder(f.client, { component: 'hotpod', clock: new FakeClock(), logger: quiet });
    f.fail();
    rec.event(obj, 'Warning', 'Failed', 'x');
    rec.event(obj, 'Warning', 'Failed', 'x');
    rec.event(obj, 'Warning', 'Failed', 'x');
    await rec.flush();
    assert.equal(rec.stats.failed, 1);
    assert.deepEqual(f.writes, ['create Failed x x1', 'patch p x2']);
  });

  it('forgets the least recently used events beyond its cache size', async () => {
    const f = fake();
    const rec = new EventRecorder(f.client, { component: 'hotpod', clock: new FakeClock(), logger: quiet, cacheSize: 2, spam: { burst: 100, refillSeconds: 1 } });
    for (const m of ['a', 'b', 'a', 'c', 'b']) {
      rec.event(obj, 'Normal', 'R', m);
      await rec.flush();
    }
    // a, b created; a patched (most recent now); c created evicts b; b created again.
    assert.deepEqual(f.writes, ['create R a x1', 'create R b x1', 'patch p x2', 'create R c x1', 'create R b x1']);
  });
});
