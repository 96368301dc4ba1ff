// Kruise's in-place marker on a GameServerSet's pods: apps.kruise.io/inplace-update-state in the
// JSON shape of Kruise's InPlaceUpdateState (apis/apps/pub/inplace_update.go), written in the
// same pod write as the new image (OpenKruiseGame runs on Kruise's Advanced StatefulSet, whose
// in-place update writes it there), so Kruise's tools read hotpod's pods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Cluster } from '../helpers/cluster.js';
import { SIDECAR_V2, applyGss, container, getGss, gss, kubectl, namespace, recordPods, setSidecarImage, specImage, startGssCluster, waitSettled, type Json } from './helpers.js';

const KRUISE_STATE = 'apps.kruise.io/inplace-update-state';
/** The fields of Kruise's InPlaceUpdateState. */
const KRUISE_FIELDS = new Set([
  'revision',
  'updateTimestamp',
  'lastContainerStatuses',
  'updateEnvFromMetadata',
  'updateResources',
  'updateImages',
  'nextContainerImages',
  'nextContainerRefMetadata',
  'nextContainerResources',
  'preCheckBeforeNext',
  'containerBatchesRecord',
]);

function parseKruiseState(raw: string | undefined): Json {
  assert.ok(raw, `${KRUISE_STATE} is on the pod`);
  const s = JSON.parse(raw);
  for (const k of Object.keys(s)) assert.ok(KRUISE_FIELDS.has(k), `${k} is a field of Kruise's InPlaceUpdateState`);
  assert.match(s.updateTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'metav1.Time');
  return s;
}

describe("GameServerSet pods carry Kruise's in-place marker", { timeout: 300_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('apps.kruise.io/inplace-update-state arrives with the new image and reads as Kruise writes it', async () => {
    const ns = await namespace(c, 'gss-inplace-markers');
    await applyGss(c, gss('mk', ns, { replicas: 1 }));
    const before0 = (await waitSettled(c, ns, 'mk', ['mk-0'])).get('mk-0')!;
    assert.equal(before0.metadata.annotations?.[KRUISE_STATE], undefined, 'a new pod has no in-place state');
    const history = await recordPods(c, ns, 1);
    await setSidecarImage(c, ns, 'mk', SIDECAR_V2);
    const after0 = (await waitSettled(c, ns, 'mk', ['mk-0'], 'updated')).get('mk-0')!;
    history.close();
    assert.equal(container(after0, 'sidecar')?.image, SIDECAR_V2);

    // The first version with the new image already carries the marker: the same write.
    const patched = history.watch.events.map((e) => e.object as Json).find((p) => specImage(p, 'sidecar') === SIDECAR_V2);
    assert.ok(patched, 'the watch saw the image write');
    parseKruiseState(patched.metadata.annotations?.[KRUISE_STATE]);

    const pod = JSON.parse(await kubectl(c, ns, ['get', 'pod', 'mk-0', '-o', 'json']));
    const s = parseKruiseState(pod.metadata.annotations?.[KRUISE_STATE]);
    const set = await getGss(c, ns, 'mk');
    assert.equal(s.revision, pod.metadata.labels['controller-revision-hash']);
    assert.equal(s.revision, set.status.updateRevision);
    assert.deepEqual(s.lastContainerStatuses, { sidecar: { imageID: container(before0, 'sidecar')!.imageID } });
    assert.equal(s.updateImages, true);
    assert.equal(s.nextContainerImages, undefined, 'nothing left for a next batch');
    assert.deepEqual(s.containerBatchesRecord, [{ timestamp: s.updateTimestamp, containers: ['sidecar'] }]);
    assert.equal(pod.metadata.annotations?.['inplace-update-state'], undefined, "BCS's marker is for GameDeployment pods");
  });
});
