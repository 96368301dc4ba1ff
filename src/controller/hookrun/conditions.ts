// successCondition and failureCondition of a metric (the syntax: src/util/hook-expression.ts):
// a measured value's phase.

import type { HookPhase, Metric } from './run-plan.js';
import { evalCondition } from '../../util/hook-expression.js';

export { conditionSyntaxError, evalCondition } from '../../util/hook-expression.js';

/**
 * A measured value's phase, as BCS's: no condition, Successful; only one of them, the other is
 * its negation; both false, Inconclusive; failure wins over success. An expression that cannot
 * be evaluated makes the measurement Error.
 */
export function evaluateResult(metric: Pick<Metric, 'successCondition' | 'failureCondition'>, result: unknown): { phase: HookPhase; message?: string } {
  const { successCondition: ok, failureCondition: bad } = metric;
  if (!ok && !bad) return { phase: 'Successful' };
  try {
    let success = ok ? evalCondition(ok, result) : false;
    let failure = bad ? evalCondition(bad, result) : false;
    if (ok && !bad) failure = !success;
    if (bad && !ok) success = !failure;
    if (failure) return { phase: 'Failed' };
    if (!success) return { phase: 'Inconclusive' };
    return { phase: 'Successful' };
  } catch (err) {
    return { phase: 'Error', message: (err as Error).message };
  }
}
