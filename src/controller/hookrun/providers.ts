// Taking one measurement of a HookRun metric, by its provider, as BCS's hook operator does:
// `web` (a GET, its JSON body cut by a Kubernetes JSONPath template), `prometheus` (an instant
// query against the server's HTTP API: a scalar or a vector of numbers), `kubernetes` (get or
// patch annotations of the run's pod, or of the object its Group/Version/Kind args name),
// `exec` (a command in a container of the run's pod, through pods/exec). `{{ args.X }}` in the
// URL, headers and query is filled from the run's args. A measurement that cannot be taken is
// Error, with the reason as its message; it never throws.

import { evalJsonPath } from '../../util/jsonpath.js';
import { rfc3339 } from '../../util/time.js';
import { evaluateResult } from './conditions.js';
import type { HookRunSpec, Measurement, Metric } from './run-plan.js';
import { HookEgress } from './egress.js';
import type { ApiWriter } from '../workload/api-writer.js';
import { JSON_PATCH } from '../../kube/index.js';

const LOOPBACK_ONLY = new HookEgress();

type Json = Record<string, any>;

const WEB_TIMEOUT_S = 10;
const PROMETHEUS_TIMEOUT_MS = 30_000;
const EXEC_TIMEOUT_MS = 30_000;

/** The providers this runner has; the others are named in the measurement's Error. */
export const SUPPORTED_PROVIDERS = ['web', 'prometheus', 'kubernetes', 'exec'] as const;

/** What a measurement may reach: the networks (web, prometheus) and the API (kubernetes). */
export interface MeasureContext {
  egress: HookEgress;
  writer?: ApiWriter;
}

/** `{{ args.name }}` filled from the run's args; an arg without a value, or an unknown one, is an error. */
export function resolveArgs(template: string, args: HookRunSpec['args']): string {
  const values = new Map((args ?? []).map((a) => [a.name, a.value]));
  return template.replace(/\{\{([^}]*)\}\}/g, (_, tag: string) => {
    const key = tag.trim();
    const name = key.startsWith('args.') ? key.slice(5) : undefined;
    if (name === undefined || !values.has(name)) throw new Error(`failed to resolve {{${tag}}}`);
    const value = values.get(name);
    if (value === undefined) throw new Error(`argument "${name}" was not supplied`);
    return value;
  });
}

export async function measure(spec: HookRunSpec, metric: Metric, now: () => number = Date.now, ctx: MeasureContext = { egress: LOOPBACK_ONLY }): Promise<Measurement> {
  const startedAt = rfc3339(now());
  try {
    const provider = metric.provider as Json;
    const taken = provider.web
      ? await web(spec, metric, provider.web, ctx.egress)
      : provider.prometheus
        ? await prometheus(spec, metric, provider.prometheus, ctx.egress)
        : provider.kubernetes
          ? await kubernetes(spec, provider.kubernetes, ctx.writer)
          : provider.exec
            ? await exec(spec, metric, provider.exec, ctx.writer)
            : unsupported(provider);
    return { ...taken, startedAt, finishedAt: rfc3339(now()) };
  } catch (err) {
    return { phase: 'Error', message: (err as Error).message, startedAt, finishedAt: rfc3339(now()) };
  }
}

function unsupported(provider: Json): never {
  const names = Object.keys(provider).filter((k) => provider[k] != null);
  throw new Error(`provider ${names.join(', ') || '(none)'} is not supported by hotpod yet (supported: ${SUPPORTED_PROVIDERS.join(', ')})`);
}

async function web(spec: HookRunSpec, metric: Metric, conf: Json, egress: HookEgress): Promise<Omit<Measurement, 'startedAt' | 'finishedAt'>> {
  const url = resolveArgs(String(conf.url ?? ''), spec.args);
  await egress.check(url);
  const headers: Record<string, string> = {};
  for (const h of (conf.headers ?? []) as Json[]) headers[String(h.key)] = resolveArgs(String(h.value ?? ''), spec.args);
  const timeoutS = Number(conf.timeoutSeconds) > 0 ? Number(conf.timeoutSeconds) : WEB_TIMEOUT_S;
  // Redirects are not followed: a redirect could lead outside the networks hooks may reach.
  const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutS * 1000) }).catch((err: Error) => {
    throw new Error(`GET ${url}: ${err.name === 'TimeoutError' ? `no answer within ${timeoutS} s` : (err.cause as Error)?.message ?? err.message}`);
  });
  const body = await res.text();
  if (res.status < 200 || res.status >= 300) throw new Error(`received non 2xx response code: ${res.status}`);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new Error(`could not parse the JSON body: ${body.slice(0, 200)}`);
  }
  const found = evalJsonPath(data, String(conf.jsonPath ?? '{$}'));
  if (found.length === 0) throw new Error(`could not find JSONPath ${conf.jsonPath} in the body`);
  const value = found.map(jsonPathText).join(' ');
  const verdict = evaluateResult(metric, value);
  return { phase: verdict.phase, value, ...(verdict.message ? { message: verdict.message } : {}) };
}

/** How kubectl's JSONPath prints a value: strings as they are, anything else as JSON. */
function jsonPathText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

async function prometheus(spec: HookRunSpec, metric: Metric, conf: Json, egress: HookEgress): Promise<Omit<Measurement, 'startedAt' | 'finishedAt'>> {
  const query = resolveArgs(String(conf.query ?? ''), spec.args);
  const base = String(conf.address ?? '').replace(/\/+$/, '');
  await egress.check(base);
  const url = `${base}/api/v1/query?${new URLSearchParams({ query })}`;
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(PROMETHEUS_TIMEOUT_MS) }).catch((err: Error) => {
    throw new Error(`prometheus ${base}: ${(err.cause as Error)?.message ?? err.message}`);
  });
  const answer = (await res.json().catch(() => ({}))) as Json;
  if (answer.status !== 'success') throw new Error(`prometheus query ${JSON.stringify(query)}: ${answer.error ?? `HTTP ${res.status}`}`);
  const data = answer.data ?? {};
  let numbers: number[];
  let value: string;
  let result: number | number[];
  if (data.resultType === 'scalar') {
    value = String(data.result?.[1]);
    numbers = [Number(value)];
    result = numbers[0]!;
  } else if (data.resultType === 'vector') {
    numbers = ((data.result ?? []) as Json[]).map((s) => Number(s.value?.[1]));
    value = `[${((data.result ?? []) as Json[]).map((s) => String(s.value?.[1])).join(',')}]`;
    result = numbers;
  } else {
    throw new Error(`Prometheus metric type not supported: ${data.resultType}`);
  }
  // NaN is no answer either way.
  if (numbers.some((n) => Number.isNaN(n))) return { phase: 'Inconclusive', value };
  const verdict = evaluateResult(metric, result);
  return { phase: verdict.phase, value, ...(verdict.message ? { message: verdict.message } : {}) };
}

/**
 * BCS's kubernetes provider: the object is the run's pod (args PodNamespace, PodName) unless
 * args Group, Version and Kind name another kind; each field is `metadata.annotations.<key>`.
 * `get`: every annotation has its value (else the measurement is Error, and is taken again);
 * `patch`: every annotation is set. Either way a measurement that completes is Successful.
 */
async function kubernetes(spec: HookRunSpec, conf: Json, writer: ApiWriter | undefined): Promise<Omit<Measurement, 'startedAt' | 'finishedAt'>> {
  if (!writer) throw new Error('the kubernetes provider needs the API, which this runner was not given');
  const arg = (name: string) => (spec.args ?? []).find((a) => a.name === name)?.value ?? '';
  const [group, version, kind] = [arg('Group'), arg('Version'), arg('Kind')];
  const apiVersion = group || version || kind ? (group ? `${group}/${version}` : version) : 'v1';
  const objectKind = group || version || kind ? kind : 'Pod';
  const key = { namespace: arg('PodNamespace'), name: arg('PodName') };
  if (!key.namespace) throw new Error('Namespace must be provided (arg PodNamespace)');
  if (!key.name) throw new Error('Name must be provided (arg PodName)');
  const fields = (conf.fields ?? []) as { path?: string; value?: string }[];
  if (fields.length === 0) throw new Error('Fields are empty');
  const keys = fields.map((f) => {
    const path = String(f.path ?? '');
    if (!path.startsWith('metadata.annotations.') || path.length === 'metadata.annotations.'.length) throw new Error(`Path only supports format: <metadata.annotations.xxx>. Now is ${path}`);
    return { key: path.slice('metadata.annotations.'.length), path, value: String(f.value ?? '') };
  });
  const object = await writer.client.get(apiVersion, objectKind, key).catch((err: Error) => {
    throw new Error(`Failed to get Kubernetes object ${objectKind} ${key.namespace}/${key.name}: ${err.message}`);
  });
  if (conf.function === 'get') {
    const annotations = (object.metadata?.annotations ?? {}) as Record<string, string>;
    for (const k of keys) {
      if (!(k.key in annotations)) throw new Error(`Get failed. Path: ${k.path} is not exist`);
      if (annotations[k.key] !== k.value) throw new Error(`Get failed. Path: ${k.path}, want: ${k.value}, now: ${annotations[k.key]}`);
    }
    return { phase: 'Successful', value: keys.map((k) => annotations[k.key]).join(' ') };
  }
  if (conf.function === 'patch') {
    // One JSON patch, "add" per annotation (BCS's operation); the map is made first when absent.
    const ops: Json[] = object.metadata?.annotations ? [] : [{ op: 'add', path: '/metadata/annotations', value: {} }];
    for (const k of keys) ops.push({ op: 'add', path: `/metadata/annotations/${k.key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: k.value });
    await writer.patch(apiVersion, objectKind, key, ops, { contentType: JSON_PATCH, purpose: 'hookKubernetesPatch' }).catch((err: Error) => {
      throw new Error(`Failed to patch ${objectKind} ${key.namespace}/${key.name}: ${err.message}`);
    });
    return { phase: 'Successful', value: keys.map((k) => `${k.key}=${k.value}`).join(' ') };
  }
  throw new Error(`Function ${conf.function} is not supported by kubernetes provider (get or patch)`);
}

/**
 * BCS's exec provider: the command, exec'd (no shell), in the container of the run's pod (args
 * PodNamespace, PodName). Exit code 0 is healthy: Successful, or what the conditions say of its
 * output when the metric has conditions; any other exit code is Failed.
 */
async function exec(spec: HookRunSpec, metric: Metric, conf: Json, writer: ApiWriter | undefined): Promise<Omit<Measurement, 'startedAt' | 'finishedAt'>> {
  if (!writer) throw new Error('the exec provider needs the API, which this runner was not given');
  const arg = (name: string) => (spec.args ?? []).find((a) => a.name === name)?.value ?? '';
  const [namespace, pod] = [arg('PodNamespace'), arg('PodName')];
  if (!namespace || !pod) throw new Error('the exec provider runs in the run\'s pod: args PodNamespace and PodName must be set');
  const command = ((conf.command ?? []) as unknown[]).map(String);
  if (!command.length) throw new Error('exec: no command');
  const r = await writer.client.exec(namespace, pod, String(conf.container ?? ''), command, { timeoutMs: EXEC_TIMEOUT_MS });
  const value = r.stdout.trim();
  if (r.exitCode !== 0) return { phase: 'Failed', value, message: `command exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
  const verdict = metric.successCondition || metric.failureCondition ? evaluateResult(metric, value) : { phase: 'Successful' as const };
  return { phase: verdict.phase, value, ...('message' in verdict && verdict.message ? { message: verdict.message } : {}) };
}
