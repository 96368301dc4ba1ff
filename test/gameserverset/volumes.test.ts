// GameServerSet volumeClaimTemplates and persistentVolumeClaimRetentionPolicy, end to end through
// kubectl 1.35 (strict field validation): one claim per server named as StatefulSet names them,
// a real process's save file surviving a ReCreate update, claims kept or deleted on scale-down
// and with the set as the policy says, a retained claim reused by a later scale-up, and
// `kubectl get pvc,pv,sc` showing them Bound.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiOk, parseTable, waitFor, type Cluster } from '../helpers/cluster.js';
import { startProcessCluster, type ProcessCluster } from '../helpers/process-cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { ENGINE, WAIT_MS, getGss, kubectl, namespace, podsOf, waitSettled, type Json } from './helpers.js';

// Appends "<hostname> gen <GEN>" to data/runs.txt, prints the file, and serves until stopped.
const SAVER = `
const fs = require('fs');
fs.appendFileSync('data/runs.txt', process.env.HOSTNAME + ' gen ' + process.env.GEN + '\\n');
console.log('runs: ' + JSON.stringify(fs.readFileSync('data/runs.txt', 'utf8')));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`;

const claimsPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/persistentvolumeclaims${name ? `/${name}` : ''}`;

function claimTemplate(storage = '100Mi'): Json {
  return { metadata: { name: 'data', labels: { save: 'yes' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } };
}

function set(name: string, ns: string, o: { replicas: number; image?: string; gen?: string; policy?: Json }): Json {
  return {
    apiVersion: 'game.kruise.io/v1alpha1',
    kind: 'GameServerSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: o.replicas,
      updateStrategy: { rollingUpdate: { podUpdatePolicy: 'ReCreate' } },
      ...(o.policy ? { persistentVolumeClaimRetentionPolicy: o.policy } : {}),
      gameServerTemplate: {
        spec: {
          terminationGracePeriodSeconds: 2,
          // A template volume of the claim's name is replaced by the claim, as StatefulSet does.
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [{ name: 'game', image: o.image ?? ENGINE, env: [{ name: 'GEN', value: o.gen ?? '1' }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
        volumeClaimTemplates: [claimTemplate()],
      },
    },
  };
}

describe('GameServerSet volumeClaimTemplates', { timeout: 600_000 }, () => {
  let pc: ProcessCluster;
  let c: Cluster;
  const apply = (ns: string, manifest: Json) => kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: toYaml(manifest) });
  const claim = async (ns: string, name: string): Promise<Json | undefined> => {
    const r = await api(c, 'GET', claimsPath(ns, name));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET claim ${name}: ${r.status} ${r.text}`);
    return r.body;
  };
  const logsOf = (ns: string, pod: string) =>
    waitFor(async () => {
      const out = await kubectl(c, ns, ['logs', pod]);
      return out.includes('runs:') ? out : undefined;
    }, `${pod} printed its runs`, WAIT_MS);

  before(async () => {
    process.env.HOTPOD_BACKOFF_BASE_MS = '300';
    delete process.env.HOTPOD_NO_CONTROLLER;
    pc = await startProcessCluster('gss-volumes', { 'saver:1': { files: { 'saver.cjs': SAVER }, cmd: ['node', 'saver.cjs'] } });
    c = pc.cluster;
  });
  after(async () => {
    await pc?.cleanup();
  });

  it("keeps a process's save file in its claim across a ReCreate update (process runtime)", async () => {
    const ns = await namespace(c, 'gss-saves');
    await apply(ns, set('arena', ns, { replicas: 1, image: 'saver:1' }));
    const [first] = [...(await waitSettled(c, ns, 'arena', ['arena-0'])).values()];
    const pvc = await claim(ns, 'data-arena-0');
    assert.ok(pvc, 'claim data-arena-0 made');
    assert.deepEqual(pvc.metadata.labels, { save: 'yes', 'game.kruise.io/owner-gss': 'arena' });
    assert.equal(pvc.metadata.ownerReferences, undefined, 'Retain/Retain: nothing owns the claim');
    assert.deepEqual(first!.spec.volumes.filter((v: Json) => v.name === 'data'), [{ name: 'data', persistentVolumeClaim: { claimName: 'data-arena-0' } }]);
    assert.match(await logsOf(ns, 'arena-0'), /runs: "arena-0 gen 1\\n"/);
    const normal = await waitFor(async () => {
      const gs = await apiOk(c, 'GET', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/arena-0`);
      return ((gs.status?.conditions ?? []) as Json[]).find((x) => x.type === 'PersistentVolumeNormal');
    }, 'GameServer condition PersistentVolumeNormal', WAIT_MS);
    assert.equal(normal.status, 'True');

    // A template change: the pod is recreated and finds its save file.
    await kubectl(c, ns, ['patch', 'gss', 'arena', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/0/env/0/value', value: '2' }])]);
    await waitFor(async () => {
      const pods = await waitSettled(c, ns, 'arena', ['arena-0'], 'recreated');
      return pods.get('arena-0')!.metadata.uid !== first!.metadata.uid;
    }, 'arena-0 recreated', WAIT_MS);
    assert.match(await logsOf(ns, 'arena-0'), /runs: "arena-0 gen 1\\narena-0 gen 2\\n"/);
    assert.equal((await claim(ns, 'data-arena-0'))!.metadata.uid, pvc.metadata.uid, 'the same claim');

    // volumeClaimTemplates are not part of the revision: changing them rolls nothing.
    const before = (await podsOf(c, ns, 'arena')).get('arena-0')!;
    const changed = set('arena', ns, { replicas: 1, image: 'saver:1', gen: '2' });
    changed.spec.gameServerTemplate.volumeClaimTemplates = [claimTemplate('200Mi')];
    await apply(ns, changed);
    await waitFor(async () => {
      const s = await getGss(c, ns, 'arena');
      return s.status?.observedGeneration === s.metadata.generation;
    }, 'the controller saw the change', WAIT_MS);
    const after = (await waitSettled(c, ns, 'arena', ['arena-0'])).get('arena-0')!;
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal(after.metadata.labels['controller-revision-hash'], before.metadata.labels['controller-revision-hash']);
  });

  it('shows the bound claims, their volumes and the default class in kubectl get pvc,pv,sc', async () => {
    const out = await kubectl(c, 'gss-saves', ['get', 'pvc,pv,sc']);
    const [claims, volumes, classes] = out.split(/\n\s*\n/).map(parseTable);
    const row = claims!.rows.find((r) => r.NAME === 'persistentvolumeclaim/data-arena-0');
    assert.ok(row, out);
    assert.equal(row.STATUS, 'Bound');
    assert.equal(row.CAPACITY, '100Mi');
    assert.equal(row.STORAGECLASS, 'local');
    assert.ok(volumes!.rows.some((r) => r.NAME === `persistentvolume/${row.VOLUME}` && r.STATUS === 'Bound' && r.CLAIM === 'gss-saves/data-arena-0'), out);
    assert.ok(classes!.rows.some((r) => r.NAME === 'storageclass.storage.k8s.io/local (default)'), out);
  });

  it('keeps the claims of a scale-down under whenScaled Retain (a scale-up reuses them) and deletes them under Delete', async () => {
    const ns = await namespace(c, 'gss-scale');
    await apply(ns, set('arena', ns, { replicas: 2 }));
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1']);
    const kept = (await claim(ns, 'data-arena-1'))!;
    await kubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=1']);
    await waitSettled(c, ns, 'arena', ['arena-0'], 'scaled down');
    await waitFor(async () => (await api(c, 'GET', `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/arena-1`)).status === 404, 'arena-1 gone', WAIT_MS);
    const retained = await claim(ns, 'data-arena-1');
    assert.equal(retained?.metadata.uid, kept.metadata.uid, 'whenScaled Retain keeps the claim');
    assert.equal(retained!.metadata.ownerReferences, undefined);

    await kubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=2']);
    const pods = await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1'], 'scaled up');
    assert.equal((await claim(ns, 'data-arena-1'))!.metadata.uid, kept.metadata.uid, 'the retained claim is reused');
    assert.equal(pods.get('arena-1')!.spec.volumes[0].persistentVolumeClaim.claimName, 'data-arena-1');

    await kubectl(c, ns, ['patch', 'gss', 'arena', '--type=merge', '-p', JSON.stringify({ spec: { persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } } })]);
    await kubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=1']);
    await waitSettled(c, ns, 'arena', ['arena-0'], 'scaled down again');
    await waitFor(async () => (await claim(ns, 'data-arena-1')) === undefined, 'whenScaled Delete: data-arena-1 deleted', WAIT_MS);
    assert.ok(await claim(ns, 'data-arena-0'), 'the claim of the server that stays is kept');

    // whenDeleted Retain (the default): the set goes, its claims stay, owned by nothing.
    await kubectl(c, ns, ['delete', 'gss', 'arena']);
    await waitFor(async () => (await podsOf(c, ns, 'arena')).size === 0, 'the set and its pods gone', WAIT_MS);
    const orphan = await claim(ns, 'data-arena-0');
    assert.ok(orphan, 'whenDeleted Retain keeps the claim');
    assert.equal(orphan.metadata.ownerReferences, undefined);
  });

  it('deletes the claims with the set under whenDeleted Delete', async () => {
    const ns = await namespace(c, 'gss-delete');
    await apply(ns, set('arena', ns, { replicas: 2, policy: { whenDeleted: 'Delete', whenScaled: 'Retain' } }));
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1']);
    const uid = (await getGss(c, ns, 'arena')).metadata.uid;
    for (const name of ['data-arena-0', 'data-arena-1']) {
      assert.deepEqual((await claim(ns, name))!.metadata.ownerReferences, [{ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'arena', uid }]);
    }
    await kubectl(c, ns, ['delete', 'gss', 'arena']);
    await waitFor(async () => (await apiOk(c, 'GET', claimsPath(ns))).items.length === 0, 'the claims went with the set', WAIT_MS);
  });
});
