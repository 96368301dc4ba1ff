// HookTemplate and HookRun (tkex.tencent.com/v1alpha1): BlueKing BCS's hooks. A HookTemplate
// names metrics (a web call, a Prometheus query, a Kubernetes object, a command in a container)
// and the conditions their results must meet; a workload makes a HookRun from it for a moment
// (before a pod is deleted or updated in place, after, a canary step) and waits for its
// verdict. Field names, printer columns and the status as BCS's types
// (bcs-scenarios/kourse/pkg/apis/tkex/v1alpha1/hook_types.go) and CRDs.

import { invalid, required, type FieldCause } from './causes.js';
import { defineResource, type Resource, type ResourceInput } from './resource.js';
import { arr, bool, enumOf, int, obj, str, time } from './schema.js';
import { schemaValueErrors } from './validation.js';
import { conditionSyntaxError } from '../util/hook-expression.js';
import { TKEX_GROUP } from '../util/vocabulary.js';

export const HOOK_PHASES = ['Pending', 'Running', 'Successful', 'Failed', 'Error', 'Inconclusive'] as const;
const POLICIES = ['Parallel', 'Ordered'] as const;

const argument = obj(
  { name: str(), value: str({ description: 'Value is the value of the argument; a HookTemplate may leave it for the workload to fill.' }) },
  { required: ['name'], description: 'Argument is an argument to a HookRun, used in metrics as {{ args.NAME }}.' },
);

const provider = obj(
  {
    web: obj(
      {
        url: str({ description: 'The URL to GET; {{ args.NAME }} is filled from the run.' }),
        headers: arr(obj({ key: str(), value: str() }, { required: ['key', 'value'], description: 'WebMetricHeader defines the header in web' })),
        timeoutSeconds: int({ format: 'int64', description: 'Seconds before the request is given up (default 10).' }),
        jsonPath: str({ description: 'A Kubernetes JSONPath template ({$.data.ok}) selecting the result in the JSON body.' }),
      },
      { required: ['url', 'jsonPath'] },
    ),
    prometheus: obj(
      { address: str({ description: 'Address is the HTTP address and port of the prometheus server' }), query: str({ description: 'Query is a raw prometheus query to perform' }) },
      { required: ['address', 'query'], description: 'PrometheusMetric defines the prometheus query to perform canary analysis' },
    ),
    kubernetes: obj(
      {
        fields: arr(obj({ path: str({ description: 'Path is the path of the field of the resource objects' }), value: str() }, { required: ['path'], description: 'Field defines the field path and value of kubernetes metric type' })),
        function: str({ description: 'Function is the operation on the resource object: get or patch.' }),
      },
      { required: ['fields', 'function'], description: 'KubernetesMetric defines the kubernetes resource object to operate' },
    ),
    exec: obj(
      {
        container: str({ description: 'Container is the name of the container to run the command in.' }),
        command: arr(str(), { description: 'Command is the command line to execute inside the container; it is exec\'d, not run by a shell.' }),
      },
      { required: ['command', 'container'] },
    ),
  },
  // Exactly one: an unknown provider is pruned away, and the empty object is refused.
  { minProperties: 1, maxProperties: 1, description: 'Provider configuration for the metric: exactly one of web, prometheus, kubernetes, exec.' },
);

const metric = obj(
  {
    name: str({ description: 'Name is the name of the metric' }),
    interval: str({ description: 'Interval defines an interval string (e.g. 30s, 5m, 1h) between each measurement. If omitted, will perform a single measurement' }),
    initialDelay: str({ description: 'InitialDelay how long to wait (e.g. 30s) before starting this metric' }),
    count: int({ description: 'Count is the number of times to run the measurement. If both interval and count are omitted, the effective count is 1. If only interval is specified, metric runs indefinitely. If count > 1, interval must be specified.' }),
    successCondition: str({ description: 'SuccessCondition is an expression which determines if a measurement is considered successful, e.g. asInt(result) < 30' }),
    failureCondition: str({ description: 'FailureCondition is an expression which determines if a measurement is considered failed. If both success and failure conditions are specified, and the measurement does not fall into either condition, the measurement is considered Inconclusive' }),
    failureLimit: int({ description: 'FailureLimit is the maximum number of times the measurement is allowed to fail, before the entire metric is considered Failed (default: 0)' }),
    successfulLimit: int({ description: 'SuccessfulLimit is the number of successful measurements after which the metric is considered Successful' }),
    inconclusiveLimit: int({ description: 'InconclusiveLimit is the maximum number of times the measurement is allowed to measure Inconclusive, before the entire metric is considered Inconclusive (default: 0)' }),
    consecutiveErrorLimit: int({ description: 'ConsecutiveErrorLimit is the maximum number of times the measurement is allowed to error in succession, before the metric is considered error (default: 4)' }),
    consecutiveSuccessfulLimit: int({ description: 'ConsecutiveSuccessfulLimit is the number of times the measurement is allowed to success in succession, before the metric is considered success' }),
    provider,
  },
  { required: ['name', 'provider'], description: 'Metric defines a metric in which to perform analysis' },
);

const measurement = obj(
  {
    phase: enumOf(HOOK_PHASES),
    message: str(),
    startedAt: time(),
    finishedAt: time(),
    resumeAt: time(),
    value: str({ description: 'Value is the measured value of the metric' }),
  },
  { required: ['phase'], description: 'Measurement is a point in time result value of a single metric, and the time it was measured' },
);

const metricResult = obj(
  {
    name: str(),
    phase: enumOf(HOOK_PHASES),
    measurements: arr(measurement),
    message: str(),
    count: int(),
    successful: int(),
    failed: int(),
    inconclusive: int(),
    error: int(),
    consecutiveError: int(),
    consecutiveSuccessful: int(),
  },
  { required: ['name', 'phase'], description: 'MetricResult contain a list of the most recent measurements for a single metric along with counters on how often the measurement' },
);

const hookTemplateSpec = obj(
  {
    metrics: arr(metric, { description: 'Metrics contains the list of metrics to query as part of an analysis run' }),
    args: arr(argument, { description: 'Args are the list of arguments to the template' }),
    policy: enumOf(POLICIES, { description: 'Policy: Parallel (every metric at once, the default) or Ordered (each after the one before completed).' }),
  },
  { required: ['metrics'], description: 'HookTemplateSpec is the spec of HookTemplate' },
);

const hookRunSpec = obj(
  {
    metrics: arr(metric),
    args: arr(argument),
    terminate: bool({ description: 'Terminate stops the run: measurements under way finish, none start, and the run completes.' }),
    policy: enumOf(POLICIES),
  },
  { required: ['metrics'], description: 'HookRunSpec is the spec of HookRun' },
);

const hookRunStatus = obj(
  {
    phase: enumOf(HOOK_PHASES),
    message: str(),
    metricResults: arr(metricResult),
    startedAt: time(),
  },
  { description: 'HookRunStatus is the status of HookRun' },
);

const AGE = { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' } as const;

export const HookTemplateResource = defineResource({
  group: TKEX_GROUP,
  version: 'v1alpha1',
  kind: 'HookTemplate',
  plural: 'hooktemplates',
  singular: 'hooktemplate',
  shortNames: [],
  categories: ['hotpod'],
  scope: 'Namespaced',
  description: 'HookTemplate is the Schema for the hooktemplates API',
  spec: hookTemplateSpec,
  specRequired: true,
  status: obj({}, { description: 'HookTemplate has no status.' }),
  printerColumns: [AGE],
});

export const HookRunResource = defineResource({
  group: TKEX_GROUP,
  version: 'v1alpha1',
  kind: 'HookRun',
  plural: 'hookruns',
  singular: 'hookrun',
  shortNames: [],
  categories: ['hotpod'],
  scope: 'Namespaced',
  description: 'HookRun is the Schema for the hookruns API',
  spec: hookRunSpec,
  specRequired: true,
  status: hookRunStatus,
  printerColumns: [{ name: 'PHASE', type: 'string', jsonPath: '.status.phase', description: 'The phase of hookruns.' }, AGE],
});

export type HookTemplate = Resource<typeof HookTemplateResource>;
export type HookTemplateInput = ResourceInput<typeof HookTemplateResource>;
export type HookRun = Resource<typeof HookRunResource>;
export type HookRunInput = ResourceInput<typeof HookRunResource>;

const PROVIDERS = ['web', 'prometheus', 'kubernetes', 'exec'] as const;

/**
 * What the schema says, plus what it cannot: metric names unique and present, exactly one
 * provider per metric, durations in Go's syntax, count > 1 only with an interval (BCS's rule).
 */
export function validateHookMetrics(metrics: readonly Record<string, any>[] | undefined, at: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!metrics || metrics.length === 0) return [required(at)];
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    const p = `${at}[${i}]`;
    if (!m?.name) causes.push(required(`${p}.name`));
    else if (seen.has(m.name)) causes.push(invalid(`${p}.name`, m.name, 'metric names must be unique'));
    else seen.add(m.name);
    const providers = PROVIDERS.filter((k) => m?.provider?.[k] != null);
    if (providers.length !== 1) causes.push(invalid(`${p}.provider`, m?.provider ?? {}, 'exactly one of web, prometheus, kubernetes, exec must be set'));
    for (const field of ['interval', 'initialDelay'] as const) {
      const v = m?.[field];
      if (v !== undefined && v !== '' && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(String(v))) causes.push(invalid(`${p}.${field}`, v, 'must be a duration such as 30s, 5m or 1h30m'));
    }
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const expr = m?.[field];
      const err = typeof expr === 'string' && expr.trim() !== '' ? conditionSyntaxError(expr) : undefined;
      if (err) causes.push(invalid(`${p}.${field}`, expr, `does not parse: ${err}`));
    }
    if ((m?.count ?? 0) > 1 && !m?.interval) causes.push(invalid(`${p}.count`, m.count, 'count > 1 needs an interval'));
  });
  return causes;
}

export function validateHookTemplate(t: HookTemplateInput | HookTemplate): FieldCause[] {
  if (!t.spec) return [required('spec')];
  return [...schemaValueErrors(t.spec, hookTemplateSpec, 'spec'), ...validateHookMetrics(t.spec.metrics as Record<string, any>[], 'spec.metrics')];
}

export function validateHookRun(r: HookRunInput | HookRun): FieldCause[] {
  if (!r.spec) return [required('spec')];
  return [...schemaValueErrors(r.spec, hookRunSpec, 'spec'), ...validateHookMetrics(r.spec.metrics as Record<string, any>[], 'spec.metrics')];
}
