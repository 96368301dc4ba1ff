// PersistentVolumes, PersistentVolumeClaims and StorageClasses through real kubectl: the default
// class, DefaultStorageClass admission, binding by the control plane's volume controller, kube's
// table columns, reclaim (Delete removes volume and directory, Retain leaves it Released),
// pvc-protection while a pod uses a claim, and kube's validation errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, apiOk, ensureNamespace, kubectlOk, parseTable, runKubectl, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const NS = 'storage';

function claimYaml(name: string, extra = ''): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
${extra}`;
}

describe('persistent volumes (kubectl 1.35)', { timeout: 300_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();
  const kubectl = (args: string[], input?: string) => kubectlOk(k, c, args, input === undefined ? {} : { input });
  const claim = (name: string): Promise<Json> => apiOk(c, 'GET', `/api/v1/namespaces/${NS}/persistentvolumeclaims/${name}`);
  const bound = (name: string) => waitFor(async () => ((await claim(name)).status?.phase === 'Bound' ? claim(name) : undefined), `claim ${name} Bound`);

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster({ inMemory: true });
    await ensureNamespace(c, NS);
  });
  after(async () => {
    delete process.env.HOTPOD_NODES;
    await c?.cleanup();
  });

  it('serves the default class "local" and shows it as (default)', async () => {
    const table = parseTable(await kubectl(['get', 'sc']));
    assert.deepEqual(table.headers, ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    const row = table.rows.find((r) => r.NAME === 'local (default)');
    assert.ok(row, JSON.stringify(table.rows));
    assert.equal(row.PROVISIONER, 'hotpod.dev/local');
    assert.equal(row.RECLAIMPOLICY, 'Delete');
    assert.equal(row.VOLUMEBINDINGMODE, 'Immediate');
    assert.equal(row.ALLOWVOLUMEEXPANSION, 'false');
    const resources = await kubectl(['api-resources', '--api-group=storage.k8s.io', '-o', 'name']);
    assert.match(resources, /^storageclasses\.storage\.k8s\.io$/m);
  });

  it('binds a claim without a class to a new volume of the default class, shown by kubectl get pvc,pv', async () => {
    await kubectl(['apply', '--validate=strict', '-f', '-'], claimYaml('data'));
    const pvc = await bound('data');
    assert.equal(pvc.spec.storageClassName, 'local', 'DefaultStorageClass admission');
    assert.deepEqual(pvc.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    assert.equal(pvc.status.capacity.storage, '1Gi');
    assert.deepEqual(pvc.status.accessModes, ['ReadWriteOnce']);
    const pvName = pvc.spec.volumeName;
    assert.equal(pvName, `pvc-${pvc.metadata.uid}`);
    const pv: Json = await waitFor(async () => {
      const v = await apiOk(c, 'GET', `/api/v1/persistentvolumes/${pvName}`);
      return v.status?.phase === 'Bound' ? v : undefined;
    }, 'volume Bound');
    assert.equal(pv.spec.claimRef.name, 'data');
    assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec.hostPath.path, join(c.dataDir, 'volumes', pvName));
    assert.ok(existsSync(pv.spec.hostPath.path), 'the volume directory exists');

    const out = await kubectl(['get', 'pvc,pv', '-n', NS]);
    const [pvcPart, pvPart] = out.split(/\n\s*\n/);
    const pvcTable = parseTable(pvcPart!);
    assert.deepEqual(pvcTable.headers, ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    assert.deepEqual(
      { ...pvcTable.rows[0], AGE: undefined },
      { NAME: 'persistentvolumeclaim/data', STATUS: 'Bound', VOLUME: pvName, CAPACITY: '1Gi', 'ACCESS MODES': 'RWO', STORAGECLASS: 'local', VOLUMEATTRIBUTESCLASS: '<unset>', AGE: undefined },
    );
    const pvTable = parseTable(pvPart!);
    assert.deepEqual(pvTable.headers, ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    const row = pvTable.rows.find((r) => r.NAME === `persistentvolume/${pvName}`)!;
    assert.deepEqual({ ...row, AGE: undefined }, { NAME: `persistentvolume/${pvName}`, CAPACITY: '1Gi', 'ACCESS MODES': 'RWO', 'RECLAIM POLICY': 'Delete', STATUS: 'Bound', CLAIM: `${NS}/data`, STORAGECLASS: 'local', VOLUMEATTRIBUTESCLASS: '<unset>', REASON: '', AGE: undefined });
    const wide = parseTable(await kubectl(['get', 'pvc', 'data', '-n', NS, '-o', 'wide']));
    assert.equal(wide.rows[0]!.VOLUMEMODE, 'Filesystem');
    const described = await kubectl(['describe', 'pvc', 'data', '-n', NS]);
    assert.match(described, /^Status:\s+Bound$/m);
    assert.match(described, /^StorageClass:\s+local$/m);
    assert.match(described, new RegExp(`Normal\\s+ProvisioningSucceeded\\s+.*Successfully provisioned volume ${pvName}`));
    assert.match(described, new RegExp(`^Volume:\\s+${pvName}$`, 'm'));
    assert.match(await kubectl(['describe', 'pv', pvName]), new RegExp(`^Claim:\\s+${NS}/data$`, 'm'));
    assert.match(await kubectl(['describe', 'sc', 'local']), /^IsDefaultClass:\s+Yes$/m);
  });

  it('keeps a claim a pod uses (pvc-protection), then deletes its volume and directory (reclaimPolicy Delete)', async () => {
    const pvc = await bound('data');
    const path = join(c.dataDir, 'volumes', pvc.spec.volumeName);
    writeFileSync(join(path, 'save.txt'), 'level 3');
    // Not scheduled (no nodes): the pod exists and uses the claim until it is deleted.
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user' },
      spec: { containers: [{ name: 'c', image: 'sim/game:1' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
    });
    await kubectl(['delete', 'pvc', 'data', '-n', NS, '--wait=false']);
    const held = await claim('data');
    assert.ok(held.metadata.deletionTimestamp, 'marked for deletion');
    assert.deepEqual(held.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    assert.equal(parseTable(await kubectl(['get', 'pvc', 'data', '-n', NS])).rows[0]!.STATUS, 'Terminating');
    assert.ok(existsSync(join(path, 'save.txt')), 'files stay while the pod uses the claim');
    await kubectl(['delete', 'pod', 'user', '-n', NS]);
    await waitFor(async () => (await api(c, 'GET', `/api/v1/namespaces/${NS}/persistentvolumeclaims/data`)).status === 404, 'claim gone after its pod');
    await waitFor(async () => (await api(c, 'GET', `/api/v1/persistentvolumes/${pvc.spec.volumeName}`)).status === 404, 'volume deleted');
    await waitFor(() => !existsSync(path), 'volume directory removed');
  });

  it('leaves the volume of a Retain class Released, its files kept, and never binds it again', async () => {
    await kubectl(['apply', '--validate=strict', '-f', '-'], `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: hotpod.dev/local
reclaimPolicy: Retain
volumeBindingMode: Immediate
`);
    await kubectl(['apply', '--validate=strict', '-f', '-'], claimYaml('kept', '  storageClassName: keep\n'));
    const pvc = await bound('kept');
    const path = join(c.dataDir, 'volumes', pvc.spec.volumeName);
    writeFileSync(join(path, 'save.txt'), 'keep me');
    await kubectl(['delete', 'pvc', 'kept', '-n', NS]);
    const pv: Json = await waitFor(async () => {
      const v = await apiOk(c, 'GET', `/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
      return v.status?.phase === 'Released' ? v : undefined;
    }, 'volume Released');
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.ok(existsSync(join(path, 'save.txt')));
    // A new claim of the same class gets a new volume, not the released one.
    await kubectl(['apply', '--validate=strict', '-f', '-'], claimYaml('kept', '  storageClassName: keep\n'));
    const again = await bound('kept');
    assert.notEqual(again.spec.volumeName, pvc.spec.volumeName);
  });

  it('binds a claim to a volume made by hand (static binding) that fits it, the smallest first', async () => {
    const pv = (name: string, size: string) => `apiVersion: v1
kind: PersistentVolume
metadata:
  name: ${name}
spec:
  capacity:
    storage: ${size}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: manual
  hostPath:
    path: /tmp/hotpod-unused-${name}
`;
    await kubectl(['apply', '--validate=strict', '-f', '-'], `${pv('big', '10Gi')}---\n${pv('small', '2Gi')}---\n${pv('tiny', '500Mi')}`);
    await waitFor(async () => (await apiOk(c, 'GET', '/api/v1/persistentvolumes/small')).status?.phase === 'Available', 'small Available');
    await kubectl(['apply', '--validate=strict', '-f', '-'], claimYaml('static', '  storageClassName: manual\n'));
    const pvc = await bound('static');
    assert.equal(pvc.spec.volumeName, 'small');
    assert.deepEqual(pvc.status.accessModes, ['ReadWriteOnce', 'ReadOnlyMany']);
    assert.equal(pvc.status.capacity.storage, '2Gi');
    const row = parseTable(await kubectl(['get', 'pv', 'small'])).rows[0]!;
    assert.equal(row.STATUS, 'Bound');
    assert.equal(row['ACCESS MODES'], 'RWO,ROX');
    const bad = await api(c, 'POST', '/api/v1/persistentvolumes', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'nothing' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.body.details.causes, [{ reason: 'FieldValueRequired', field: 'spec', message: 'Required value: must specify a volume type' }]);
  });

  it('refuses a claim without access modes or storage request, and spec changes after creation, with field causes', async () => {
    const bad = await api(c, 'POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'bad' }, spec: { accessModes: ['ReadWriteSometimes'] } });
    assert.equal(bad.status, 422, bad.text);
    const causes = (bad.body.details.causes as Json[]).map((x) => `${x.field}: ${x.message}`);
    assert.ok(causes.some((x) => x.startsWith('spec.accessModes: Unsupported value: "ReadWriteSometimes"')), causes.join('\n'));
    assert.ok(causes.includes('spec.resources[storage]: Required value'), causes.join('\n'));

    await bound('kept');
    const r = await runKubectl(k, c, ['patch', 'pvc', 'kept', '-n', NS, '--type=merge', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec: Forbidden: spec is immutable after creation except resources.requests/);
    // Resources may change.
    await kubectl(['patch', 'pvc', 'kept', '-n', NS, '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);

    const sc = await runKubectl(k, c, ['patch', 'sc', 'keep', '--type=merge', '-p', '{"reclaimPolicy":"Delete"}']);
    assert.notEqual(sc.code, 0);
    assert.match(sc.stderr, /reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden/);
  });

  it('lets the edit role write claims and the view role read them', async () => {
    const edit = await apiOk(c, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/edit');
    assert.ok((edit.rules as Json[]).some((r) => r.resources.includes('persistentvolumeclaims') && r.verbs.includes('create')), JSON.stringify(edit.rules));
    const view = await apiOk(c, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
    assert.ok((view.rules as Json[]).some((r) => r.resources.includes('persistentvolumeclaims') && r.verbs.includes('list')));
  });
});
