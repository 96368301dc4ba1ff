// The HookRun runner's pure half: which metrics measure when, how measurements count, the
// phases BCS's hook operator assesses, and the conditions in its expression syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessRun, metricsDue, nextWake, recordMeasurement, validateRun, type HookRunSpec, type HookRunStatus, type Metric } from '../../src/controller/hookrun/run-plan.js';
import { evaluateResult, conditionSyntaxError } from '../../src/controller/hookrun/conditions.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const web = { web: { url: 'http://127.0.0.1:1/x', jsonPath: '{$.n}' } };
const metric = (over: Partial<Metric> = {}): Metric => ({ name: 'm', provider: web, ...over });

/** Walks a metric through measurements of the given phases, each 1 s after the last. */
function walk(m: Metric, phases: ('Successful' | 'Failed' | 'Inconclusive' | 'Error')[]): HookRunStatus {
  let result;
  for (const [i, phase] of phases.entries()) result = recordMeasurement(result, m.name, { phase, startedAt: at(i), finishedAt: at(i) });
  return { startedAt: at(0), metricResults: result ? [result] : [] };
}

test('one measurement without count or interval; count with interval; interval alone runs until a limit', () => {
  const once = metric();
  assert.equal(assessRun({ metrics: [once] }, walk(once, ['Successful'])).phase, 'Successful');
  assert.equal(assessRun({ metrics: [once] }, walk(once, ['Failed'])).phase, 'Failed');
  assert.equal(assessRun({ metrics: [once] }, walk(once, ['Inconclusive'])).phase, 'Inconclusive');
  const three = metric({ count: 3, interval: '10s', failureLimit: 1 });
  assert.equal(assessRun({ metrics: [three] }, walk(three, ['Successful', 'Failed'])).phase, 'Running');
  assert.equal(assessRun({ metrics: [three] }, walk(three, ['Successful', 'Failed', 'Successful'])).phase, 'Successful', 'one failure allowed');
  assert.equal(assessRun({ metrics: [three] }, walk(three, ['Failed', 'Failed'])).phase, 'Failed', 'two failures > failureLimit 1');
  const forever = metric({ interval: '5s', successfulLimit: 2 });
  assert.equal(assessRun({ metrics: [forever] }, walk(forever, ['Failed'])).phase, 'Failed', 'failureLimit 0: one failure fails');
  const lenient = metric({ interval: '5s', successfulLimit: 2, failureLimit: 5 });
  assert.equal(assessRun({ metrics: [lenient] }, walk(lenient, ['Failed', 'Successful'])).phase, 'Running');
  assert.equal(assessRun({ metrics: [forever] }, walk(forever, ['Successful', 'Successful'])).phase, 'Successful');
  const consecutive = metric({ interval: '5s', failureLimit: 10, consecutiveSuccessfulLimit: 2 });
  assert.equal(assessRun({ metrics: [consecutive] }, walk(consecutive, ['Successful', 'Failed', 'Successful'])).phase, 'Running');
  assert.equal(assessRun({ metrics: [consecutive] }, walk(consecutive, ['Successful', 'Failed', 'Successful', 'Successful'])).phase, 'Successful');
});

test('errors are retried, not counted towards count, and more than consecutiveErrorLimit (default 4) make the metric Error', () => {
  const once = metric();
  const status = walk(once, ['Error']);
  assert.equal(status.metricResults![0]!.count ?? 0, 0);
  assert.equal(assessRun({ metrics: [once] }, status).phase, 'Running');
  assert.deepEqual(metricsDue({ metrics: [once] }, status, T0 + 9_000), [], 'retried after 10 s');
  assert.deepEqual(metricsDue({ metrics: [once] }, status, T0 + 10_000).map((m) => m.name), ['m']);
  assert.equal(nextWake({ metrics: [once] }, status, T0), T0 + 10_000);
  assert.equal(assessRun({ metrics: [once] }, walk(once, ['Error', 'Error', 'Error', 'Error', 'Error'])).phase, 'Error');
  assert.equal(assessRun({ metrics: [once] }, walk(once, ['Error', 'Error', 'Successful'])).phase, 'Successful');
  const strict = metric({ consecutiveErrorLimit: 0 });
  assert.equal(assessRun({ metrics: [strict] }, walk(strict, ['Error'])).phase, 'Error');
});

test('what is due: initialDelay from startedAt, the interval after the last measurement, Ordered waits for the metric before', () => {
  const delayed = metric({ name: 'd', initialDelay: '30s' });
  const fresh: HookRunStatus = { startedAt: at(0) };
  assert.deepEqual(metricsDue({ metrics: [delayed] }, fresh, T0 + 29_000), []);
  assert.equal(nextWake({ metrics: [delayed] }, fresh, T0), T0 + 30_000);
  assert.deepEqual(metricsDue({ metrics: [delayed] }, fresh, T0 + 30_000).map((m) => m.name), ['d']);

  const every = metric({ name: 'e', interval: '1m', count: 2 });
  const once = walk(every, ['Successful']);
  assert.deepEqual(metricsDue({ metrics: [every] }, once, T0 + 59_000), []);
  assert.deepEqual(metricsDue({ metrics: [every] }, once, T0 + 60_000).map((m) => m.name), ['e']);
  assert.equal(nextWake({ metrics: [every] }, walk(every, ['Successful', 'Successful']), T0), undefined, 'count reached');

  const first = metric({ name: 'first' });
  const second = metric({ name: 'second' });
  const ordered: HookRunSpec = { metrics: [first, second], policy: 'Ordered' };
  assert.deepEqual(metricsDue(ordered, { startedAt: at(0) }, T0).map((m) => m.name), ['first']);
  assert.deepEqual(metricsDue({ ...ordered, policy: 'Parallel' }, { startedAt: at(0) }, T0).map((m) => m.name), ['first', 'second']);
  const firstDone = assessRun(ordered, walk(first, ['Successful']));
  assert.deepEqual(metricsDue(ordered, { startedAt: at(0), metricResults: firstDone.results }, T0).map((m) => m.name), ['second']);
});

test('the run is the worst of its metrics once all completed; terminate ends it, unmeasured metrics Successful', () => {
  const a = metric({ name: 'a' });
  const b = metric({ name: 'b' });
  const results = [...walk(a, ['Successful']).metricResults!, ...walk(b, ['Inconclusive']).metricResults!];
  assert.equal(assessRun({ metrics: [a, b] }, { metricResults: results }).phase, 'Inconclusive');
  assert.equal(assessRun({ metrics: [a, b] }, { metricResults: [results[0]!] }).phase, 'Running');
  const endless = metric({ name: 'endless', interval: '1s' });
  assert.equal(assessRun({ metrics: [endless], terminate: true }, walk(endless, ['Successful'])).phase, 'Successful');
  assert.equal(assessRun({ metrics: [endless], terminate: true }, {}).phase, 'Successful');
  assert.deepEqual(metricsDue({ metrics: [endless], terminate: true }, {}, T0), []);
});

test('history: the last 10 measurements are kept, the counters keep the totals', () => {
  const m = metric({ interval: '1s', failureLimit: 100 });
  const status = walk(m, Array.from({ length: 12 }, (_, i) => (i % 2 ? 'Failed' : 'Successful')));
  const r = status.metricResults![0]!;
  assert.equal(r.measurements!.length, 10);
  assert.deepEqual([r.count, r.successful, r.failed, r.consecutiveSuccessful], [12, 6, 6, 0]);
});

test('conditions in BCS syntax: asInt, asFloat, ==, and/or/not, len, indexing; a bad value is Error, both false Inconclusive', () => {
  const cases: [Partial<Metric>, unknown, string][] = [
    [{ successCondition: 'asInt(result) < 30' }, '12', 'Successful'],
    [{ successCondition: 'asInt(result) < 30' }, '42', 'Failed'],
    [{ successCondition: 'result == "ok"' }, 'ok', 'Successful'],
    [{ failureCondition: 'result == "busy"' }, 'idle', 'Successful'],
    [{ failureCondition: 'result == "busy"' }, 'busy', 'Failed'],
    [{ successCondition: 'result > 5', failureCondition: 'result < 2' }, 3, 'Inconclusive'],
    [{ successCondition: 'result[0] > 0.9 and not (result[1] >= 3)' }, [0.95, 1], 'Successful'],
    [{ successCondition: 'len(result) == 2 || asFloat("x") > 1' }, [1, 2], 'Successful'],
    [{ successCondition: 'asInt(result) < 30' }, 'many', 'Error'],
    [{ successCondition: 'result' }, 'text', 'Error'],
    [{}, 'anything', 'Successful'],
  ];
  for (const [m, value, want] of cases) assert.equal(evaluateResult(m, value).phase, want, `${JSON.stringify(m)} on ${JSON.stringify(value)}`);
  assert.match(evaluateResult({ successCondition: 'asInt(result) < 30' }, 'many').message!, /asInt: "many" is not an integer/);
  assert.equal(conditionSyntaxError('asInt(result) < 30'), undefined);
  assert.ok(conditionSyntaxError('result ==') !== undefined);
});

test('validateRun: durations and providers', () => {
  assert.equal(validateRun({ metrics: [metric({ interval: '10s' })] }), undefined);
  assert.equal(validateRun({ metrics: [metric({ interval: 'soon' })] }), 'metric m: interval: "soon" is not a duration such as 30s, 5m or 1h30m');
  assert.equal(validateRun({ metrics: [metric({ provider: {} })] }), 'metric m: no provider');
  assert.equal(validateRun({ metrics: [] }), 'at least one metric is required');
});
