import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInPlaceUpdate } from '../../src/update/in-place-diff.js';

const base = {
  metadata: { labels: { app: 'mc' } },
  spec: {
    containers: [
      { name: 'minecraft', image: 'minecraft-demo:1.12.2' },
      { name: 'sidecar', image: 'sidecar:v0.1' },
    ],
  },
};

test('an image-only change is in place and names the changed container', () => {
  const next = structuredClone(base);
  next.spec.containers[1].image = 'sidecar:v0.2';
  assert.deepEqual(planInPlaceUpdate(base, next), { inPlace: true, images: { sidecar: 'sidecar:v0.2' }, labels: {}, annotations: {} });
});

test('an env change is not in place and says which field', () => {
  const next: any = structuredClone(base);
  next.spec.containers[0].env = [{ name: 'MODE', value: 'hard' }];
  const plan = planInPlaceUpdate(base, next);
  assert.equal(plan.inPlace, false);
  assert.match((plan as { reason: string }).reason, /spec\.containers\[0\]\.env/);
});

test('spelling out a server default is not a change', () => {
  const next: any = structuredClone(base);
  next.spec.restartPolicy = 'Always';
  next.spec.containers[0].imagePullPolicy = 'IfNotPresent';
  next.spec.containers[1].image = 'sidecar:v0.2';
  const plan = planInPlaceUpdate(base, next);
  assert.equal(plan.inPlace, true);
});

test('label and annotation changes are in place, removals as null', () => {
  const next: any = structuredClone(base);
  next.metadata = { labels: { tier: 'game' }, annotations: { a: 'b' } };
  assert.deepEqual(planInPlaceUpdate(base, next), { inPlace: true, images: {}, labels: { tier: 'game', app: null }, annotations: { a: 'b' } });
});

test('adding a container is not in place', () => {
  const next: any = structuredClone(base);
  next.spec.containers.push({ name: 'extra', image: 'x:1' });
  assert.equal(planInPlaceUpdate(base, next).inPlace, false);
});
