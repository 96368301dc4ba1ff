// The dashboard's tiles (src/dashboard/model.ts): a server's revision phase follows what the
// node runs, not the label alone. The engine writes the revision label and the new images in one
// patch, before the node has restarted anything or reported the pod not ready, so a pod can be
// "Ready" on the new revision while still running the old images: that pod is updating.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverTiles, summarizeSet } from '../../src/dashboard/model.js';
import { REVISION_LABEL, UPDATE_STATE_ANNOTATION } from '../../src/update/in-place.js';

type Json = Record<string, any>;

const set: Json = {
  apiVersion: 'game.kruise.io/v1alpha1',
  kind: 'GameServerSet',
  metadata: { namespace: 'ns', name: 'arena', uid: 'u1' },
  spec: { replicas: 3 },
  status: { updateRevision: 'arena-new', readyReplicas: 3 },
};

function pod(name: string, revision: string, o: { ready?: boolean; running?: string; state?: Json } = {}): Json {
  return {
    metadata: {
      namespace: 'ns',
      name,
      labels: { [REVISION_LABEL]: revision, 'game.kruise.io/owner-gss': 'arena' },
      annotations: o.state ? { [UPDATE_STATE_ANNOTATION]: JSON.stringify(o.state) } : {},
    },
    spec: { containers: [{ name: 'sidecar', image: 'scripts:v2' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      containerStatuses: [{ name: 'sidecar', image: o.running ?? 'scripts:v2', imageID: `id-${o.running ?? 'scripts:v2'}`, ready: o.ready !== false, restartCount: 0, state: { running: {} } }],
    },
  };
}

const inPlaceTo = (image: string): Json => ({
  revision: 'arena-new',
  method: 'InPlace',
  updateTimestamp: '2026-12-06T10:00:00Z',
  images: { sidecar: image },
  lastContainerStatuses: { sidecar: { imageID: 'id-scripts:v1' } },
});

test('tile phases: old revision, new label still running the old image, leaving service, done', () => {
  const pods = [
    pod('arena-0', 'arena-old', { running: 'scripts:v1' }),
    pod('arena-1', 'arena-new', { running: 'scripts:v1', state: inPlaceTo('scripts:v2') }),
    pod('arena-2', 'arena-new', { ready: false, state: inPlaceTo('scripts:v2') }),
    pod('arena-10', 'arena-new', { state: inPlaceTo('scripts:v2') }),
  ];
  const tiles = serverTiles('GameServerSet', set, { pods, gameServers: new Map() });
  assert.deepEqual(
    tiles.map((t) => `${t.name}:${t.revision}`),
    ['arena-0:old', 'arena-1:updating', 'arena-2:updating', 'arena-10:new'],
    'ordinal order; arena-1 carries the new label and is Ready, but its node still runs v1',
  );
  const summary = summarizeSet('GameServerSet', set, tiles);
  assert.equal(summary.replicas, 3);
  assert.deepEqual(summary.opsStates, { None: 4 });
});

test('a pod made at the update revision (no update state) is new once Ready', () => {
  const [tile] = serverTiles('GameServerSet', set, { pods: [pod('arena-0', 'arena-new')], gameServers: new Map() });
  assert.equal(tile!.revision, 'new');
});
