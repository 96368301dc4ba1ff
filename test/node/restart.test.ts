// hotpod restarted on the same data dir: its nodes come back, and the containers that ran
// before are gone as after a node reboot, so kubelet's rules restart them (reason Unknown).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiOk, type Cluster } from '../helpers/cluster.js';
import { containerStatus, createNamespace, createPod, isReady, podManifest, startNodeCluster, waitPod } from '../helpers/pods.js';

const NS = 'node-restart';

describe('hotpod restarted on the same data dir', { timeout: 120_000 }, () => {
  let c: Cluster;
  const dataDir = mkdtempSync(join(tmpdir(), 'hotpod-node-restart-'));

  before(async () => {
    c = await startNodeCluster({ nodes: 1, dataDir });
    await createNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts the pods that ran, keeping their IP and counting the restart', async () => {
    await createPod(c, podManifest('survivor', NS, [{ name: 'engine', image: 'game/engine:v1' }]));
    const before = await waitPod(c, NS, 'survivor', isReady, 'Ready');
    await c.restart();
    const after = await waitPod(c, NS, 'survivor', (p) => containerStatus(p, 'engine').restartCount === 1 && isReady(p), 'restarted after the reboot');
    const engine = containerStatus(after, 'engine');
    const old = containerStatus(before, 'engine');
    assert.notEqual(engine.containerID, old.containerID, 'a new container');
    assert.deepEqual(
      [engine.lastState.terminated.reason, engine.lastState.terminated.exitCode, engine.lastState.terminated.containerID],
      ['Unknown', 255, old.containerID],
    );
    assert.equal(after.status.podIP, before.status.podIP);
    assert.equal(after.metadata.uid, before.metadata.uid);
    const node = await apiOk(c, 'GET', '/api/v1/nodes/node-1');
    assert.equal(node.status.conditions.find((x: { type: string }) => x.type === 'Ready').status, 'True');
  });
});
