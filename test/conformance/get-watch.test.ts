// kubectl get (printer columns, wide, labels, selectors, categories, chunking) and get -w,
// plus the watch API as client libraries use it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kubectls, startCluster, runKubectl, kubectlOk, spawnKubectl, ensureNamespace, nsFor, api, apiOk, rawWatch, parseTable, sleep,
  type Cluster, type KubectlProcess,
} from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, configMap, GROUP } from '../helpers/fixtures.js';

const MERGE = 'application/merge-patch+json';
const AGE = /^\d+s$|^\d+m\d*s?$/;

/** Rows printed by kubectl get -w: whitespace-separated tokens of each line after the header. */
function watchLines(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
}

describe('kubectl get and get -w', { timeout: 600_000 }, () => {
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
      const ns = nsFor('get', k);
      const get = (args: string[]) => kubectlOk(k, c, ['get', '-n', ns, ...args]);

      before(async () => {
        await ensureNamespace(c, ns);
        await apiOk(c, 'POST', arenaPath(ns), arenaSet('alpha', ns, { replicas: 2 }));
        await apiOk(c, 'POST', arenaPath(ns), arenaSet('beta', ns, { replicas: 5, strategy: 'HotPatch' }, { labels: { tier: 'gold' } }));
        await apiOk(c, 'PATCH', `${arenaPath(ns, 'alpha')}/status`, { status: { replicas: 2, readyReplicas: 1 } }, { contentType: MERGE });
      });

      it('discovers the server version, API versions and resources', async () => {
        const v = await runKubectl(k, c, ['version', '-o', 'json']);
        assert.equal(v.code, 0, v.stderr);
        const sv = JSON.parse(v.stdout).serverVersion;
        assert.equal(sv.major, '1');
        const minor = Number(String(sv.minor).replace(/\D+$/, ''));
        assert.ok(minor >= 27 && minor <= 35, `server minor ${sv.minor}`);
        assert.match(sv.gitVersion, /^v1\.\d+\.\d+/);
        const versions = (await kubectlOk(k, c, ['api-versions'])).trim().split('\n');
        for (const gv of ['v1', 'apps/v1', 'apiextensions.k8s.io/v1', 'coordination.k8s.io/v1', 'events.k8s.io/v1', `${GROUP}/v1`]) {
          assert.ok(versions.includes(gv), `api-versions lists ${gv}`);
        }
        const res = await kubectlOk(k, c, ['api-resources']);
        assert.match(res, new RegExp(`^arenasets\\s+ars\\s+${GROUP.replace(/\./g, '\\.')}(/v1)?\\s+true\\s+ArenaSet$`, 'm'));
        assert.match(res, /^pods\s+po\s+(v1\s+)?true\s+Pod$/m);
        assert.match(res, /^namespaces\s+ns\s+(v1\s+)?false\s+Namespace$/m);
        assert.match(res, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io(\/v1)?\s+false\s+CustomResourceDefinition$/m);
      });

      it('prints the CRD printer columns, wide-only columns with -o wide', async () => {
        const t = parseTable(await get(['arenasets']));
        assert.deepEqual(t.headers, ['NAME', 'DESIRED', 'READY', 'STRATEGY', 'AGE']);
        assert.deepEqual(t.rows.map((r) => r.NAME), ['alpha', 'beta']);
        const [a, b] = t.rows;
        assert.equal(a!.DESIRED, '2');
        assert.equal(a!.READY, '1');
        assert.equal(a!.STRATEGY, 'InPlace');
        assert.match(a!.AGE!, AGE);
        assert.equal(b!.DESIRED, '5');
        assert.ok(b!.READY === '' || b!.READY === '<none>', `READY of beta without status: ${JSON.stringify(b!.READY)}`);
        assert.equal(b!.STRATEGY, 'HotPatch');

        const w = parseTable(await get(['arenasets', '-o', 'wide']));
        assert.deepEqual(w.headers, ['NAME', 'DESIRED', 'READY', 'STRATEGY', 'IMAGE', 'AGE']);
        assert.equal(w.rows[0]!.IMAGE, 'registry.example/arena:1.0');
      });

      it('resolves the plural, singular, kind, shortName and group-qualified names alike', async () => {
        for (const name of ['arenasets', 'arenaset', 'ArenaSet', 'ars', `arenasets.${GROUP}`, `arenasets.v1.${GROUP}`]) {
          const t = parseTable(await get([name]));
          assert.deepEqual(t.rows.map((r) => r.NAME), ['alpha', 'beta'], `kubectl get ${name}`);
        }
        const one = parseTable(await get(['ars', 'beta']));
        assert.deepEqual(one.rows.map((r) => r.NAME), ['beta']);
        assert.equal((await get(['ars', '-o', 'name'])).trim(), `arenaset.${GROUP}/alpha\narenaset.${GROUP}/beta`);
        const cat = await get(['hotpodtest', '-o', 'name']);
        assert.equal(cat.trim(), `arenaset.${GROUP}/alpha\narenaset.${GROUP}/beta`, 'category hotpodtest lists the custom objects');
      });

      it('shows labels and filters by label and field selectors', async () => {
        const t = parseTable(await get(['ars', '--show-labels']));
        assert.equal(t.headers.at(-1), 'LABELS');
        assert.deepEqual(Object.fromEntries(t.rows.map((r) => [r.NAME, r.LABELS])), { alpha: '<none>', beta: 'tier=gold' });
        const names = async (args: string[]) => parseTable(await get(['ars', ...args])).rows.map((r) => r.NAME);
        assert.deepEqual(await names(['-l', 'tier=gold']), ['beta']);
        assert.deepEqual(await names(['-l', 'tier!=gold']), ['alpha']);
        assert.deepEqual(await names(['-l', 'tier in (gold,silver)']), ['beta']);
        assert.deepEqual(await names(['-l', '!tier']), ['alpha']);
        assert.deepEqual(await names(['-l', 'tier']), ['beta']);
        assert.deepEqual(await names(['--field-selector', 'metadata.name=alpha']), ['alpha']);
        const none = await runKubectl(k, c, ['get', '-n', ns, 'ars', '-l', 'tier=platinum']);
        assert.equal(none.code, 0);
        assert.equal(none.stdout.trim(), '');
        assert.match(none.stderr, new RegExp(`No resources found in ${ns} namespace\\.`));
      });

      it('prints a NAMESPACE column with -A', async () => {
        const t = parseTable(await kubectlOk(k, c, ['get', 'ars', '-A']));
        assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'DESIRED', 'READY', 'STRATEGY', 'AGE']);
        const mine = t.rows.filter((r) => r.NAMESPACE === ns).map((r) => r.NAME);
        assert.deepEqual(mine, ['alpha', 'beta']);
      });

      it('prints pods as the kubelet printer does', async () => {
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('web', ns, { nodeName: 'node-x' }));
        let t = parseTable(await get(['pods']));
        assert.deepEqual(t.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
        let row = t.rows.find((r) => r.NAME === 'web');
        assert.ok(row, 'row for pod web');
        assert.equal(row.READY, '0/2');
        assert.equal(row.STATUS, 'Pending');
        assert.equal(row.RESTARTS, '0');
        assert.match(row.AGE!, AGE);

        const now = Date.now();
        const iso = (msAgo: number) => new Date(now - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');
        await apiOk(
          c,
          'PATCH',
          `/api/v1/namespaces/${ns}/pods/web/status`,
          {
            status: {
              phase: 'Running',
              hostIP: '192.0.2.10',
              podIP: '10.88.0.5',
              podIPs: [{ ip: '10.88.0.5' }],
              startTime: iso(120_000),
              conditions: [
                { type: 'Ready', status: 'False' },
                { type: 'PodScheduled', status: 'True' },
              ],
              containerStatuses: [
                {
                  name: 'game', image: 'registry.example/game:1.0', imageID: '', containerID: 'hotpod://game-3', ready: true, started: true,
                  restartCount: 2,
                  state: { running: { startedAt: iso(30_000) } },
                  lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: iso(60_000), finishedAt: iso(30_000) } },
                },
                {
                  name: 'sidecar', image: 'registry.example/sidecar:1.0', imageID: '', containerID: 'hotpod://sidecar-1', ready: false, started: true,
                  restartCount: 0,
                  state: { running: { startedAt: iso(100_000) } },
                },
              ],
            },
          },
          { contentType: MERGE },
        );
        t = parseTable(await get(['pods']));
        row = t.rows.find((r) => r.NAME === 'web');
        assert.ok(row);
        assert.equal(row.READY, '1/2');
        assert.equal(row.STATUS, 'Running');
        assert.match(row.RESTARTS!, /^2 \((2\d|3\d|4\d)s ago\)$/);

        t = parseTable(await get(['pods', '-o', 'wide']));
        assert.deepEqual(t.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
        row = t.rows.find((r) => r.NAME === 'web');
        assert.ok(row);
        assert.equal(row.IP, '10.88.0.5');
        assert.equal(row.NODE, 'node-x');
        assert.equal(row['NOMINATED NODE'], '<none>');
        assert.equal(row['READINESS GATES'], '<none>');
      });

      it('pages through a list with --chunk-size', async () => {
        for (let i = 0; i < 5; i++) await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(`chunk-${i}`, ns, { i: String(i) }, { labels: { set: 'chunk' } }));
        const out = await get(['configmaps', '-l', 'set=chunk', '--chunk-size=2', '-o', 'name']);
        assert.deepEqual(out.trim().split('\n'), [0, 1, 2, 3, 4].map((i) => `configmap/chunk-${i}`));
        const t = parseTable(await get(['configmaps', '-l', 'set=chunk', '--chunk-size=2']));
        assert.equal(t.headers[0], 'NAME');
        assert.equal(t.headers.at(-1), 'AGE');
        assert.equal(t.rows.length, 5, 'one header, five rows: chunks are printed as one table');
      });

      it('get -w prints the list, then a row for each change', async () => {
        const w = spawnKubectl(k, c, ['get', '-n', ns, 'ars', '-w']);
        try {
          await w.waitForOutput(/^beta\s/m);
          const initial = watchLines(w.stdout());
          assert.deepEqual(initial[0], ['NAME', 'DESIRED', 'READY', 'STRATEGY', 'AGE']);
          assert.deepEqual(initial.slice(1).map((x) => x[0]), ['alpha', 'beta']);

          await apiOk(c, 'POST', arenaPath(ns), arenaSet('gamma', ns, { replicas: 3 }));
          await w.waitForOutput(/^gamma\s+3\s/m);
          await apiOk(c, 'PATCH', arenaPath(ns, 'gamma'), { spec: { replicas: 9 } }, { contentType: MERGE });
          await w.waitForOutput(/^gamma\s+9\s/m);
          await apiOk(c, 'DELETE', arenaPath(ns, 'gamma'));
          // On delete, kubectl prints the object's last state once more.
          await w.waitForOutput((o) => watchLines(o).filter((x) => x[0] === 'gamma' && x[1] === '9').length >= 2);
          const lines = watchLines(w.stdout());
          assert.equal(lines.filter((x) => x[0] === 'NAME').length, 1, 'one header');
          assert.deepEqual(
            lines.slice(3).map((x) => `${x[0]} ${x[1]}`),
            ['gamma 3', 'gamma 9', 'gamma 9'],
          );
        } finally {
          await w.kill();
        }
        assert.doesNotMatch(w.stderr(), /error/i);
      });

      it('get -w --output-watch-events prints ADDED, MODIFIED and DELETED', async () => {
        const w: KubectlProcess = spawnKubectl(k, c, ['get', '-n', ns, 'ars', '-w', '--output-watch-events']);
        try {
          await w.waitForOutput(/^ADDED\s+beta\s/m);
          assert.deepEqual(watchLines(w.stdout())[0], ['EVENT', 'NAME', 'DESIRED', 'READY', 'STRATEGY', 'AGE']);
          await apiOk(c, 'POST', arenaPath(ns), arenaSet('delta', ns, { replicas: 1 }));
          await w.waitForOutput(/^ADDED\s+delta\s+1\s/m);
          await apiOk(c, 'PATCH', arenaPath(ns, 'delta'), { spec: { replicas: 4 } }, { contentType: MERGE });
          await w.waitForOutput(/^MODIFIED\s+delta\s+4\s/m);
          await apiOk(c, 'DELETE', arenaPath(ns, 'delta'));
          await w.waitForOutput(/^DELETED\s+delta\s+4\s/m);
          const events = watchLines(w.stdout()).filter((x) => x[1] === 'delta').map((x) => x[0]);
          assert.deepEqual(events, ['ADDED', 'MODIFIED', 'DELETED']);
        } finally {
          await w.kill();
        }
      });

      it('get -w --watch-only prints only changes', async () => {
        const w = spawnKubectl(k, c, ['get', '-n', ns, 'pods', '--watch-only']);
        try {
          // Give kubectl time to list and start watching before the change.
          await sleep(1500);
          await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('late', ns));
          await w.waitForOutput(/^late\s+0\/2\s+Pending\s+0\s/m);
          assert.ok(!watchLines(w.stdout()).some((x) => x[0] === 'web'), `existing pod printed by --watch-only:\n${w.stdout()}`);
        } finally {
          await w.kill();
        }
      });
    });
  }

  describe('watch API', () => {
    const ns = 'watch-api';
    before(async () => {
      await ensureNamespace(c, ns);
    });

    it('flushes headers at once, then streams ADDED, MODIFIED, DELETED with growing resourceVersions', async () => {
      const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
      assert.match(list.metadata.resourceVersion, /^\d+$/, 'list has a string resourceVersion');
      const w = rawWatch(c, `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${list.metadata.resourceVersion}`);
      try {
        const status = await Promise.race([w.status, sleep(3000).then(() => -1)]);
        assert.equal(status, 200, 'watch answers 200 before any event arrives');
        const created = await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('w1', ns, { a: '1' }));
        const patched = await apiOk(c, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/w1`, { data: { a: '2' } }, { contentType: MERGE });
        await apiOk(c, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/w1`);
        const evs = await w.waitFor((e) => e.length >= 3);
        assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
        assert.equal(evs[0]!.object.metadata.resourceVersion, created.metadata.resourceVersion);
        assert.equal(evs[1]!.object.metadata.resourceVersion, patched.metadata.resourceVersion);
        assert.equal(evs[1]!.object.data.a, '2');
        assert.ok(Number(evs[2]!.object.metadata.resourceVersion) > Number(patched.metadata.resourceVersion), 'DELETED carries a new resourceVersion');
        assert.equal(evs[0]!.object.kind, 'ConfigMap');
        assert.equal(evs[0]!.object.apiVersion, 'v1');
        assert.deepEqual(w.junk, [], 'no unparseable lines');
      } finally {
        w.close();
      }
    });

    it('replays events after the requested resourceVersion, honours selectors and timeoutSeconds', async () => {
      const a = await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('r1', ns, {}, { labels: { pick: 'yes' } }));
      await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('r2', ns, {}, { labels: { pick: 'no' } }));
      await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('r3', ns, {}, { labels: { pick: 'yes' } }));
      const started = Date.now();
      const w = rawWatch(c, `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${a.metadata.resourceVersion}&labelSelector=pick%3Dyes&timeoutSeconds=2`);
      await w.ended;
      const elapsed = Date.now() - started;
      assert.deepEqual(w.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED r3'], 'only events after the resourceVersion, filtered');
      assert.ok(elapsed >= 1500 && elapsed < 10_000, `watch closed after ${elapsed} ms with timeoutSeconds=2`);
    });

    it('sends bookmarks only when asked', async () => {
      const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
      const w = rawWatch(c, `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=3`);
      await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('b1', ns));
      await w.ended;
      assert.deepEqual(w.events.map((e) => e.type), ['ADDED']);
    });

    it('watches a single object through fieldSelector metadata.name', async () => {
      const list = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
      const w = rawWatch(c, `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3Df2`);
      try {
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('f1', ns));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('f2', ns));
        const evs = await w.waitFor((e) => e.length >= 1);
        await sleep(300);
        assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED f2']);
      } finally {
        w.close();
      }
    });

    it('pages with limit and continue', async () => {
      for (let i = 0; i < 5; i++) await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(`p${i}`, ns, {}, { labels: { page: 'yes' } }));
      const names: string[] = [];
      let cont = '';
      let pages = 0;
      do {
        const r = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=page%3Dyes&limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        assert.ok(r.items.length <= 2);
        names.push(...r.items.map((x: { metadata: { name: string } }) => x.metadata.name));
        cont = r.metadata.continue ?? '';
        pages++;
      } while (cont && pages < 10);
      assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4']);
      assert.equal(pages, 3);
      const bad = await api(c, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=2&continue=garbage`);
      assert.ok(bad.status === 400 || bad.status === 410, `bad continue token -> ${bad.status}`);
    });
  });
});
