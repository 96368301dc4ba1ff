// Helpers for the operations tests: controller processes with their endpoints on free loopback
// ports, /metrics scraped and read, and the leader Lease read through the API.
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { WAIT_MS, startControllerProcess, type ControllerProcess, type Json } from '../gameserverset/helpers.js';

export interface ObservedController extends ControllerProcess {
  /** `http://127.0.0.1:PORT` of /metrics */
  metricsUrl: string;
  /** `http://127.0.0.1:PORT` of /healthz and /readyz */
  healthUrl: string;
  /** the Lease holder identity it campaigns as ('' without leader election) */
  identity: string;
  exitCode(): number | null;
}

export async function startObservedController(c: Cluster, args: string[] = [], env: Record<string, string> = {}): Promise<ObservedController> {
  const p = await startControllerProcess(c, [...args, '--metrics-bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0'], env);
  const out = p.logs();
  const metrics = /metrics listening on (http:\/\/\S+)\/metrics/.exec(out);
  const health = /health probes listening on (http:\/\/\S+)\/healthz/.exec(out);
  if (!metrics || !health) throw new Error(`the controller did not print its endpoints:\n${out}`);
  return Object.assign(p, {
    metricsUrl: metrics[1]!,
    healthUrl: health[1]!,
    identity: / as (\S+)\n/.exec(out)?.[1] ?? '',
    exitCode: () => p.proc.exitCode,
  });
}

/** `hotpod controller --leader-elect` with short timings, on the given Lease. */
export function leaderArgs(namespace: string, name: string): string[] {
  // Short enough for a test to see a hand-over; a renew deadline long enough that a busy machine
  // does not make the leader give up on its own.
  return ['--leader-elect', `--leader-elect-namespace=${namespace}`, `--leader-elect-id=${name}`, '--leader-elect-lease-duration=6s', '--leader-elect-renew-deadline=5s', '--leader-elect-retry-period=1s'];
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(`${url}/metrics`);
  if (r.status !== 200) throw new Error(`GET ${url}/metrics -> ${r.status}`);
  return parseMetrics(await r.text());
}

/** The sum of the series of `name` whose labels include `labels`. */
export function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

export function series(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

export async function getLease(c: Cluster, ns: string, name: string): Promise<Json | undefined> {
  try {
    return await apiOk(c, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`);
  } catch {
    return undefined;
  }
}

export async function waitForHolder(c: Cluster, ns: string, name: string, holders: string[]): Promise<Json> {
  return waitFor(
    async () => {
      const l = await getLease(c, ns, name);
      return l && holders.includes(l.spec?.holderIdentity) ? l : undefined;
    },
    `Lease ${ns}/${name} held by one of ${holders.join(', ')}`,
    WAIT_MS,
    200,
  );
}

export async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}
