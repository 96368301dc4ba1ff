// Which ordinals a GameServerSet adds and removes: pure, so the whole policy reads in one place
// and is table-tested.
//
// A member is an ordinal the set holds: one with a GameServer (the durable record: it outlives
// its pod while the pod is recreated), or a live pod whose GameServer is missing. Pods are
// created, and keep their ordinal, only for members.

import { parseOrdinals } from '../../api/index.js';
import { burst } from '../workload/burst.js';
import { scaleDownOrder, type ServerRank } from './ordering.js';

export type Member = ServerRank & { name: string };

interface ScaleInput {
  members: Member[];
  replicas: number;
  reserved: ReadonlySet<number>;
  /** At most this many new ordinals in one pass (scaleStrategy.maxUnavailable); absent: BURST_REPLICAS. */
  maxCreate?: number;
  /** hotpod.dev/allocated-update: Wait: Allocated servers are removed last of all. */
  allocatedLast?: boolean;
}

interface ScalePlan {
  /** Members to remove: on a reserved ordinal, or beyond replicas by the scale-down order (at most BURST_REPLICAS of these). */
  remove: { member: Member; reason: 'reserved' | 'scaleDown' }[];
  /**
   * New ordinals, lowest first that no member holds and none reserved, at most BURST_REPLICAS.
   * An ordinal whose pod or GameServer is still going away is planned too, and made once its
   * name is free: OKG leaves out only members, reserved ids and PreDelete pods, so a ReCreate
   * (whose GameServer goes with its pod) or a quick scale-down and up keeps the names.
   */
  create: number[];
}

export function planScale(input: ScaleInput): ScalePlan {
  const remove: ScalePlan['remove'] = [];
  const kept: Member[] = [];
  for (const m of input.members) {
    if (input.reserved.has(m.ordinal)) remove.push({ member: m, reason: 'reserved' });
    else kept.push(m);
  }
  const replicas = Math.max(0, input.replicas);
  if (kept.length > replicas) {
    for (const member of [...kept].sort((a, b) => scaleDownOrder(a, b, input.allocatedLast)).slice(0, burst(kept.length - replicas))) remove.push({ member, reason: 'scaleDown' });
  }
  const create: number[] = [];
  const want = burst(replicas - kept.length, input.maxCreate);
  const taken = new Set<number>(input.members.map((m) => m.ordinal));
  for (let ordinal = 0; create.length < want; ordinal++) {
    if (!taken.has(ordinal) && !input.reserved.has(ordinal)) create.push(ordinal);
  }
  return { remove, create };
}

/**
 * OKG's Kill: servers with opsState Kill leave and are not replaced, so spec.replicas drops by
 * their number. Only on a settled set (as many members as replicas, nothing going away): the
 * lowered replicas then differ from the member count until the Kill servers are gone, so a
 * retried reconcile never lowers it twice.
 */
export function replicasAfterKill(opts: { replicas: number; members: Member[]; settling: boolean }): number | undefined {
  if (opts.settling || opts.members.length !== opts.replicas) return undefined;
  const kills = opts.members.filter((m) => m.opsState === 'Kill').length;
  return kills > 0 ? Math.max(0, opts.replicas - kills) : undefined;
}

/**
 * ReserveIds scale-down: the removed ordinals are written back into reserveGameServerIds so
 * they are never reused. Existing entries (numbers, strings, ranges) stay as written; ordinals
 * they already cover are not added twice.
 */
export function reserveIdsWith(ids: readonly (number | string)[] | undefined, ordinals: readonly number[]): (number | string)[] {
  const covered = new Set<number>();
  for (const id of ids ?? []) for (const n of parseOrdinals(id) ?? []) covered.add(n);
  const added = [...new Set(ordinals)].filter((n) => !covered.has(n)).sort((a, b) => a - b);
  return [...(ids ?? []), ...added];
}
