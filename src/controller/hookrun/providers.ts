// Taking one measurement of a HookRun metric, by its provider, as BCS's hook operator does:
// `web` (a GET, its JSON body cut by a Kubernetes JSONPath template), `prometheus` (an instant
// query against the server's HTTP API: a scalar or a vector of numbers). `{{ args.X }}` in the
// URL, headers and query is filled from the run's args. A measurement that cannot be taken is
// Error, with the reason as its message; it never throws.

import { evalJsonPath } from '../../util/jsonpath.js';
import { rfc3339 } from '../../util/time.js';
import { evaluateResult } from './conditions.js';
import type { HookRunSpec, Measurement, Metric } from './run-plan.js';
import { HookEgress } from './egress.js';

const LOOPBACK_ONLY = new HookEgress();

type Json = Record<string, any>;

const WEB_TIMEOUT_S = 10;
const PROMETHEUS_TIMEOUT_MS = 30_000;

/** The providers this runner has; the others are named in the measurement's Error. */
export const SUPPORTED_PROVIDERS = ['web', 'prometheus'] as const;

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

export async function measure(spec: HookRunSpec, metric: Metric, now: () => number = Date.now, egress: HookEgress = LOOPBACK_ONLY): Promise<Measurement> {
  const startedAt = rfc3339(now());
  try {
    const provider = metric.provider as Json;
    const taken = provider.web ? await web(spec, metric, provider.web, egress) : provider.prometheus ? await prometheus(spec, metric, provider.prometheus, egress) : unsupported(provider);
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
