// The claims of a GameServerSet's servers (claims.ts): names, labels, the pod's volumes, and the
// ownerReferences persistentVolumeClaimRetentionPolicy asks for, as StatefulSet sets them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGameServerSet, validateGameServerSet, type GameServerSet } from '../../src/api/index.js';
import { claimIsStale, claimOwnerRefs, newClaim, withClaimVolumes, type RetentionPolicy } from '../../src/controller/gameserverset/claims.js';
import type { WorkloadOwner } from '../../src/controller/workload/index.js';
import type { KubeObject, OwnerReference } from '../../src/kube/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const owner: WorkloadOwner = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 'arena', namespace: 'games', uid: 'set-uid' } };
const setRef = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'arena', uid: 'set-uid' };
const pod = { metadata: { name: 'arena-1', uid: 'pod-uid' } };
const podRef = { apiVersion: 'v1', kind: 'Pod', name: 'arena-1', uid: 'pod-uid' };

function set(policy?: Partial<RetentionPolicy>, templates: Json[] = [{ metadata: { name: 'data', labels: { tier: 'save' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]): GameServerSet {
  return defaultGameServerSet({
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    metadata: { name: 'arena', namespace: 'games' },
    spec: {
      replicas: 2,
      ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
      gameServerTemplate: { spec: { containers: [{ name: 'game', image: 'game:1' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }] }, volumeClaimTemplates: templates },
    },
  } as never);
}

describe('GameServerSet claims', () => {
  it('names a claim <template>-<set>-<ordinal>, labels it with the set, and owns it by the set only under whenDeleted Delete', () => {
    const retained = newClaim(owner, set(), set().spec.gameServerTemplate!.volumeClaimTemplates![0] as Json, 1);
    assert.equal(retained.metadata!.name, 'data-arena-1');
    assert.deepEqual(retained.metadata!.labels, { tier: 'save', 'game.kruise.io/owner-gss': 'arena' });
    assert.equal(retained.metadata!.ownerReferences, undefined);
    assert.deepEqual((retained.spec as Json).resources, { requests: { storage: '1Gi' } });
    const deleted = newClaim(owner, set({ whenDeleted: 'Delete' }), set().spec.gameServerTemplate!.volumeClaimTemplates![0] as Json, 1);
    assert.deepEqual(deleted.metadata!.ownerReferences, [setRef]);
  });

  it('gives the pod a claim volume in place of the template volume of the same name', () => {
    const spec = withClaimVolumes(set().spec.gameServerTemplate!.spec as Json, set(), 3);
    assert.deepEqual(spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-arena-3' } }, { name: 'tmp', emptyDir: {} }]);
  });

  it('sets ownerReferences as StatefulSet does for each policy, for a server that stays and one a scale-down removes', () => {
    const claim = (refs?: Json[]): KubeObject => ({ metadata: { name: 'data-arena-1', ownerReferences: refs as OwnerReference[] | undefined } });
    const cases: [Partial<RetentionPolicy>, boolean, Json[]][] = [
      [{}, false, []],
      [{}, true, []],
      [{ whenDeleted: 'Delete' }, false, [setRef]],
      [{ whenDeleted: 'Delete' }, true, [setRef]],
      [{ whenScaled: 'Delete' }, false, []],
      [{ whenScaled: 'Delete' }, true, [podRef]],
      [{ whenDeleted: 'Delete', whenScaled: 'Delete' }, false, [setRef]],
      [{ whenDeleted: 'Delete', whenScaled: 'Delete' }, true, [podRef]],
    ];
    for (const [p, condemned, want] of cases) {
      const policy: RetentionPolicy = { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
      for (const start of [[], [setRef], [podRef], [setRef, podRef]]) {
        const got = claimOwnerRefs(claim(start), policy, owner, pod, condemned) ?? start;
        assert.deepEqual([...got].sort((a, b) => a.kind.localeCompare(b.kind)), [...want].sort((a, b) => a.kind.localeCompare(b.kind)), `${JSON.stringify(p)} condemned=${condemned} from ${JSON.stringify(start)}`);
      }
      assert.equal(claimOwnerRefs(claim(want), policy, owner, pod, condemned), undefined, 'nothing to write when already so');
    }
  });

  it('holds a new pod back from a claim an earlier pod of its ordinal still owns, under whenScaled Delete only', () => {
    const old = { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'arena-1', uid: 'old' }] } };
    assert.equal(claimIsStale(old, { whenDeleted: 'Retain', whenScaled: 'Delete' }, 'arena-1', undefined), true);
    assert.equal(claimIsStale(old, { whenDeleted: 'Retain', whenScaled: 'Delete' }, 'arena-1', 'old'), false);
    assert.equal(claimIsStale(old, { whenDeleted: 'Retain', whenScaled: 'Retain' }, 'arena-1', undefined), false);
  });

  it('refuses claim templates without a name or with a repeated one', () => {
    const causes = validateGameServerSet(set({}, [{ spec: {} }, { metadata: { name: 'a' } }, { metadata: { name: 'a' } }]));
    assert.deepEqual(
      causes.map((c) => c.field),
      ['spec.gameServerTemplate.volumeClaimTemplates[0].metadata.name', 'spec.gameServerTemplate.volumeClaimTemplates[2].metadata.name'],
    );
  });
});
