// kubectl delete with cascading (Background, Orphan, Foreground), finalizers, pod grace periods
// and deletecollection.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectls, startCluster, runKubectl, spawnKubectl, ensureNamespace, nsFor, api, apiOk, waitFor, sleep, parseTable, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, configMap, getObj, GROUP, type Obj } from '../helpers/fixtures.js';

const MERGE = 'application/merge-patch+json';
const ARS = `arenaset.${GROUP}`;

function ownerRef(owner: Obj, blockOwnerDeletion = true): Obj {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion };
}

describe('kubectl delete and garbage collection', { timeout: 600_000 }, () => {
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
      const ns = nsFor('delete', k);
      const cmPath = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
      const podPath = (name = '') => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

      /** An ArenaSet owning two configmaps and a pod. */
      async function family(name: string, dependentFinalizer?: string): Promise<Obj> {
        const owner = await apiOk(c, 'POST', arenaPath(ns), arenaSet(name, ns));
        const meta = (child: string): Obj => ({
          ownerReferences: [ownerRef(owner)],
          labels: { family: name },
          ...(dependentFinalizer && child === `${name}-cm-0` ? { finalizers: [dependentFinalizer] } : {}),
        });
        await apiOk(c, 'POST', cmPath(), configMap(`${name}-cm-0`, ns, { x: '0' }, meta(`${name}-cm-0`)));
        await apiOk(c, 'POST', cmPath(), configMap(`${name}-cm-1`, ns, { x: '1' }, meta(`${name}-cm-1`)));
        await apiOk(c, 'POST', podPath(), pod(`${name}-pod`, ns, {}, meta(`${name}-pod`)));
        return owner;
      }
      const exists = async (path: string) => (await getObj(c, path)) !== undefined;

      before(async () => {
        await ensureNamespace(c, ns);
      });

      it('deletes dependents in the background (default cascade)', async () => {
        await family('bg');
        const r = await runKubectl(k, c, ['delete', 'ars', 'bg', '-n', ns]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), new RegExp(`^${ARS.replace(/\./g, '\\.')} "bg" deleted`));
        assert.equal(await exists(arenaPath(ns, 'bg')), false, 'owner gone when kubectl returns');
        await waitFor(
          async () => !(await exists(cmPath('bg-cm-0'))) && !(await exists(cmPath('bg-cm-1'))) && !(await exists(podPath('bg-pod'))),
          'dependents of bg garbage-collected',
          30_000,
        );
        const left = await apiOk(c, 'GET', `${cmPath()}?labelSelector=family%3Dbg`);
        assert.deepEqual(left.items, []);
      });

      it('orphans dependents with --cascade=orphan and strips their ownerReferences', async () => {
        const owner = await family('orph');
        const r = await runKubectl(k, c, ['delete', 'ars', 'orph', '-n', ns, '--cascade=orphan']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), new RegExp(`^${ARS.replace(/\./g, '\\.')} "orph" deleted`));
        await waitFor(async () => !(await exists(arenaPath(ns, 'orph'))), 'owner orph deleted', 30_000);
        await sleep(1500); // give a (wrong) collector time to act
        for (const name of ['orph-cm-0', 'orph-cm-1']) {
          const cm = await getObj(c, cmPath(name));
          assert.ok(cm, `${name} kept`);
          const refs = (cm.metadata.ownerReferences ?? []).filter((x: Obj) => x.uid === owner.metadata.uid);
          assert.deepEqual(refs, [], `${name} no longer points at the deleted owner`);
        }
        assert.ok(await exists(podPath('orph-pod')), 'orphaned pod kept');
      });

      it('waits for dependents with --cascade=foreground', async () => {
        const hold = 'conformance.hotpod.dev/hold';
        await family('fg', hold);
        const del = spawnKubectl(k, c, ['delete', 'ars', 'fg', '-n', ns, '--cascade=foreground', '--timeout=90s']);
        try {
          // The owner stays, marked for deletion with the foregroundDeletion finalizer, while a
          // blocking dependent is there.
          const owner = await waitFor(async () => {
            const o = await getObj(c, arenaPath(ns, 'fg'));
            return o?.metadata.deletionTimestamp ? o : undefined;
          }, 'owner fg marked for deletion', 20_000);
          assert.ok(owner.metadata.finalizers?.includes('foregroundDeletion'), `finalizers: ${JSON.stringify(owner.metadata.finalizers)}`);
          await waitFor(async () => !(await exists(cmPath('fg-cm-1'))) && !(await exists(podPath('fg-pod'))), 'unblocked dependents deleted first', 30_000);
          const held = await getObj(c, cmPath('fg-cm-0'));
          assert.ok(held?.metadata.deletionTimestamp, 'held dependent is being deleted');
          await sleep(1000);
          assert.ok(await exists(arenaPath(ns, 'fg')), 'owner waits for the held dependent');
          assert.equal(del.proc.exitCode, null, 'kubectl delete --cascade=foreground still waiting');

          // Release the dependent: then the owner goes, and kubectl returns.
          await apiOk(c, 'PATCH', cmPath('fg-cm-0'), { metadata: { finalizers: null } }, { contentType: MERGE });
          const code = await Promise.race([del.exited, sleep(60_000).then(() => 'timeout')]);
          assert.equal(code, 0, `kubectl delete: ${del.stdout()} ${del.stderr()}`);
          assert.match(del.stdout(), new RegExp(`${ARS.replace(/\./g, '\\.')} "fg" deleted`));
          assert.equal(await exists(arenaPath(ns, 'fg')), false);
          assert.equal(await exists(cmPath('fg-cm-0')), false);
        } finally {
          await del.kill();
        }
      });

      it('keeps an object with a finalizer until the finalizer is removed', async () => {
        await apiOk(c, 'POST', cmPath(), configMap('fin', ns, {}, { finalizers: ['conformance.hotpod.dev/hold'] }));
        const r = await runKubectl(k, c, ['delete', 'configmap', 'fin', '-n', ns, '--wait=false']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), /^configmap "fin" deleted/);
        const o = await getObj(c, cmPath('fin'));
        assert.ok(o, 'still there');
        assert.ok(o.metadata.deletionTimestamp, 'deletionTimestamp set');
        assert.deepEqual(o.metadata.finalizers, ['conformance.hotpod.dev/hold']);
        // Updates other than removing finalizers are still possible; a second delete is no error.
        const again = await api(c, 'DELETE', cmPath('fin'));
        assert.ok(again.status === 200 || again.status === 202, `second delete -> ${again.status}`);
        await apiOk(c, 'PATCH', cmPath('fin'), { metadata: { finalizers: null } }, { contentType: MERGE });
        await waitFor(async () => !(await exists(cmPath('fin'))), 'configmap fin gone after its finalizer is removed', 10_000);
      });

      it('deletes an unscheduled pod at once, shows a scheduled one as Terminating, force-deletes it', async () => {
        await apiOk(c, 'POST', podPath(), pod('loose', ns));
        let r = await runKubectl(k, c, ['delete', 'pod', 'loose', '-n', ns]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), /^pod "loose" deleted/);
        assert.equal(await exists(podPath('loose')), false);

        // Bound to a node that has no kubelet: the pod waits out its grace period.
        await apiOk(c, 'POST', podPath(), pod('bound', ns, { nodeName: 'no-such-node', terminationGracePeriodSeconds: 300 }));
        r = await runKubectl(k, c, ['delete', 'pod', 'bound', '-n', ns, '--wait=false']);
        assert.equal(r.code, 0, r.stderr);
        const p = await getObj(c, podPath('bound'));
        assert.ok(p?.metadata.deletionTimestamp, 'bound pod marked for deletion');
        assert.equal(p?.metadata.deletionGracePeriodSeconds, 300);
        const t = parseTable((await runKubectl(k, c, ['get', 'pod', 'bound', '-n', ns])).stdout);
        assert.equal(t.rows[0]?.STATUS, 'Terminating');

        r = await runKubectl(k, c, ['delete', 'pod', 'bound', '-n', ns, '--grace-period=0', '--force']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), /^pod "bound" force deleted/);
        assert.match(r.stderr, /Immediate deletion does not wait for confirmation/);
        assert.equal(await exists(podPath('bound')), false);
      });

      it('deletes by label selector, and through deletecollection', async () => {
        for (const n of ['s1', 's2', 's3']) await apiOk(c, 'POST', cmPath(), configMap(n, ns, {}, { labels: { sweep: n === 's3' ? 'no' : 'yes' } }));
        const r = await runKubectl(k, c, ['delete', 'configmap', '-n', ns, '-l', 'sweep=yes']);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split('\n').sort();
        assert.equal(lines.length, 2);
        assert.match(lines[0]!, /^configmap "s1" deleted/);
        assert.match(lines[1]!, /^configmap "s2" deleted/);
        assert.ok(await exists(cmPath('s3')));

        for (const n of ['d1', 'd2']) await apiOk(c, 'POST', cmPath(), configMap(n, ns, {}, { labels: { dc: 'yes' } }));
        const dc = await api(c, 'DELETE', `${cmPath()}?labelSelector=dc%3Dyes`);
        assert.equal(dc.status, 200, dc.text);
        const left = await apiOk(c, 'GET', `${cmPath()}?labelSelector=dc%3Dyes`);
        assert.deepEqual(left.items, []);
        assert.ok(await exists(cmPath('s3')), 'deletecollection honours the selector');
      });

      it('deleting a missing object is NotFound, --ignore-not-found is quiet', async () => {
        let r = await runKubectl(k, c, ['delete', 'ars', 'ghost', '-n', ns]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`Error from server \\(NotFound\\): arenasets\\.${GROUP.replace(/\./g, '\\.')} "ghost" not found`));
        r = await runKubectl(k, c, ['delete', 'ars', 'ghost', '-n', ns, '--ignore-not-found']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), '');
      });
    });
  }
});
