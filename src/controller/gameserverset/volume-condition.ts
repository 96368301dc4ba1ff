// The GameServer condition PersistentVolumeNormal, as OpenKruiseGame computes it from the pod's
// persistentVolumeClaim volumes: False when a claim is missing ("PersistentVolumeClaim Not
// Found"), when it names no volume or its volume is missing ("PersistentVolume Not Found"), or
// when a volume's status has a reason (its message and reason joined, each once, by "; ");
// True otherwise, pods without claims included. Its lastTransitionTime changes only when status,
// reason or message do. Pure: the reconciler reads claims and volumes from its caches.

type Json = Record<string, any>;

export const PERSISTENT_VOLUME_NORMAL = 'PersistentVolumeNormal';
const PVC_NOT_FOUND = 'PersistentVolumeClaim Not Found';
const PV_NOT_FOUND = 'PersistentVolume Not Found';

export type { GameServerCondition } from './gameserver-conditions.js';
import type { GameServerCondition } from './gameserver-conditions.js';

export interface VolumeLookups {
  /** The claim of that name in the pod's namespace, if any. */
  claim(name: string): Json | undefined;
  /** The PersistentVolume of that name, if any. */
  volume(name: string): Json | undefined;
}

/** OKG's polyMessageReason: a message and a reason each added once, after "; ". */
function joinOnce(have: string, add: string): string {
  if (!have) return add;
  return have.includes(add) ? have : `${have}; ${add}`;
}

/** The condition for the pod as the lookups see its claims and volumes (no times). */
export function persistentVolumeCondition(pod: Json, lookups: VolumeLookups): GameServerCondition {
  const namespace: string = pod.metadata?.namespace ?? '';
  let reason = '';
  let message = '';
  const problem = (r: string, m: string) => {
    if (!reason && !message) {
      reason = r;
      message = m;
      return;
    }
    reason = joinOnce(reason, r);
    message = joinOnce(message, m);
  };
  const pvProblems: [string, string][] = [];
  for (const v of (pod.spec?.volumes ?? []) as Json[]) {
    const claimName = v?.persistentVolumeClaim?.claimName;
    if (typeof claimName !== 'string') continue;
    const claim = lookups.claim(claimName);
    if (!claim) {
      problem(PVC_NOT_FOUND, `There is no pvc named ${namespace}/${claimName} in cluster`);
      continue;
    }
    const volumeName: string | undefined = claim.spec?.volumeName || undefined;
    const pv = volumeName ? lookups.volume(volumeName) : undefined;
    if (!pv) {
      problem(PV_NOT_FOUND, `There is no pv which pvc ${namespace}/${claimName} is bound with`);
      continue;
    }
    if (pv.status?.reason) pvProblems.push([String(pv.status.reason), String(pv.status.message ?? '')]);
  }
  // The volumes' own reasons come after the missing claims and volumes, merged into one, as OKG orders them.
  let pvReason = '';
  let pvMessage = '';
  for (const [r, m] of pvProblems) {
    if (!pvReason && !pvMessage) [pvReason, pvMessage] = [r, m];
    else [pvReason, pvMessage] = [joinOnce(pvReason, r), joinOnce(pvMessage, m)];
  }
  if (pvReason || pvMessage) problem(pvReason, pvMessage);
  if (!reason && !message) return { type: PERSISTENT_VOLUME_NORMAL, status: 'True' };
  return { type: PERSISTENT_VOLUME_NORMAL, status: 'False', reason, message };
}

/**
 * `conditions` with PersistentVolumeNormal set to `next`, keeping the old lastTransitionTime when
 * status, reason and message are unchanged; `changed` when they are not (OKG then records a
 * Warning Event if it is False).
 */
export function withPersistentVolumeCondition(conditions: readonly GameServerCondition[], next: GameServerCondition, nowIso: string): { conditions: GameServerCondition[]; changed: boolean } {
  const old = conditions.find((c) => c.type === PERSISTENT_VOLUME_NORMAL);
  const same = !!old && old.status === next.status && (old.reason ?? '') === (next.reason ?? '') && (old.message ?? '') === (next.message ?? '');
  if (same) return { conditions: [...conditions], changed: false };
  const others = conditions.filter((c) => c.type !== PERSISTENT_VOLUME_NORMAL);
  return { conditions: [...others, { ...next, lastTransitionTime: nowIso }], changed: true };
}
