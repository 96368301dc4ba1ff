// intstr.IntOrString values (maxUnavailable: 1 or "20%") as Kubernetes reads them.

import { invalid, type FieldCause } from './causes.js';

const PERCENT = /^(\d+)%$/;

/**
 * The same rules as schema patterns, so that kube-apiserver refuses what intOrPercentErrors
 * would (a pattern applies to the string form only; `minimum` to the integer form).
 */
export const PERCENT_PATTERN = '^[0-9]+%$';
export const PERCENT_UP_TO_100_PATTERN = '^(100|[1-9]?[0-9])%$';
export const POSITIVE_PERCENT_UP_TO_100_PATTERN = '^(100|[1-9][0-9]?)%$';
export const POSITIVE_PERCENT_PATTERN = '^0*[1-9][0-9]*%$';

/**
 * The absolute value of an int-or-percent against `total`: a percentage is rounded up or down
 * (k8s.io/apimachinery GetScaledValueFromIntOrPercent). Throws on a malformed string.
 */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = PERCENT.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(value)}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

interface IntOrPercentRules {
  /** 0 and "0%" are refused too (a rollout could never start) */
  positive?: boolean;
  /** a percentage may not exceed 100% */
  atMost100Percent?: boolean;
}

/**
 * An int-or-percent as apps/v1 validation accepts one (ValidatePositiveIntOrPercent,
 * IsNotMoreThan100Percent): a non-negative integer or a string "<n>%".
 */
export function intOrPercentErrors(field: string, value: unknown, rules: IntOrPercentRules = {}): FieldCause[] {
  if (value === undefined || value === null) return [];
  let amount: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return [invalid(field, value, 'must be greater than or equal to 0')];
    amount = value;
  } else if (typeof value === 'string') {
    const m = PERCENT.exec(value);
    if (!m) {
      return [invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    }
    amount = Number(m[1]);
    if (rules.atMost100Percent && amount > 100) return [invalid(field, value, 'must not be greater than 100%')];
  } else {
    return [invalid(field, value, "must be an integer or percentage (e.g '5%')")];
  }
  if (rules.positive && amount === 0) return [invalid(field, value, 'should not be less than 1')];
  return [];
}
