// kubectl describe (pod and custom object, with Events) and kubectl edit through KUBE_EDITOR.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectls, startCluster, runKubectl, ensureNamespace, nsFor, apiOk, type Cluster } from '../helpers/cluster.js';
import { installCrd, arenaSet, arenaPath, pod, getObj, GROUP, type Obj } from '../helpers/fixtures.js';

function event(ns: string, name: string, involved: Obj, reason: string, message: string, type = 'Normal', component = 'hotpod-test'): Obj {
  const t = new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: involved.metadata.namespace,
      uid: involved.metadata.uid,
      resourceVersion: involved.metadata.resourceVersion,
    },
    reason,
    message,
    type,
    count: 1,
    firstTimestamp: t,
    lastTimestamp: t,
    source: { component },
    reportingComponent: component,
  };
}

describe('kubectl describe and edit', { timeout: 600_000 }, () => {
  let c: Cluster;
  let scratch: string;
  before(async () => {
    c = await startCluster({ inMemory: true });
    await installCrd(c);
    scratch = mkdtempSync(join(tmpdir(), 'hotpod-editor-'));
  });
  after(async () => {
    await c?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Writes an editor script that runs sed with the given expressions on the file kubectl passes. */
  function editor(name: string, ...sedExprs: string[]): string {
    const p = join(scratch, `${name}.sh`);
    const exprs = sedExprs.map((e) => `-e '${e.replace(/'/g, `'\\''`)}'`).join(' ');
    writeFileSync(p, `#!/bin/sh\nset -e\necho "$@" >> '${scratch}/${name}.calls'\nsed -i ${exprs} "$1"\n`);
    chmodSync(p, 0o755);
    return p;
  }

  for (const k of kubectls()) {
    describe(`kubectl ${k.version}`, () => {
      const ns = nsFor('describe', k);
      let thePod: Obj;
      let theSet: Obj;

      before(async () => {
        await ensureNamespace(c, ns);
        thePod = await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod('web', ns, {}, { labels: { app: 'arena', tier: 'front' } }));
        theSet = await apiOk(c, 'POST', arenaPath(ns), arenaSet('alpha', ns, { replicas: 2 }, { labels: { tier: 'gold' } }));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/events`, event(ns, 'web.1', thePod, 'Scheduled', 'Successfully assigned web to node-x', 'Normal', 'default-scheduler'));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/events`, event(ns, 'web.2', thePod, 'BackOff', 'Back-off restarting failed container game', 'Warning', 'kubelet'));
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/events`, event(ns, 'alpha.1', theSet, 'ScalingUp', 'Created game server alpha-x7k2p', 'Normal', 'hotpod-controller'));
        // An event of another object with the same name prefix must not show up.
        await apiOk(c, 'POST', `/api/v1/namespaces/${ns}/events`, event(ns, 'other.1', { ...thePod, metadata: { ...thePod.metadata, name: 'web2', uid: '00000000-0000-0000-0000-000000000000' } }, 'Unrelated', 'must not be listed'));
      });

      it('describes a pod with its containers and events', async () => {
        const r = await runKubectl(k, c, ['describe', 'pod', 'web', '-n', ns]);
        assert.equal(r.code, 0, r.stderr);
        const out = r.stdout;
        assert.match(out, /^Name:\s+web$/m);
        assert.match(out, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
        assert.match(out, /^Labels:\s+app=arena\n\s+tier=front$/m);
        assert.match(out, /^Status:\s+(Pending|Running)$/m); // the embedded node agent may have started it
        assert.match(out, /^Containers:\n\s+game:\n/m);
        assert.match(out, /^\s+Image:\s+registry\.example\/game:1\.0$/m);
        assert.match(out, /^\s+Port:\s+7777\/UDP$/m);
        assert.match(out, /^\s+sidecar:$/m);
        assert.match(out, /^\s+Image:\s+registry\.example\/sidecar:1\.0$/m);
        const events = out.slice(out.indexOf('\nEvents:'));
        assert.match(events, /^\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
        assert.match(events, /^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned web to node-x$/m);
        assert.match(events, /^\s+Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container game$/m);
        assert.doesNotMatch(events, /must not be listed/);
      });

      it('describes a custom object with its spec, status and events', async () => {
        await apiOk(c, 'PATCH', `${arenaPath(ns, 'alpha')}/status`, { status: { replicas: 2, readyReplicas: 1 } }, { contentType: 'application/merge-patch+json' });
        const r = await runKubectl(k, c, ['describe', 'ars', 'alpha', '-n', ns]);
        assert.equal(r.code, 0, r.stderr);
        const out = r.stdout;
        assert.match(out, /^Name:\s+alpha$/m);
        assert.match(out, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
        assert.match(out, /^Labels:\s+tier=gold$/m);
        assert.match(out, new RegExp(`^API Version:\\s+${GROUP.replace(/\./g, '\\.')}/v1$`, 'm'));
        assert.match(out, /^Kind:\s+ArenaSet$/m);
        assert.match(out, /^Spec:\n(\s+.*\n)*?\s+Replicas:\s+2$/m);
        assert.match(out, /^\s+Strategy:\s+InPlace$/m);
        assert.match(out, /^Status:\n(\s+.*\n)*?\s+Ready Replicas:\s+1$/m);
        const events = out.slice(out.indexOf('\nEvents:'));
        assert.match(events, /^\s+Normal\s+ScalingUp\s+\S+\s+hotpod-controller\s+Created game server alpha-x7k2p$/m);
      });

      it('describes an object without events as Events: <none>', async () => {
        await apiOk(c, 'POST', arenaPath(ns), arenaSet('quiet', ns));
        const r = await runKubectl(k, c, ['describe', 'ars', 'quiet', '-n', ns]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Events:\s+<none>$/m);
      });

      it('edits a custom object through KUBE_EDITOR', async () => {
        const before = await getObj(c, arenaPath(ns, 'alpha'));
        const ed = editor(`set-${k.version}`, 's/^  strategy: InPlace$/  strategy: HotPatch/', 's/^    tier: gold$/    tier: platinum/');
        const r = await runKubectl(k, c, ['edit', 'ars', 'alpha', '-n', ns], { env: { KUBE_EDITOR: ed, EDITOR: ed } });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.equal(r.stdout.trim(), `arenaset.${GROUP}/alpha edited`);
        const after = await getObj(c, arenaPath(ns, 'alpha'));
        assert.equal(after?.spec.strategy, 'HotPatch');
        assert.equal(after?.metadata.labels.tier, 'platinum');
        assert.equal(after?.spec.replicas, 2);
        assert.equal(after?.status?.readyReplicas, before?.status?.readyReplicas, 'status untouched');
        assert.equal(after?.metadata.generation, (before?.metadata.generation ?? 1) + 1);
      });

      it('edits a pod through KUBE_EDITOR (strategic merge on the containers list)', async () => {
        const ed = editor(`pod-${k.version}`, 's#image: registry.example/sidecar:1.0#image: registry.example/sidecar:1.1#');
        const r = await runKubectl(k, c, ['edit', 'pod', 'web', '-n', ns], { env: { KUBE_EDITOR: ed, EDITOR: ed } });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.equal(r.stdout.trim(), 'pod/web edited');
        const after = await getObj(c, `/api/v1/namespaces/${ns}/pods/web`);
        assert.deepEqual(
          after?.spec.containers.map((x: Obj) => `${x.name}=${x.image}`),
          ['game=registry.example/game:1.0', 'sidecar=registry.example/sidecar:1.1'],
        );
      });

      it('reports an edit without changes as cancelled and writes nothing', async () => {
        const before = await getObj(c, arenaPath(ns, 'alpha'));
        const ed = editor(`noop-${k.version}`, 's/^NO MATCH$//');
        const r = await runKubectl(k, c, ['edit', 'ars', 'alpha', '-n', ns], { env: { KUBE_EDITOR: ed, EDITOR: ed } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout + r.stderr, /Edit cancelled, no changes made\./);
        const after = await getObj(c, arenaPath(ns, 'alpha'));
        assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion);
      });

      it('rejects an invalid edit and keeps the stored object', async () => {
        const before = await getObj(c, arenaPath(ns, 'alpha'));
        const ed = editor(`bad-${k.version}`, 's/^  strategy: HotPatch$/  strategy: Sideways/');
        const r = await runKubectl(k, c, ['edit', 'ars', 'alpha', '-n', ns], { env: { KUBE_EDITOR: ed, EDITOR: ed } });
        assert.notEqual(r.code, 0, 'an invalid edit fails');
        assert.match(r.stderr, /Edit cancelled|is invalid|Unsupported value/);
        const after = await getObj(c, arenaPath(ns, 'alpha'));
        assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion);
        assert.equal(after?.spec.strategy, 'HotPatch');
      });
    });
  }
});
