import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOT_PATCH_ANNOTATION } from '../../src/util/vocabulary.js';
import {
  REVISION_LABEL,
  UPDATE_STATE_ANNOTATION,
  checkCompletion,
  graceRemainingMs,
  readUpdateState,
  startInPlacePatch,
  updatePodPatch,
} from '../../src/update/in-place.js';

const NOW = '2026-11-22T00:00:00Z';

function pod(sidecar: { image: string; imageID: string; containerID: string; running?: boolean }): any {
  return {
    metadata: { name: 'mc-0', labels: { [REVISION_LABEL]: 'mc-old' }, annotations: {} },
    status: {
      conditions: [{ type: 'InPlaceUpdateReady', status: 'False', lastTransitionTime: NOW }],
      containerStatuses: [
        { name: 'engine', image: 'engine:1', imageID: 'sha256:e1', containerID: 'sim://e', state: { running: {} } },
        { name: 'sidecar', image: sidecar.image, imageID: sidecar.imageID, containerID: sidecar.containerID, state: sidecar.running === false ? { waiting: {} } : { running: {} } },
      ],
    },
  };
}

const plan = { inPlace: true as const, images: { sidecar: 'sidecar:v2' }, labels: {}, annotations: {} };

test('the update patch carries images, revision label and the previous container state', () => {
  const p = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  const patch = updatePodPatch(p, plan, 'mc-new', 'InPlace', NOW);
  assert.deepEqual(patch.spec, { containers: [{ name: 'sidecar', image: 'sidecar:v2' }] });
  assert.equal(patch.metadata.labels[REVISION_LABEL], 'mc-new');
  const state = JSON.parse(patch.metadata.annotations[UPDATE_STATE_ANNOTATION]);
  assert.deepEqual(state.lastContainerStatuses.sidecar, { imageID: 'sha256:s1', containerID: 'sim://s' });
  assert.equal(patch.metadata.annotations[HOT_PATCH_ANNOTATION], undefined);
});

test('hot-patch sets the kubelet contract annotation in the same patch', () => {
  const p = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  const patch = updatePodPatch(p, plan, 'mc-new', 'HotPatch', NOW);
  assert.equal(patch.metadata.annotations[HOT_PATCH_ANNOTATION], 'true');
});

test('in place completes when the changed container runs the new image', () => {
  const before = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  const patch = updatePodPatch(before, plan, 'mc-new', 'InPlace', NOW);
  const after = pod({ image: 'sidecar:v2', imageID: 'sha256:s2', containerID: 'sim://s2' });
  after.metadata.annotations = patch.metadata.annotations;
  assert.deepEqual(checkCompletion(after), { done: true });
  const stillOld = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  stillOld.metadata.annotations = patch.metadata.annotations;
  assert.equal(checkCompletion(stillOld).done, false);
  const notRunning = pod({ image: 'sidecar:v2', imageID: 'sha256:s2', containerID: 'sim://s2', running: false });
  notRunning.metadata.annotations = patch.metadata.annotations;
  assert.deepEqual(checkCompletion(notRunning), { done: false, waitingFor: 'container sidecar is not running' });
});

test('hot-patch that restarted the container is reported as failed, not done', () => {
  const before = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  const patch = updatePodPatch(before, plan, 'mc-new', 'HotPatch', NOW);
  const restarted = pod({ image: 'sidecar:v2', imageID: 'sha256:s2', containerID: 'sim://other' });
  restarted.metadata.annotations = patch.metadata.annotations;
  const result = checkCompletion(restarted);
  assert.equal(result.done, false);
  assert.match((result as { failed: string }).failed, /restarted/);
  const kept = pod({ image: 'sidecar:v2', imageID: 'sha256:s2', containerID: 'sim://s' });
  kept.metadata.annotations = patch.metadata.annotations;
  assert.deepEqual(checkCompletion(kept), { done: true });
});

test('grace period counts from when the pod left service', () => {
  const p = pod({ image: 'sidecar:v1', imageID: 'sha256:s1', containerID: 'sim://s' });
  assert.equal(graceRemainingMs(p, 0, Date.parse(NOW)), 0);
  // NOW has whole seconds: the grace counts from the end of that second.
  assert.equal(graceRemainingMs(p, 5, Date.parse(NOW) + 2000), 4000);
  assert.equal(graceRemainingMs(p, 5, Date.parse(NOW) + 6000), 0);
  p.status.conditions[0].lastTransitionTime = '2026-11-22T00:00:00.250Z';
  assert.equal(graceRemainingMs(p, 5, Date.parse(NOW) + 2000), 3250);
});

test('start patch and state parsing', () => {
  assert.deepEqual(startInPlacePatch(NOW).status.conditions[0], { type: 'InPlaceUpdateReady', status: 'False', reason: 'StartInPlaceUpdate', lastTransitionTime: NOW });
  assert.equal(readUpdateState({ metadata: { annotations: { [UPDATE_STATE_ANNOTATION]: 'not json' } } }), undefined);
});
