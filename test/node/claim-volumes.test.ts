// persistentVolumeClaim volumes on the embedded nodes (`hotpod up --nodes 1`): a pod whose claim
// does not exist yet waits ContainerCreating with kubelet's FailedMount Event, runs once the
// claim is Bound, and a real process's file in the claim's mount outlives the pod: a new pod on
// the same claim reads it. A simulated pod with a claim runs too.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiOk, kubectlOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { startProcessCluster, type ProcessCluster } from '../helpers/process-cluster.js';
import { containerStatus, createNamespace, newestKubectl, waitPod, type Json } from '../helpers/pods.js';

const NS = 'claims';

// Appends a line to data/log.txt, prints the file, and stays up.
const DIARY = `
const fs = require('fs');
fs.appendFileSync('data/log.txt', 'run by ' + process.env.HOSTNAME + '\\n');
console.log('log: ' + JSON.stringify(fs.readFileSync('data/log.txt', 'utf8')));
setInterval(() => {}, 1000);
`;

function diaryPod(name: string, image = 'diary:1'): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'diary' } }],
      containers: [{ name: 'diary', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  };
}

describe('persistentVolumeClaim volumes on the nodes', { timeout: 300_000 }, () => {
  let pc: ProcessCluster;
  let c: Cluster;
  const k = newestKubectl();
  const kubectl = (args: string[], input?: string) => kubectlOk(k, c, args, input === undefined ? {} : { input });

  before(async () => {
    pc = await startProcessCluster('claims', { 'diary:1': { files: { 'diary.cjs': DIARY }, cmd: ['node', 'diary.cjs'] } });
    c = pc.cluster;
    await createNamespace(c, NS);
  });
  after(async () => {
    await pc?.cleanup();
  });

  it('waits ContainerCreating for a claim that is not there, then runs once it is Bound', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, diaryPod('first'));
    const waiting = await waitPod(c, NS, 'first', (p) => p.spec.nodeName && p.status?.containerStatuses?.[0]?.state?.waiting, 'scheduled and waiting');
    assert.equal(containerStatus(waiting, 'diary').state.waiting.reason, 'ContainerCreating');
    const events = await waitFor(async () => {
      const list = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=first`);
      return (list.items as Json[]).find((e) => e.reason === 'FailedMount');
    }, 'FailedMount event');
    assert.equal(events.type, 'Warning');
    assert.match(events.message, /^Unable to attach or mount volumes: unmounted volumes=\[data\], unattached volumes=\[\], failed to process volumes=\[data\]: error processing PVC claims\/diary: .*persistentvolumeclaims "diary" not found/);
    assert.equal((await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/pods/first`)).status.phase, 'Pending');

    await kubectl(['apply', '--validate=strict', '-f', '-'], `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: diary
  namespace: ${NS}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 100Mi
`);
    await waitPod(c, NS, 'first', (p) => p.status?.containerStatuses?.[0]?.state?.running, 'running once the claim is Bound', 30_000);
    const logs = await waitFor(async () => {
      const out = await kubectl(['logs', 'first', '-n', NS]);
      return out.includes('log:') ? out : undefined;
    }, 'the process printed its log');
    assert.match(logs, /log: "run by first\\n"/);
  });

  it('keeps the files of the claim when the pod goes: the next pod on the claim reads them', async () => {
    await kubectl(['delete', 'pod', 'first', '-n', NS]);
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, diaryPod('second'));
    await waitPod(c, NS, 'second', (p) => p.status?.containerStatuses?.[0]?.state?.running, 'running', 30_000);
    const logs = await waitFor(async () => {
      const out = await kubectl(['logs', 'second', '-n', NS]);
      return out.includes('log:') ? out : undefined;
    }, 'the second process printed its log');
    assert.match(logs, /log: "run by first\\nrun by second\\n"/);
    const pvc = await apiOk(c, 'GET', `/api/v1/namespaces/${NS}/persistentvolumeclaims/diary`);
    const pv = await apiOk(c, 'GET', `/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
    assert.equal(readFileSync(join(pv.spec.hostPath.path, 'log.txt'), 'utf8'), 'run by first\nrun by second\n');
  });

  it('runs a simulated pod that mounts a claim', async () => {
    await apiOk(c, 'POST', `/api/v1/namespaces/${NS}/pods`, diaryPod('simulated', 'example.com/sim/game:1'));
    const pod = await waitPod(c, NS, 'simulated', (p) => p.status?.containerStatuses?.[0]?.state?.running, 'running', 30_000);
    assert.equal(pod.status.phase, 'Running');
  });
});
