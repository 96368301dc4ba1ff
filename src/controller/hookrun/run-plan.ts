// A HookRun's next moves, decided without I/O, as BCS's hook operator decides them: which
// metrics take a measurement now (Ordered waits for the metric before; a metric waits out its
// initialDelay, then its interval after each measurement, until its count), how a finished
// measurement counts, what each metric's phase and the run's phase are, and when to look again.
// Everything it reads is in the HookRun's spec and status, so a controller that restarts
// picks up where the status shows it stopped.

import { parseGoDuration } from '../../util/duration.js';
import { rfc3339 } from '../../util/time.js';

export type HookPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

export interface Metric {
  name: string;
  interval?: string;
  initialDelay?: string;
  count?: number;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: number;
  successfulLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
  consecutiveSuccessfulLimit?: number;
  provider: Record<string, unknown>;
}

export interface Measurement {
  phase: HookPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  resumeAt?: string;
  value?: string;
}

export interface MetricResult {
  name: string;
  phase: HookPhase;
  measurements?: Measurement[];
  message?: string;
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  consecutiveError?: number;
  consecutiveSuccessful?: number;
}

export interface HookRunSpec {
  metrics: Metric[];
  args?: { name: string; value?: string }[];
  terminate?: boolean;
  policy?: 'Parallel' | 'Ordered';
}

export interface HookRunStatus {
  phase?: HookPhase;
  message?: string;
  metricResults?: MetricResult[];
  startedAt?: string;
}

/** Between measurements of a metric without an interval that ended in Error (BCS's). */
export const ERROR_RETRY_MS = 10_000;
/** Errors in a row that make a metric Error when it sets no consecutiveErrorLimit (BCS's). */
export const CONSECUTIVE_ERROR_LIMIT = 4;
/** Measurements kept per metric (BCS's); the counters keep the totals. */
export const MEASUREMENT_HISTORY_LIMIT = 10;

const COMPLETED = new Set<HookPhase>(['Successful', 'Failed', 'Error', 'Inconclusive']);

export function completed(phase: HookPhase | undefined): boolean {
  return phase !== undefined && COMPLETED.has(phase);
}

/** How many measurements a metric takes: its count, else 1 without an interval, else unbounded. */
export function effectiveCount(metric: Metric): number | undefined {
  if (!metric.count) return metric.interval ? undefined : 1;
  return metric.count;
}

function resultOf(status: HookRunStatus, name: string): MetricResult | undefined {
  return status.metricResults?.find((r) => r.name === name);
}

function lastOf(result: MetricResult | undefined): Measurement | undefined {
  const ms = result?.measurements ?? [];
  return ms[ms.length - 1];
}

function ms(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  return parseGoDuration(value);
}

/** The metrics to measure at `now`, in spec order. */
export function metricsDue(spec: HookRunSpec, status: HookRunStatus, now: number): Metric[] {
  const due: Metric[] = [];
  for (const [i, metric] of spec.metrics.entries()) {
    if (i > 0 && spec.policy === 'Ordered' && !completed(resultOf(status, spec.metrics[i - 1]!.name)?.phase)) break;
    const result = resultOf(status, metric.name);
    if (completed(result?.phase) || spec.terminate) continue;
    const last = lastOf(result);
    if (!last) {
      const started = status.startedAt ? Date.parse(status.startedAt) : now;
      if (metric.initialDelay && started + ms(metric.initialDelay, 0) > now) continue;
      due.push(metric);
      continue;
    }
    if (!last.finishedAt) continue;
    const limit = effectiveCount(metric);
    if (limit !== undefined && (result?.count ?? 0) >= limit) continue;
    if (!metric.interval && last.phase !== 'Error') continue;
    if (Date.parse(last.finishedAt) + ms(metric.interval, ERROR_RETRY_MS) <= now) due.push(metric);
  }
  return due;
}

/** The metric's result with one more finished measurement counted (and the history trimmed). */
export function recordMeasurement(result: MetricResult | undefined, name: string, m: Measurement): MetricResult {
  const r: MetricResult = { name, phase: 'Running', ...structuredClone(result ?? {}) };
  const inc = (k: keyof MetricResult) => ((r as any)[k] = ((r as any)[k] ?? 0) + 1);
  if (completed(m.phase)) {
    // An Error (the provider could not measure) is retried, not counted towards `count`: a
    // metric whose endpoint is down must not pass by running out of attempts.
    if (m.phase !== 'Error') inc('count');
    if (m.phase === 'Successful') inc('successful');
    if (m.phase === 'Failed') inc('failed');
    if (m.phase === 'Inconclusive') inc('inconclusive');
    if (m.phase === 'Error') inc('error');
    r.consecutiveError = m.phase === 'Error' ? (r.consecutiveError ?? 0) + 1 : 0;
    r.consecutiveSuccessful = m.phase === 'Successful' ? (r.consecutiveSuccessful ?? 0) + 1 : 0;
  }
  r.measurements = [...(r.measurements ?? []), m].slice(-MEASUREMENT_HISTORY_LIMIT);
  return r;
}

/** A metric's phase from its counters, as BCS assesses it. */
export function assessMetric(metric: Metric, result: MetricResult, terminating: boolean): HookPhase {
  if (completed(result.phase)) return result.phase;
  const last = lastOf(result);
  if (!last) return terminating ? 'Successful' : 'Pending';
  if (!completed(last.phase)) return 'Running';
  const n = (k: keyof MetricResult) => Number((result as any)[k] ?? 0);
  // failureLimit 0 (the default): one failure fails the metric, as BCS's manual says.
  if (n('failed') > (metric.failureLimit ?? 0)) return 'Failed';
  if ((metric.successfulLimit ?? 0) > 0 && n('successful') >= metric.successfulLimit!) return 'Successful';
  if (n('inconclusive') > (metric.inconclusiveLimit ?? 0)) return 'Inconclusive';
  if (n('consecutiveError') > (metric.consecutiveErrorLimit ?? CONSECUTIVE_ERROR_LIMIT)) return 'Error';
  if (metric.consecutiveSuccessfulLimit !== undefined && n('consecutiveSuccessful') >= metric.consecutiveSuccessfulLimit) return 'Successful';
  const limit = effectiveCount(metric);
  if (limit !== undefined && n('count') >= limit) return 'Successful';
  if (terminating) return 'Successful';
  return 'Running';
}

const WORSE: HookPhase[] = ['Successful', 'Inconclusive', 'Error', 'Failed'];

/**
 * The metrics' phases and the run's: Running until every metric completed, then the worst of
 * them (Failed over Error over Inconclusive over Successful).
 */
export function assessRun(spec: HookRunSpec, status: HookRunStatus): { phase: HookPhase; results: MetricResult[] } {
  const terminating = spec.terminate === true;
  let worst: HookPhase | undefined;
  let all = true;
  const results = (status.metricResults ?? []).map((r) => ({ ...r }));
  for (const metric of spec.metrics) {
    const r = results.find((x) => x.name === metric.name);
    if (!r) {
      // Never measured: a terminated run does not wait for it.
      if (!terminating) all = false;
      continue;
    }
    const phase = assessMetric(metric, r, terminating);
    if (phase !== r.phase) {
      r.phase = phase;
      const message = lastOf(r)?.message;
      if (message) r.message = message;
    }
    if (!completed(phase)) all = false;
    else if (!worst || WORSE.indexOf(phase) > WORSE.indexOf(worst)) worst = phase;
  }
  if (!all) return { phase: 'Running', results };
  return { phase: worst ?? 'Successful', results };
}

/** When the run needs looking at again (epoch ms), or undefined: only a change of it will. */
export function nextWake(spec: HookRunSpec, status: HookRunStatus, now: number): number | undefined {
  let wake: number | undefined;
  const at = (t: number) => (wake = wake === undefined ? t : Math.min(wake, t));
  if (completed(status.phase) || spec.terminate) return undefined;
  for (const metric of spec.metrics) {
    const result = resultOf(status, metric.name);
    if (completed(result?.phase)) continue;
    const last = lastOf(result);
    if (!last) {
      if (metric.initialDelay) at((status.startedAt ? Date.parse(status.startedAt) : now) + ms(metric.initialDelay, 0));
      continue;
    }
    if (!last.finishedAt) continue;
    const limit = effectiveCount(metric);
    if (limit !== undefined && (result?.count ?? 0) >= limit) continue;
    if (metric.interval || last.phase === 'Error') at(Date.parse(last.finishedAt) + ms(metric.interval, ERROR_RETRY_MS));
  }
  return wake;
}

/** Checks the durations a run needs before measuring anything; an error makes the run Error. */
export function validateRun(spec: HookRunSpec): string | undefined {
  if (!spec.metrics?.length) return 'at least one metric is required';
  for (const m of spec.metrics) {
    for (const field of ['interval', 'initialDelay'] as const) {
      const v = m[field];
      if (v === undefined || v === '') continue;
      try {
        parseGoDuration(v);
      } catch (err) {
        return `metric ${m.name}: ${field}: ${(err as Error).message}`;
      }
    }
    if (!m.provider || Object.keys(m.provider).length === 0) return `metric ${m.name}: no provider`;
  }
  return undefined;
}

export { rfc3339 };
