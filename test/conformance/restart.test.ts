// Persistence: objects acknowledged before a SIGKILL are all there after a restart on the same
// data dir, with the same resourceVersion, and watches resume.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kubectls, startCluster, kubectlOk, ensureNamespace, api, apiOk, rawWatch, parseTable, sleep, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, configMap, getObj, toYaml, type Obj } from '../helpers/fixtures.js';

const MERGE = 'application/merge-patch+json';

interface Ack {
  path: string;
  rv: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  check: (o: Obj) => void;
}

describe('restart', { timeout: 600_000 }, () => {
  let c: Cluster;
  const ns = 'persist';
  const cm = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
  const k = kubectls().at(-1)!;

  before(async () => {
    c = await startCluster({ inMemory: false });
    await installCrd(c);
    await ensureNamespace(c, ns);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('shuts down cleanly on SIGTERM and keeps its data and credentials', async () => {
    const created = await apiOk(c, 'POST', cm(), configMap('term', ns, { a: '1' }));
    const kubeconfigBefore = readFileSync(c.kubeconfigPath, 'utf8');
    const tokenBefore = c.token;
    const t0 = Date.now();
    const exit = await c.stop('SIGTERM');
    assert.equal(exit.forced, false, `did not exit within 20 s of SIGTERM\n${c.logs()}`);
    assert.equal(exit.code, 0, `exit after SIGTERM: code ${exit.code} signal ${exit.signal}\n${c.logs()}`);
    assert.ok(Date.now() - t0 < 10_000, 'exits within 10 s');
    await c.restart();
    assert.equal(c.token, tokenBefore, 'same token after restart');
    assert.equal(readFileSync(c.kubeconfigPath, 'utf8'), kubeconfigBefore, 'same kubeconfig after restart');
    const got = await getObj(c, cm('term'));
    assert.equal(got?.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(got?.metadata.uid, created.metadata.uid);
  });

  it('keeps every acknowledged write across a SIGKILL, with the same resourceVersion', async () => {
    const acks: Ack[] = [];
    // Objects of several kinds, written through kubectl and the API.
    const applied = await kubectlOk(k, c, ['apply', '-f', '-'], { input: toYaml(arenaSet('alpha', ns, { replicas: 3 }), pod('web', ns)) });
    assert.match(applied, /alpha created/);
    for (const path of [arenaPath(ns, 'alpha'), `/api/v1/namespaces/${ns}/pods/web`]) {
      const o = await apiOk(c, 'GET', path);
      acks.push({ path, rv: o.metadata.resourceVersion, check: (x) => assert.equal(x.metadata.uid, o.metadata.uid) });
    }
    // The pod is the scheduler's and node agent's to update after we wrote it: its
    // resourceVersion may grow, so it is checked for presence and identity only.
    const podAck = acks.pop()!;
    const st = await apiOk(c, 'PATCH', `${arenaPath(ns, 'alpha')}/status`, { status: { readyReplicas: 2 } }, { contentType: MERGE });
    acks[0] = { path: arenaPath(ns, 'alpha'), rv: st.metadata.resourceVersion, check: (x) => assert.equal(x.status?.readyReplicas, 2) };
    for (let i = 0; i < 40; i++) {
      const o = await apiOk(c, 'POST', cm(), configMap(`seq-${i}`, ns, { i: String(i) }));
      acks.push({ path: cm(`seq-${i}`), rv: o.metadata.resourceVersion, check: (x) => assert.equal(x.data.i, String(i)) });
    }
    const upd = await apiOk(c, 'PATCH', cm('seq-0'), { data: { i: 'updated' } }, { contentType: MERGE });
    acks[acks.findIndex((a) => a.path === cm('seq-0'))] = { path: cm('seq-0'), rv: upd.metadata.resourceVersion, check: (x) => assert.equal(x.data.i, 'updated') };
    await apiOk(c, 'DELETE', cm('seq-1'));
    acks.splice(acks.findIndex((a) => a.path === cm('seq-1')), 1);

    // Writes in flight while the server is killed: every one that was answered must survive.
    let stop = false;
    let answered = 0;
    let failed = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `flight-${w}-${i}`;
        try {
          const r = await api(c, 'POST', cm(), configMap(name, ns, { w: String(w), i: String(i) }), { timeoutMs: 5000 });
          if (r.status === 201) {
            answered++;
            acks.push({ path: cm(name), rv: r.body.metadata.resourceVersion, check: (x) => assert.equal(x.data.i, String(i)) });
          } else failed++;
        } catch {
          failed++;
          await sleep(50);
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const deadline = Date.now() + 60_000;
    while (answered < 150 && Date.now() < deadline) await sleep(5);
    if (answered < 150) {
      stop = true;
      await Promise.all(writers);
      assert.fail(`only ${answered} writes answered in 60 s (${failed} failed)`);
    }
    await c.kill9();
    await sleep(300);
    stop = true;
    await Promise.all(writers);

    await c.restart();
    const missing: string[] = [];
    const wrongRv: string[] = [];
    let maxRv = 0;
    for (const a of acks) {
      const o = await getObj(c, a.path);
      if (!o) {
        missing.push(a.path);
        continue;
      }
      if (o.metadata.resourceVersion !== a.rv) wrongRv.push(`${a.path}: acked ${a.rv}, now ${o.metadata.resourceVersion}`);
      a.check(o);
      maxRv = Math.max(maxRv, Number(a.rv));
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acks.length} acknowledged objects lost`);
    const podNow = await getObj(c, podAck.path);
    assert.ok(podNow, 'pod web survived');
    podAck.check(podNow);
    assert.ok(Number(podNow.metadata.resourceVersion) >= Number(podAck.rv));
    assert.deepEqual(wrongRv, []);
    assert.equal(await getObj(c, cm('seq-1')), undefined, 'a deleted object stays deleted');

    // The resourceVersion counter carries on from where it was.
    const list = await apiOk(c, 'GET', cm());
    assert.ok(Number(list.metadata.resourceVersion) >= maxRv, `list rv ${list.metadata.resourceVersion} >= ${maxRv}`);
    const fresh = await apiOk(c, 'POST', cm(), configMap('after-kill', ns));
    assert.ok(Number(fresh.metadata.resourceVersion) > maxRv, `new rv ${fresh.metadata.resourceVersion} > ${maxRv}`);

    // The CRD is still served, with its printer columns, to every kubectl.
    for (const kk of kubectls()) {
      const t = parseTable(await kubectlOk(kk, c, ['get', 'ars', '-n', ns]));
      assert.deepEqual(t.headers, ['NAME', 'DESIRED', 'READY', 'STRATEGY', 'AGE'], `kubectl ${kk.version}`);
      assert.equal(t.rows[0]?.NAME, 'alpha');
      assert.equal(t.rows[0]?.DESIRED, '3');
      assert.equal(t.rows[0]?.READY, '2');
    }
  });

  it('resumes a watch from the last resourceVersion after a SIGKILL and restart', async () => {
    const list = await apiOk(c, 'GET', cm());
    const lastRv = list.metadata.resourceVersion as string;
    await c.kill9();
    await c.restart();
    const w = rawWatch(c, `${cm()}?resourceVersion=${lastRv}`);
    try {
      assert.equal(await w.status, 200, w.errorText());
      await apiOk(c, 'POST', cm(), configMap('after-resume', ns));
      const evs = await w.waitFor((e) => e.some((x) => x.object?.metadata?.name === 'after-resume'));
      assert.deepEqual(evs.map((e) => `${e.type} ${e.object?.metadata?.name}`), ['ADDED after-resume'], 'only the new event');
    } finally {
      w.close();
    }
  });

  it('replays writes made before a crash to a watch that missed them, or says 410 Expired', async () => {
    const list = await apiOk(c, 'GET', cm());
    const seenRv = list.metadata.resourceVersion as string;
    await apiOk(c, 'POST', cm(), configMap('missed', ns));
    await c.kill9();
    await c.restart();
    const w = rawWatch(c, `${cm()}?resourceVersion=${seenRv}`);
    try {
      const status = await w.status;
      if (status === 410) return; // HTTP 410: the client re-lists
      assert.equal(status, 200, w.errorText());
      await apiOk(c, 'POST', cm(), configMap('later', ns));
      const evs = await w.waitFor((e) => e.length >= 1 && (e[0]!.type === 'ERROR' || e.some((x) => x.object?.metadata?.name === 'later')));
      if (evs[0]!.type === 'ERROR') {
        assert.equal(evs[0]!.object.code, 410, JSON.stringify(evs[0]));
        assert.equal(evs[0]!.object.reason, 'Expired');
        return;
      }
      assert.deepEqual(evs.map((e) => `${e.type} ${e.object?.metadata?.name}`), ['ADDED missed', 'ADDED later'], 'the missed write is replayed, not skipped');
    } finally {
      w.close();
    }
  });
});
