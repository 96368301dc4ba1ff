// The HookRun controller: drives each HookRun to a verdict, as BCS's hook operator does. A pass
// reads the run from the cache, takes the measurements that are due (run-plan.ts) in parallel,
// and writes them, counted and assessed, in one status patch that carries the resourceVersion
// it was read at. So a measurement counts only once it is recorded, and in the same write: a
// controller that stops before that write takes it again (it was never counted), and a write
// that lost a race (409) is dropped and taken again from the newer run, never counted twice.
// Until the cache shows our last write, the run is not looked at (a stale copy would measure
// again what was just recorded).

import type { Logger } from 'pino';
import { resourceVersionAtLeast, type Reconciler, type ReconcileResult } from '../runtime/index.js';
import { isConflict, isNotFound, keyString, type EventRecorder, type Informer, type KubeObject, type ObjectKey } from '../../kube/index.js';
import { rfc3339 } from '../../util/time.js';
import { invalidSpecMessage, type ApiWriter } from '../workload/index.js';
import { validateHookRun, type HookRun } from '../../api/hooks.js';
import { measure } from './providers.js';
import { HookEgress } from './egress.js';
import { assessRun, completed, metricsDue, nextWake, recordMeasurement, validateRun, type HookPhase, type HookRunSpec, type HookRunStatus, type Measurement, type MetricResult } from './run-plan.js';

export const HOOK_RUN_API_VERSION = 'tkex.tencent.com/v1alpha1';
export const HOOK_RUN_KIND = 'HookRun';

/** How soon to look again at a run whose cache copy is behind our last write. */
const CACHE_RECHECK_MS = 200;

export interface HookRunReconcilerOptions {
  hookRuns: Informer;
  writer: ApiWriter;
  recorder: EventRecorder;
  logger: Logger;
  now?: () => number;
  /** Takes one measurement (tests and benches may count them). */
  measure?: typeof measure;
  /** Where measurements may connect (default: loopback only). */
  egress?: HookEgress;
}

export class HookRunReconciler implements Reconciler {
  private readonly now: () => number;
  private readonly measure: typeof measure;
  private readonly egress: HookEgress;
  private readonly log: Logger;
  /** Per run, the resourceVersion of our last status write, until the cache has it. */
  private readonly written = new Map<string, string>();

  constructor(private readonly o: HookRunReconcilerOptions) {
    this.now = o.now ?? Date.now;
    this.measure = o.measure ?? measure;
    this.egress = o.egress ?? new HookEgress();
    this.log = o.logger.child({ controller: 'hookrun' });
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const k = keyString(key);
    const run = this.o.hookRuns.cache.get(k);
    if (!run) return void this.written.delete(k);
    const memo = this.written.get(k);
    if (memo && !resourceVersionAtLeast(run.metadata?.resourceVersion, memo)) return { requeueAfterMs: CACHE_RECHECK_MS };
    this.written.delete(k);
    const status = structuredClone((run.status ?? {}) as HookRunStatus);
    if (completed(status.phase)) return;
    const spec = (run.spec ?? { metrics: [] }) as HookRunSpec;

    const causes = validateHookRun(run as unknown as HookRun);
    const invalid = causes.length ? invalidSpecMessage(causes) : validateRun(spec);
    if (invalid) {
      const message = `HookRun: ${k}, hook spec invalid: ${invalid}`;
      await this.write(run, { ...status, phase: 'Error', message, startedAt: status.startedAt ?? rfc3339(this.now()) });
      this.o.recorder.event(run, 'Warning', 'Failed', 'hook completed Error');
      return;
    }

    const startedAt = status.startedAt ?? rfc3339(this.now());
    const due = metricsDue(spec, { ...status, startedAt }, this.now());
    const taken = await Promise.all(due.map(async (metric) => ({ metric, m: await this.measure(spec, metric, this.now, { egress: this.egress, writer: this.o.writer }) })));
    const results = [...(status.metricResults ?? [])];
    for (const { metric, m } of taken) {
      const i = results.findIndex((r) => r.name === metric.name);
      const next = recordMeasurement(results[i], metric.name, m);
      if (i >= 0) results[i] = next;
      else results.push(next);
    }
    const measured: HookRunStatus = { ...status, startedAt, metricResults: results };
    const assessed = assessRun(spec, measured);
    const next: HookRunStatus = { ...measured, phase: assessed.phase, metricResults: assessed.results };
    if (!taken.length && next.phase === status.phase && status.startedAt && sameResults(status.metricResults, next.metricResults)) {
      return this.wake(spec, next);
    }
    if (!(await this.write(run, next))) return { requeue: true };
    this.events(run, spec, status, next, taken.map((t) => ({ name: t.metric.name, m: t.m })));
    return this.wake(spec, next);
  }

  private wake(spec: HookRunSpec, status: HookRunStatus): ReconcileResult | void {
    const at = nextWake(spec, status, this.now());
    if (at !== undefined) return { requeueAfterMs: Math.max(1, at - this.now()) };
  }

  /** The status patch, conditional on the resourceVersion read; false when it lost a race. */
  private async write(run: KubeObject, status: HookRunStatus): Promise<boolean> {
    const key = { namespace: run.metadata!.namespace!, name: run.metadata!.name! };
    try {
      const written = await this.o.writer.patch(HOOK_RUN_API_VERSION, HOOK_RUN_KIND, key, { metadata: { resourceVersion: run.metadata!.resourceVersion }, status }, { status: true, purpose: 'hookRunStatus' });
      if (written.metadata?.resourceVersion) this.written.set(keyString(key), written.metadata.resourceVersion);
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      if (isConflict(err)) {
        this.log.debug({ hookRun: keyString(key) }, 'HookRun changed meanwhile; its measurements are taken again from the newer copy');
        return false;
      }
      throw err;
    }
  }

  /** BCS's Events: each metric and the run as they complete. */
  private events(run: KubeObject, spec: HookRunSpec, before: HookRunStatus, after: HookRunStatus, taken: { name: string; m: Measurement }[]): void {
    for (const metric of spec.metrics) {
      const was = before.metricResults?.find((r) => r.name === metric.name)?.phase;
      const now = after.metricResults?.find((r) => r.name === metric.name)?.phase;
      if (now && now !== was && completed(now)) this.o.recorder.event(run, warning(now) ? 'Warning' : 'Normal', warning(now) ? 'Failed' : 'Complete', `metric '${metric.name}' completed ${now}`);
    }
    if (after.phase !== before.phase && completed(after.phase)) {
      this.o.recorder.event(run, warning(after.phase!) ? 'Warning' : 'Normal', warning(after.phase!) ? 'Failed' : 'Complete', `hook completed ${after.phase}`);
    }
    for (const { name, m } of taken) this.log.debug({ hookRun: `${run.metadata?.namespace}/${run.metadata?.name}`, metric: name, phase: m.phase, value: m.value, message: m.message }, 'measurement taken');
  }
}

function warning(phase: HookPhase): boolean {
  return phase === 'Failed' || phase === 'Error';
}

function sameResults(a: MetricResult[] | undefined, b: MetricResult[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
