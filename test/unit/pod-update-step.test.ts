// nextPodUpdateStep: the per-pod walk of ReCreate, InPlace and HotPatch, one pod state at a time,
// including the states a controller restart can leave a pod in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextPodUpdateStep, needsReadinessCondition, imagesToChange, type PodUpdateTarget } from '../../src/update/pod-update-step.js';
import { REVISION_LABEL, UPDATE_STATE_ANNOTATION } from '../../src/update/in-place.js';
import { HOT_PATCH_ANNOTATION } from '../../src/util/vocabulary.js';

const NOW = Date.parse('2026-11-22T00:00:10Z');
const ENGINE = 'registry.example/engine:1';
const SIDECAR1 = 'registry.example/sidecar:v1';
const SIDECAR2 = 'registry.example/sidecar:v2';

const tpl = (sidecar: string, env?: { name: string; value: string }[]) => ({
  spec: { containers: [{ name: 'engine', image: ENGINE }, { name: 'sidecar', image: sidecar, ...(env ? { env } : {}) }] },
});

interface PodOpts {
  revision?: string;
  sidecarSpec?: string;
  sidecarRunning?: string;
  condition?: { status: 'True' | 'False'; at?: string };
  annotations?: Record<string, string>;
  containerID?: string;
}

function pod(o: PodOpts = {}): any {
  const sidecarSpec = o.sidecarSpec ?? SIDECAR1;
  const running = o.sidecarRunning ?? sidecarSpec;
  return {
    metadata: { name: 'mc-0', labels: { [REVISION_LABEL]: o.revision ?? 'mc-a' }, annotations: o.annotations ?? {} },
    spec: { containers: [{ name: 'engine', image: ENGINE }, { name: 'sidecar', image: sidecarSpec }], readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-22T00:00:00Z' },
        ...(o.condition ? [{ type: 'InPlaceUpdateReady', status: o.condition.status, lastTransitionTime: o.condition.at ?? '2026-11-22T00:00:00Z' }] : []),
      ],
      containerStatuses: [
        { name: 'engine', image: ENGINE, imageID: 'id-engine', containerID: 'sim://engine', state: { running: {} } },
        { name: 'sidecar', image: running, imageID: `id-${running}`, containerID: o.containerID ?? 'sim://sidecar', state: { running: {} } },
      ],
    },
  };
}

function target(over: Partial<PodUpdateTarget> = {}): PodUpdateTarget {
  return { revision: 'mc-b', from: tpl(SIDECAR1), to: tpl(SIDECAR2), images: { engine: ENGINE, sidecar: SIDECAR2 }, policy: 'InPlaceIfPossible', ...over };
}

/** Applies a step's patch the way the API server and then the node would, for walking the sequence. */
function applyPatch(p: any, patch: any): any {
  const next = structuredClone(p);
  Object.assign(next.metadata.labels, patch.metadata?.labels ?? {});
  for (const [k, v] of Object.entries(patch.metadata?.annotations ?? {})) {
    if (v === null) delete next.metadata.annotations[k];
    else next.metadata.annotations[k] = v;
  }
  for (const c of patch.spec?.containers ?? []) next.spec.containers.find((x: any) => x.name === c.name).image = c.image;
  return next;
}

test('in place: leave service, patch, wait for the node, return to service, then nothing', () => {
  let p = pod({ condition: { status: 'True' } });
  const t = target();
  const s1 = nextPodUpdateStep(p, t, NOW);
  assert.equal(s1.action, 'leaveService');
  assert.equal((s1 as any).statusPatch.status.conditions[0].status, 'False');
  assert.equal((s1 as any).statusPatch.status.conditions[0].reason, 'StartInPlaceUpdate');

  p = pod({ condition: { status: 'False' } });
  const s2 = nextPodUpdateStep(p, t, NOW);
  assert.equal(s2.action, 'patch');
  assert.deepEqual((s2 as any).images, { sidecar: SIDECAR2 });
  assert.deepEqual((s2 as any).patch.spec, { containers: [{ name: 'sidecar', image: SIDECAR2 }] });
  assert.equal((s2 as any).patch.metadata.labels[REVISION_LABEL], 'mc-b');

  p = applyPatch(p, (s2 as any).patch);
  const s3 = nextPodUpdateStep(p, t, NOW);
  assert.equal(s3.action, 'waitNode');

  p.status.containerStatuses[1] = { name: 'sidecar', image: SIDECAR2, imageID: 'id-v2', containerID: 'sim://sidecar-2', state: { running: {} } };
  const s4 = nextPodUpdateStep(p, t, NOW);
  assert.equal(s4.action, 'returnToService');
  assert.equal((s4 as any).statusPatch.status.conditions[0].status, 'True');

  p.status.conditions[1].status = 'True';
  assert.deepEqual(nextPodUpdateStep(p, t, NOW), { action: 'none' });
});

test('grace period: the images wait until gracePeriodSeconds after leaving service', () => {
  const p = pod({ condition: { status: 'False', at: '2026-11-22T00:00:08Z' } });
  const step = nextPodUpdateStep(p, target({ gracePeriodSeconds: 5 }), NOW);
  // Whole-second condition time: counted from the end of that second, never short.
  assert.deepEqual(step, { action: 'waitGrace', ms: 4000 });
  assert.equal(nextPodUpdateStep(p, target({ gracePeriodSeconds: 5 }), NOW + 3000).action, 'waitGrace');
  assert.equal(nextPodUpdateStep(p, target({ gracePeriodSeconds: 5 }), NOW + 4000).action, 'patch');
});

test('ReCreate recreates; InPlaceIfPossible recreates and InPlaceOnly refuses a non-image change, with the reason', () => {
  const p = pod({ condition: { status: 'True' } });
  assert.equal(nextPodUpdateStep(p, target({ policy: 'ReCreate' }), NOW).action, 'recreate');
  const envChange = { to: tpl(SIDECAR1, [{ name: 'MODE', value: 'x' }]), images: { engine: ENGINE, sidecar: SIDECAR1 } };
  const recreate = nextPodUpdateStep(p, target({ ...envChange, policy: 'InPlaceIfPossible' }), NOW);
  assert.equal(recreate.action, 'recreate');
  const refuse = nextPodUpdateStep(p, target({ ...envChange, policy: 'InPlaceOnly' }), NOW);
  assert.deepEqual(refuse, { action: 'refuse', reason: 'fields other than container images changed: spec.containers[1].env' });
});

test('an unknown old revision cannot be diffed: recreate or refuse', () => {
  const p = pod({ condition: { status: 'True' } });
  assert.equal(nextPodUpdateStep(p, target({ from: undefined }), NOW).action, 'recreate');
  const refused = nextPodUpdateStep(p, target({ from: undefined, policy: 'InPlaceOnly' }), NOW);
  assert.equal(refused.action, 'refuse');
  assert.match((refused as any).reason, /revision mc-a is unknown/);
});

test('metadata-only changes are one patch and never take the pod out of service', () => {
  const p = pod({ condition: { status: 'True' } });
  const to = { metadata: { labels: { tier: 'gold' } }, spec: tpl(SIDECAR1).spec };
  const step = nextPodUpdateStep(p, target({ to, images: { engine: ENGINE, sidecar: SIDECAR1 } }), NOW);
  assert.equal(step.action, 'patch');
  assert.equal((step as any).patch.metadata.labels.tier, 'gold');
  assert.equal((step as any).patch.spec, undefined);
});

test('hot-patch is one patch with the kubelet annotation, then a confirmation; a restarted container is a failure until confirmed', () => {
  const p = pod({ condition: { status: 'True' } });
  const t = target({ policy: 'HotPatch' });
  const step = nextPodUpdateStep(p, t, NOW);
  assert.equal(step.action, 'patch');
  assert.equal((step as any).method, 'HotPatch');
  assert.equal((step as any).patch.metadata.annotations[HOT_PATCH_ANNOTATION], 'true');
  const patched = applyPatch(p, (step as any).patch);
  patched.status.containerStatuses[1] = { name: 'sidecar', image: SIDECAR2, imageID: 'id-v2', containerID: 'sim://other', state: { running: {} } };
  assert.equal(nextPodUpdateStep(patched, t, NOW).action, 'failed');
  patched.status.containerStatuses[1].containerID = 'sim://sidecar';
  const confirm = nextPodUpdateStep(patched, t, NOW);
  assert.equal(confirm.action, 'confirm');
  const confirmed = applyPatch(patched, (confirm as any).patch);
  assert.equal(JSON.parse(confirmed.metadata.annotations[UPDATE_STATE_ANNOTATION]).confirmed, true);
  assert.deepEqual(nextPodUpdateStep(confirmed, t, NOW), { action: 'none' });
  // A crash, a node reboot, a liveness restart after the confirmation: not the hot-patch's doing.
  confirmed.status.containerStatuses[1] = { ...confirmed.status.containerStatuses[1], containerID: 'sim://later', restartCount: 1 };
  assert.deepEqual(nextPodUpdateStep(confirmed, t, NOW), { action: 'none' });
});

test('a pod that left service for an update it is no longer picked for returns to service', () => {
  // Target = its own revision (the "stay" target a workload gives pods not due for the update).
  const p = pod({ condition: { status: 'False' } });
  const stay: PodUpdateTarget = { revision: 'mc-a', from: tpl(SIDECAR1), to: tpl(SIDECAR1), images: { engine: ENGINE, sidecar: SIDECAR1 }, policy: 'InPlaceIfPossible' };
  assert.equal(nextPodUpdateStep(p, stay, NOW).action, 'returnToService');
});

test('a per-pod image override on the pod\'s own revision goes in place whatever the policy', () => {
  const p = pod({ condition: { status: 'True' } });
  const stay: PodUpdateTarget = { revision: 'mc-a', from: tpl(SIDECAR1), to: tpl(SIDECAR1), images: { engine: ENGINE, sidecar: 'registry.example/sidecar:hotfix' }, policy: 'ReCreate' };
  assert.equal(nextPodUpdateStep(p, stay, NOW).action, 'leaveService');
  const out = nextPodUpdateStep(pod({ condition: { status: 'False' } }), stay, NOW);
  assert.equal(out.action, 'patch');
  assert.deepEqual((out as any).images, { sidecar: 'registry.example/sidecar:hotfix' });
  assert.equal((out as any).patch.metadata.labels[REVISION_LABEL], 'mc-a');
});

test('resuming after a restart between patch and confirmation waits rather than patching again', () => {
  const state = JSON.stringify({ revision: 'mc-b', method: 'InPlace', updateTimestamp: 'x', images: { sidecar: SIDECAR2 }, lastContainerStatuses: { sidecar: { imageID: `id-${SIDECAR1}` } } });
  const p = pod({ revision: 'mc-b', sidecarSpec: SIDECAR2, sidecarRunning: SIDECAR1, condition: { status: 'False' }, annotations: { [UPDATE_STATE_ANNOTATION]: state } });
  assert.deepEqual(nextPodUpdateStep(p, target(), NOW), { action: 'waitNode', waitingFor: `container sidecar still runs ${SIDECAR1}` });
});

test('a new pod with the readiness gate and no condition needs one; a terminating one does not', () => {
  const p = pod();
  assert.equal(needsReadinessCondition(p), true);
  assert.equal(needsReadinessCondition(pod({ condition: { status: 'True' } })), false);
  p.metadata.deletionTimestamp = '2026-11-22T00:00:00Z';
  assert.equal(needsReadinessCondition(p), false);
});

test('imagesToChange ignores containers the target does not name', () => {
  assert.deepEqual(imagesToChange(pod(), { sidecar: SIDECAR2, other: 'x' }), { sidecar: SIDECAR2 });
});

test('inPlaceUpdate hook: a hooked pod is marked PreparingUpdate in service, waits, then updates and is marked Updated', () => {
  const hook = { labelsHandler: { 'gs-sync/update-block': 'true' } };
  const t = target({ preUpdate: hook });
  let p = pod({ condition: { status: 'True' } });
  p.metadata.labels['gs-sync/update-block'] = 'true';
  const s1 = nextPodUpdateStep(p, t, NOW) as any;
  assert.equal(s1.action, 'prepareUpdate');
  assert.deepEqual(s1.patch, { metadata: { labels: { 'lifecycle.apps.kruise.io/state': 'PreparingUpdate' }, annotations: { 'game.kruise.io/gs-updating-containers': '["sidecar"]' } } });
  p = applyPatch(p, s1.patch);
  assert.deepEqual(nextPodUpdateStep(p, t, NOW), { action: 'waitHook', holding: ['label gs-sync/update-block=true'] });
  // Released: the update starts as without a hook, and its image patch ends PreparingUpdate.
  p.metadata.labels['gs-sync/update-block'] = 'false';
  assert.equal(nextPodUpdateStep(p, t, NOW).action, 'leaveService');
  p.status.conditions.push({ type: 'InPlaceUpdateReady', status: 'False', lastTransitionTime: '2026-11-22T00:00:00Z' });
  p.status.conditions = p.status.conditions.filter((c: any, i: number, all: any[]) => c.type !== 'InPlaceUpdateReady' || i === all.length - 1);
  const s3 = nextPodUpdateStep(p, t, NOW) as any;
  assert.equal(s3.action, 'patch');
  assert.equal(s3.patch.metadata.labels['lifecycle.apps.kruise.io/state'], 'Updated');
  assert.equal(s3.patch.metadata.annotations['game.kruise.io/gs-updating-containers'], null);
  // Without the hook's label nothing is held, and a hot-patch (no restart) is never held.
  assert.equal(nextPodUpdateStep(pod({ condition: { status: 'True' } }), t, NOW).action, 'leaveService');
  const hooked = pod({ condition: { status: 'True' } });
  hooked.metadata.labels['gs-sync/update-block'] = 'true';
  assert.equal(nextPodUpdateStep(hooked, target({ preUpdate: hook, policy: 'HotPatch' }), NOW).action, 'patch');
});

test('inPlaceUpdate hook: an update called off (the pod is no longer due) takes a PreparingUpdate pod back to Normal, then back to service', () => {
  const stay = target({ revision: 'mc-a', from: tpl(SIDECAR1), to: tpl(SIDECAR1), images: { engine: ENGINE, sidecar: SIDECAR1 } });
  const marked = pod({ condition: { status: 'False' }, annotations: { 'game.kruise.io/gs-updating-containers': '["sidecar"]' } });
  marked.metadata.labels['lifecycle.apps.kruise.io/state'] = 'PreparingUpdate';
  const s1 = nextPodUpdateStep(marked, stay, NOW) as any;
  assert.deepEqual(s1, { action: 'callOffUpdate', patch: { metadata: { labels: { 'lifecycle.apps.kruise.io/state': 'Normal' }, annotations: { 'game.kruise.io/gs-updating-containers': null } } } });
  const normal = applyPatch(marked, s1.patch);
  assert.equal(nextPodUpdateStep(normal, stay, NOW).action, 'returnToService', 'markPodNotReady undone next');
});

test('inPlaceUpdate hook with markPodNotReady: the held pod leaves service as it is marked, and waits out of service', () => {
  const hook = { labelsHandler: { 'gs-sync/update-block': 'true' }, markPodNotReady: true };
  const t = target({ preUpdate: hook });
  const p = pod({ condition: { status: 'True' } });
  p.metadata.labels['gs-sync/update-block'] = 'true';
  const s1 = nextPodUpdateStep(p, t, NOW) as any;
  assert.equal(s1.action, 'prepareUpdate');
  assert.equal(s1.statusPatch.status.conditions[0].status, 'False');
  const marked = applyPatch(pod({ condition: { status: 'False' } }), s1.patch);
  marked.metadata.labels['gs-sync/update-block'] = 'true';
  assert.equal(nextPodUpdateStep(marked, t, NOW).action, 'waitHook', 'out of service, still held');
  marked.metadata.labels['gs-sync/update-block'] = 'false';
  assert.equal(nextPodUpdateStep(marked, t, NOW).action, 'patch', 'released: straight to the image patch');
});

test('holdDisruption (an Allocated server under allocated-update Wait): no restart and no recreate, but a change that restarts nothing goes ahead', () => {
  const hold = 'opsState Allocated (hotpod.dev/allocated-update: Wait)';
  const inService = pod({ condition: { status: 'True' } });
  assert.deepEqual(nextPodUpdateStep(inService, target({ holdDisruption: hold }), NOW), { action: 'holdUpdate', reason: hold });
  assert.deepEqual(nextPodUpdateStep(inService, target({ holdDisruption: hold, policy: 'ReCreate' }), NOW), { action: 'holdUpdate', reason: hold });
  assert.equal(nextPodUpdateStep(inService, target({ holdDisruption: hold, policy: 'HotPatch' }), NOW).action, 'patch', 'a hot-patch restarts nothing');
  const metadataOnly = target({ holdDisruption: hold, images: { engine: ENGINE, sidecar: SIDECAR1 }, to: { ...tpl(SIDECAR1), metadata: { labels: { tier: 'gold' } } } });
  assert.equal(nextPodUpdateStep(inService, metadataOnly, NOW).action, 'patch', 'template metadata only');
  // An update already under way (the pod left service before it was Allocated) finishes.
  assert.equal(nextPodUpdateStep(pod({ condition: { status: 'False' } }), target({ holdDisruption: hold }), NOW).action, 'patch');
});
