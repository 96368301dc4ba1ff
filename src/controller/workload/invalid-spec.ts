// A spec the controller refuses to act on (one that got past the API: an object written through
// the upstream CRDs, which validate little, or stored before hotpod's schema refused it). Both
// workloads answer it the same way: nothing is created or deleted, the status carries a
// FailedUpdate condition with reason InvalidSpec, and one Warning Event says why, sent only
// when the message is new, so a set reconciled again and again does not repeat it.

import type { FieldCause } from '../../api/causes.js';
import type { Problem } from './problem-events.js';

export const CONDITION_FAILED_UPDATE = 'FailedUpdate';
export const REASON_INVALID_SPEC = 'InvalidSpec';

/** The causes in one line, as kubectl prints a 422's: `spec.replicas: Required value; ...`. */
export function invalidSpecMessage(causes: readonly FieldCause[]): string {
  return causes.map((c) => `${c.field}: ${c.message}`).join('; ');
}

/** The Event's text, naming the kind. */
function invalidSpecEvent(kind: string, message: string): string {
  return `the ${kind} is invalid, nothing is done until it is fixed: ${message}`;
}

/** The Warning Event an invalid spec gets, once per message (ProblemEvents). */
export function invalidSpecProblem(kind: string, message: string): Problem {
  return { reason: REASON_INVALID_SPEC, message, event: invalidSpecEvent(kind, message) };
}
