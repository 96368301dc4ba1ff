// A spec the controller refuses to act on (one that got past the API: an object written through
// the upstream CRDs, which validate little, or stored before hotpod's schema refused it). Both
// workloads answer it the same way: nothing is created or deleted, the status carries a
// FailedUpdate condition with reason InvalidSpec, and one Warning Event says why, sent only
// when the message is new, so a set reconciled again and again does not repeat it.

import type { FieldCause } from '../../api/causes.js';
import type { WorkloadOwner } from './owner.js';
import { conditionProblems, type ProblemEvents } from './problem-events.js';

export const CONDITION_FAILED_UPDATE = 'FailedUpdate';
export const REASON_INVALID_SPEC = 'InvalidSpec';

/** The causes in one line, as kubectl prints a 422's: `spec.replicas: Required value; ...`. */
export function invalidSpecMessage(causes: readonly FieldCause[]): string {
  return causes.map((c) => `${c.field}: ${c.message}`).join('; ');
}

interface ConditionLike {
  type: string;
  status?: string;
  lastTransitionTime?: string;
}

export interface InvalidSpecCondition {
  type: typeof CONDITION_FAILED_UPDATE;
  status: 'True';
  reason: typeof REASON_INVALID_SPEC;
  message: string;
  lastTransitionTime: string;
}

/**
 * Everything but the status write: the Warning Event when the message is new (`isNew`), and
 * the conditions with FailedUpdate saying InvalidSpec (its lastTransitionTime kept while it
 * stays True). The owner's other status fields are its workload's to keep as they were.
 */
export function reportInvalidSpec<C extends ConditionLike>(
  problems: ProblemEvents,
  owner: WorkloadOwner,
  conditions: readonly C[],
  message: string,
  now: string,
): { conditions: (C | InvalidSpecCondition)[]; isNew: boolean } {
  const event = `the ${owner.kind} is invalid, nothing is done until it is fixed: ${message}`;
  const news = problems.report(owner, [{ reason: REASON_INVALID_SPEC, message, event }], conditionProblems(conditions, CONDITION_FAILED_UPDATE));
  const prev = conditions.find((c) => c.type === CONDITION_FAILED_UPDATE);
  const lastTransitionTime = prev?.status === 'True' && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  const failed: InvalidSpecCondition = { type: CONDITION_FAILED_UPDATE, status: 'True', reason: REASON_INVALID_SPEC, message, lastTransitionTime };
  return { conditions: [...conditions.filter((c) => c.type !== CONDITION_FAILED_UPDATE), failed], isNew: news.length > 0 };
}
