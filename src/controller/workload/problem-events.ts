// Warning Events for problems that last over many passes (an invalid spec, an update the
// policy refuses, a hot-patch the node did not carry out): one Event when a problem first
// appears, not one per pass, since Events are rate-limited per object and a repeat every pass
// would bury the next new one. What was reported is remembered per owner; after a restart it
// is read back from the condition that carries the problems, and the memory is what counts
// meanwhile because the cache may not show the last status write yet.

import type { EventRecorder } from '../../kube/index.js';
import { ownerKey, type WorkloadOwner } from './owner.js';

export interface Problem {
  /** The Event's reason. */
  reason: string;
  /** What the condition says: the problem's identity. */
  message: string;
  /** The Event's text, when it says more than the condition. */
  event?: string;
}

interface ConditionLike {
  type: string;
  status?: string;
  message?: string;
}

/** The problems a True condition of `type` carries, one per line of its message. */
export function conditionProblems(conditions: readonly ConditionLike[] | undefined, type: string): string[] {
  const c = conditions?.find((x) => x.type === type);
  return c?.status === 'True' ? (c.message ?? '').split('\n') : [];
}

export class ProblemEvents {
  private readonly reported = new Map<string, Set<string>>();

  constructor(private readonly recorder: EventRecorder) {}

  /**
   * Sends a Warning Event for each of this pass's problems not reported yet, and remembers them
   * as the owner's whole set. `shown`: what the owner's condition says (conditionProblems).
   * Returns the problems that were new.
   */
  report(owner: WorkloadOwner, problems: readonly Problem[], shown: readonly string[]): Problem[] {
    const key = ownerKey(owner);
    const reported = this.reported.get(key) ?? new Set(shown);
    const news = problems.filter((p) => !reported.has(p.message));
    for (const p of news) this.recorder.event(owner, 'Warning', p.reason, p.event ?? p.message);
    if (problems.length) this.reported.set(key, new Set(problems.map((p) => p.message)));
    else this.reported.delete(key);
    return news;
  }

  forget(key: string): void {
    this.reported.delete(key);
  }
}
