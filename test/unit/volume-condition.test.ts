// PersistentVolumeNormal as OpenKruiseGame computes it: from the pod's claims and their volumes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { persistentVolumeCondition, withPersistentVolumeCondition, type GameServerCondition } from '../../src/controller/gameserverset/volume-condition.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function pod(...claims: string[]): Json {
  return {
    metadata: { name: 'arena-0', namespace: 'games' },
    spec: { volumes: [{ name: 'scratch', emptyDir: {} }, ...claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } }))] },
  };
}

function lookups(claims: Record<string, string | undefined>, volumes: Record<string, Json>) {
  return {
    claim: (name: string) => (name in claims ? { metadata: { name }, spec: { volumeName: claims[name] } } : undefined),
    volume: (name: string) => volumes[name],
  };
}

describe('PersistentVolumeNormal', () => {
  it('is True for a pod without claims, and for bound claims whose volumes report no reason', () => {
    assert.deepEqual(persistentVolumeCondition(pod(), lookups({}, {})), { type: 'PersistentVolumeNormal', status: 'True' });
    assert.deepEqual(persistentVolumeCondition(pod('data'), lookups({ data: 'pv-1' }, { 'pv-1': { status: { phase: 'Bound' } } })), { type: 'PersistentVolumeNormal', status: 'True' });
  });

  it('is False when a claim is missing, names no volume, or its volume is missing, each problem once', () => {
    const c = persistentVolumeCondition(pod('gone', 'pending', 'lost', 'gone2'), lookups({ pending: undefined, lost: 'pv-x' }, {}));
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'PersistentVolumeClaim Not Found; PersistentVolume Not Found');
    assert.equal(
      c.message,
      'There is no pvc named games/gone in cluster; There is no pv which pvc games/pending is bound with; There is no pv which pvc games/lost is bound with; There is no pvc named games/gone2 in cluster',
    );
  });

  it("carries the volumes' own status reasons and messages after the missing ones", () => {
    const vols = { a: { status: { phase: 'Failed', reason: 'Failed', message: 'disk gone' } }, b: { status: { phase: 'Failed', reason: 'Failed', message: 'disk gone' } } };
    assert.deepEqual(persistentVolumeCondition(pod('x', 'y'), lookups({ x: 'a', y: 'b' }, vols)), { type: 'PersistentVolumeNormal', status: 'False', reason: 'Failed', message: 'disk gone' });
    const mixed = persistentVolumeCondition(pod('x', 'missing'), lookups({ x: 'a' }, vols));
    assert.equal(mixed.reason, 'PersistentVolumeClaim Not Found; Failed');
    assert.equal(mixed.message, 'There is no pvc named games/missing in cluster; disk gone');
  });

  it('keeps the lastTransitionTime while status, reason and message stay, and says when they change', () => {
    const others: GameServerCondition[] = [{ type: 'PodNormal', status: 'True', lastTransitionTime: 't0' }];
    const first = withPersistentVolumeCondition(others, { type: 'PersistentVolumeNormal', status: 'True' }, 't1');
    assert.equal(first.changed, true);
    assert.deepEqual(first.conditions, [...others, { type: 'PersistentVolumeNormal', status: 'True', lastTransitionTime: 't1' }]);
    const again = withPersistentVolumeCondition(first.conditions, { type: 'PersistentVolumeNormal', status: 'True' }, 't2');
    assert.equal(again.changed, false);
    assert.deepEqual(again.conditions, first.conditions);
    const bad = withPersistentVolumeCondition(again.conditions, { type: 'PersistentVolumeNormal', status: 'False', reason: 'PersistentVolumeClaim Not Found', message: 'm' }, 't3');
    assert.equal(bad.changed, true);
    assert.equal(bad.conditions.find((c) => c.type === 'PersistentVolumeNormal')!.lastTransitionTime, 't3');
    assert.equal(bad.conditions.length, 2);
  });
});
