// Container-by-container in-place update (BCS's inPlaceUpdateStrategy.policy) through the
// engine's nextPodUpdateStep: which container each patch changes, what the next one waits on,
// what the pod's state records (hotpod's and the upstream markers), and that a controller
// reading only the pod (a restart) continues where the last patch stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextPodUpdateStep, type PodUpdateStep, type PodUpdateTarget } from '../../src/update/pod-update-step.js';
import { REVISION_LABEL, UPDATE_STATE_ANNOTATION, checkCompletion, type ContainerOrder } from '../../src/update/in-place.js';
import {
  BCS_HOTPATCH_UPDATE_STATE_ANNOTATION,
  BCS_INPLACE_UPDATE_STATE_ANNOTATION,
  KRUISE_INPLACE_UPDATE_STATE_ANNOTATION,
} from '../../src/update/upstream-markers.js';

const NOW = Date.parse('2026-12-03T09:00:10Z');
const NAMES = ['c1', 'c2', 'c3'] as const;
const v = (name: string, tag: string) => `game/${name}:${tag}`;
const tpl = (tag: string) => ({ spec: { containers: NAMES.map((n) => ({ name: n, image: v(n, tag) })) } });

/** A running pod of revision gd-a whose containers run v1, in service or (False) leaving it. */
function pod(inPlaceReady: 'True' | 'False' = 'False'): any {
  return {
    metadata: { name: 'gd-x', labels: { [REVISION_LABEL]: 'gd-a' }, annotations: {} },
    spec: { containers: NAMES.map((n) => ({ name: n, image: v(n, 'v1') })), readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] },
    status: {
      conditions: [{ type: 'InPlaceUpdateReady', status: inPlaceReady, lastTransitionTime: '2026-12-03T09:00:00Z' }],
      containerStatuses: NAMES.map((n) => status(n, 'v1', true)),
    },
  };
}

function status(name: string, tag: string, ready: boolean): any {
  return { name, image: v(name, tag), imageID: `id-${name}-${tag}`, containerID: `sim://${name}-${tag}`, ready, state: { running: {} } };
}

function target(order: ContainerOrder | undefined, markers: PodUpdateTarget['markers'] = 'bcs', policy: PodUpdateTarget['policy'] = 'InPlaceOnly'): PodUpdateTarget {
  const to = tpl('v2');
  return { revision: 'gd-b', from: tpl('v1'), to, images: Object.fromEntries(NAMES.map((n) => [n, v(n, 'v2')])), policy, containerOrder: order, markers };
}

/** The API server's strategic merge of the step's patch (labels, annotations, images by name). */
function apply(p: any, step: PodUpdateStep): any {
  assert.equal(step.action, 'patch', `expected a patch, got ${JSON.stringify(step)}`);
  const patch = (step as Extract<PodUpdateStep, { action: 'patch' }>).patch;
  const next = structuredClone(p);
  Object.assign(next.metadata.labels, patch.metadata?.labels ?? {});
  for (const [k, val] of Object.entries(patch.metadata?.annotations ?? {})) {
    if (val === null) delete next.metadata.annotations[k];
    else next.metadata.annotations[k] = val;
  }
  for (const c of patch.spec?.containers ?? []) next.spec.containers.find((x: any) => x.name === c.name).image = c.image;
  return next;
}

/** The node restarted the container with its new image; ready or not yet. */
function restarted(p: any, name: string, ready: boolean): any {
  const next = structuredClone(p);
  const i = next.status.containerStatuses.findIndex((s: any) => s.name === name);
  next.status.containerStatuses[i] = status(name, 'v2', ready);
  return next;
}

const patchedImages = (step: PodUpdateStep) => (step.action === 'patch' ? (step.patch.spec?.containers ?? []).map((c: any) => c.name) : []);
const state = (p: any) => JSON.parse(p.metadata.annotations[UPDATE_STATE_ANNOTATION]);

test('DisOrdered (and no policy): every changed container in the one image patch', () => {
  for (const order of [undefined, 'DisOrdered'] as const) {
    const s = nextPodUpdateStep(pod(), target(order), NOW);
    assert.deepEqual(patchedImages(s), ['c1', 'c2', 'c3']);
    const p = apply(pod(), s);
    assert.equal(state(p).nextContainerImages, undefined);
  }
});

test('OrderedReady: one container per patch in template order, each once the previous runs its new image and is ready', () => {
  const t = target('OrderedReady');
  let p = pod();
  const first = nextPodUpdateStep(p, t, NOW);
  assert.deepEqual(patchedImages(first), ['c1']);
  assert.equal((first as any).nextContainer, undefined, 'the first patch is the update itself (counted, announced)');
  assert.equal((first as any).patch.metadata.labels[REVISION_LABEL], 'gd-b');
  p = apply(p, first);
  assert.deepEqual(state(p).nextContainerImages, { c2: v('c2', 'v2'), c3: v('c3', 'v2') });
  assert.deepEqual(checkCompletion(p), { done: false, waitingFor: 'container c1 still runs game/c1:v1' });

  assert.deepEqual(nextPodUpdateStep(p, t, NOW), { action: 'waitNode', waitingFor: 'container c1 still runs game/c1:v1' });
  p = restarted(p, 'c1', false);
  assert.deepEqual(nextPodUpdateStep(p, t, NOW), { action: 'waitNode', waitingFor: 'container c1 is not ready (OrderedReady)' });
  assert.equal(checkCompletion(p).done, false, 'not complete while containers wait for their turn');
  p = restarted(p, 'c1', true);
  const second = nextPodUpdateStep(p, t, NOW);
  assert.deepEqual(patchedImages(second), ['c2']);
  assert.equal((second as any).nextContainer, true);
  assert.equal((second as any).patch.metadata.labels, undefined, 'later patches change only the image and the state');
  p = apply(p, second);

  p = restarted(p, 'c2', false);
  assert.equal(nextPodUpdateStep(p, t, NOW).action, 'waitNode');
  p = restarted(p, 'c2', true);
  const third = nextPodUpdateStep(p, t, NOW);
  assert.deepEqual(patchedImages(third), ['c3']);
  p = apply(p, third);
  assert.equal(state(p).nextContainerImages, undefined);
  assert.deepEqual(state(p).containerBatchesRecord.map((b: any) => b.containers), [['c1'], ['c2'], ['c3']]);

  // The last container: InPlaceUpdateReady stays False until it runs its new image.
  assert.equal(nextPodUpdateStep(p, t, NOW).action, 'waitNode');
  p = restarted(p, 'c3', false);
  assert.equal(nextPodUpdateStep(p, t, NOW).action, 'returnToService');
});

test('OrderedUpdated: the next container goes once the previous runs its new image, ready or not', () => {
  const t = target('OrderedUpdated');
  let p = apply(pod(), nextPodUpdateStep(pod(), t, NOW));
  assert.equal(nextPodUpdateStep(p, t, NOW).action, 'waitNode');
  p = restarted(p, 'c1', false);
  const second = nextPodUpdateStep(p, t, NOW);
  assert.deepEqual(patchedImages(second), ['c2']);
  p = restarted(apply(p, second), 'c2', false);
  const third = nextPodUpdateStep(p, t, NOW);
  assert.deepEqual(patchedImages(third), ['c3']);
});

test('a pod not picked any more (its own revision as target) still finishes the containers under way', () => {
  let p = restarted(apply(pod(), nextPodUpdateStep(pod(), target('OrderedReady'), NOW)), 'c1', true);
  // What a restarted controller with the pod's own revision and spec images as target does.
  const stay: PodUpdateTarget = { revision: 'gd-b', to: {}, images: Object.fromEntries(p.spec.containers.map((c: any) => [c.name, c.image])), policy: 'InPlaceOnly', markers: 'bcs' };
  const s = nextPodUpdateStep(p, stay, NOW);
  assert.deepEqual(patchedImages(s), ['c2']);
  p = apply(p, s);
  assert.deepEqual(Object.keys(state(p).images), ['c1', 'c2']);
});

test('hot-patch ignores the order: every image in one patch (nothing restarts)', () => {
  const s = nextPodUpdateStep(pod('True'), target('OrderedReady', 'bcs', 'HotPatch'), NOW);
  assert.deepEqual(patchedImages(s), ['c1', 'c2', 'c3']);
  const p = apply(pod('True'), s);
  const bcs = JSON.parse(p.metadata.annotations[BCS_HOTPATCH_UPDATE_STATE_ANNOTATION]);
  assert.deepEqual(bcs, { revision: 'gd-b', updateTimestamp: '2026-12-03T09:00:10Z', lastContainerStatuses: { c1: { imageID: 'id-c1-v1' }, c2: { imageID: 'id-c2-v1' }, c3: { imageID: 'id-c3-v1' } } });
  assert.equal(p.metadata.annotations[BCS_INPLACE_UPDATE_STATE_ANNOTATION], undefined);
});

test("markers: BCS's inplace-update-state grows with each container; Kruise's records the batches and the pre-check", () => {
  let p = apply(pod(), nextPodUpdateStep(pod(), target('OrderedReady', 'bcs'), NOW));
  assert.deepEqual(JSON.parse(p.metadata.annotations[BCS_INPLACE_UPDATE_STATE_ANNOTATION]), {
    revision: 'gd-b',
    updateTimestamp: '2026-12-03T09:00:10Z',
    lastContainerStatuses: { c1: { imageID: 'id-c1-v1' } },
  });
  p = apply(restarted(p, 'c1', true), nextPodUpdateStep(restarted(p, 'c1', true), target('OrderedReady', 'bcs'), NOW + 5000));
  assert.deepEqual(Object.keys(JSON.parse(p.metadata.annotations[BCS_INPLACE_UPDATE_STATE_ANNOTATION]).lastContainerStatuses), ['c1', 'c2']);
  assert.equal(p.metadata.annotations[KRUISE_INPLACE_UPDATE_STATE_ANNOTATION], undefined);

  let k = apply(pod(), nextPodUpdateStep(pod(), target('OrderedReady', 'kruise'), NOW));
  assert.deepEqual(JSON.parse(k.metadata.annotations[KRUISE_INPLACE_UPDATE_STATE_ANNOTATION]), {
    revision: 'gd-b',
    updateTimestamp: '2026-12-03T09:00:10Z',
    lastContainerStatuses: { c1: { imageID: 'id-c1-v1' } },
    updateImages: true,
    nextContainerImages: { c2: v('c2', 'v2'), c3: v('c3', 'v2') },
    preCheckBeforeNext: { containersRequiredReady: ['c1'] },
    containerBatchesRecord: [{ timestamp: '2026-12-03T09:00:10Z', containers: ['c1'] }],
  });
  k = restarted(k, 'c1', true);
  k = apply(k, nextPodUpdateStep(k, target('OrderedReady', 'kruise'), NOW + 5000));
  const ks = JSON.parse(k.metadata.annotations[KRUISE_INPLACE_UPDATE_STATE_ANNOTATION]);
  assert.deepEqual(ks.preCheckBeforeNext, { containersRequiredReady: ['c2'] });
  assert.deepEqual(ks.containerBatchesRecord.map((b: any) => [b.timestamp, b.containers]), [
    ['2026-12-03T09:00:10Z', ['c1']],
    ['2026-12-03T09:00:15Z', ['c2']],
  ]);
  assert.equal(ks.updateTimestamp, '2026-12-03T09:00:10Z', 'the start of the update, as Kruise keeps it');
});

test('a newer revision mid-sequence replaces the containers still waiting', () => {
  const p = restarted(apply(pod(), nextPodUpdateStep(pod(), target('OrderedReady'), NOW)), 'c1', true);
  const v3: PodUpdateTarget = {
    revision: 'gd-c',
    from: { spec: { containers: NAMES.map((n) => ({ name: n, image: v(n, 'v2') })) } },
    to: tpl('v3'),
    images: Object.fromEntries(NAMES.map((n) => [n, v(n, 'v3')])),
    policy: 'InPlaceOnly',
    containerOrder: 'OrderedReady',
    markers: 'bcs',
  };
  const s = nextPodUpdateStep(p, v3, NOW);
  assert.deepEqual(patchedImages(s), ['c1']);
  assert.equal((s as any).nextContainer, undefined, 'a new update, not the next container of the old one');
  const q = apply(p, s);
  assert.equal(state(q).revision, 'gd-c');
  assert.deepEqual(state(q).nextContainerImages, { c2: v('c2', 'v3'), c3: v('c3', 'v3') });
});
