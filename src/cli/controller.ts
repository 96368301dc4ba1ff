// `hotpod controller`: the operator alone, against any cluster (a kubeconfig, KUBECONFIG,
// ~/.kube/config, or the in-cluster service account), in the foreground until SIGINT or SIGTERM.
// It expects hotpod's CRDs to be installed (`hotpod up` installs them). Flags are named as
// controller-runtime's operators name them, so a Deployment reads as Kubernetes users expect.

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { startController } from '../controller/index.js';
import { HookEgress, LOOPBACK_NETWORKS } from '../controller/hookrun/index.js';
import { parseBindAddress, validateLeaderElection } from '../controller/runtime/index.js';
import { parseGoDuration } from '../util/duration.js';
import { DEFAULT_HOST_PORT_RANGE, networkWaitFromEnv, parsePortRange, type PortRange } from '../controller/network/index.js';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

/** `127.0.0.0/8,::1/128`: each a CIDR (checked by HookEgress). */
function networks(value: string): string[] {
  const list = value.split(',').map((n) => n.trim()).filter(Boolean);
  try {
    new HookEgress(list);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return list;
}

/** `8000-9000`: Kubernetes-HostPort's host ports. */
export function portRange(value: string): PortRange {
  try {
    return parsePortRange(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A Go duration (`15s`, `1m30s`, `500ms`), in ms. */
export function parseDuration(value: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch {
    throw new InvalidArgumentError('must be a duration such as 15s, 500ms or 1m30s');
  }
  if (!(ms > 0)) throw new InvalidArgumentError('must be longer than 0');
  return ms;
}

/** commander's parser for `host:port`, `:port` or `0`. */
export function bindAddress(value: string): string {
  try {
    parseBindAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** POD_NAMESPACE (the downward API), else the service account's namespace, else `default`. */
function defaultLeaseNamespace(): string {
  if (process.env.POD_NAMESPACE?.trim()) return process.env.POD_NAMESPACE.trim();
  try {
    const ns = readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return 'default';
}

interface ControllerFlags {
  kubeconfig?: string;
  logLevel: string;
  workers: number;
  leaderElect: boolean;
  leaderElectId: string;
  leaderElectNamespace?: string;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  kubeApiQps: number;
  kubeApiBurst: number;
  hookNetworks: string[];
  hostPortRange: PortRange;
}

export function registerControllerCommand(program: Command): void {
  const cmd = program
    .command('controller')
    .description('run the GameServerSet, GameServer and GameDeployment controllers against a cluster, in the foreground')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster config)')
    .addOption(new Option('--log-level <level>', 'JSON logs on stderr from this level up').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'))
    .addOption(new Option('--workers <n>', 'parallel reconciles per controller').argParser(positive).default(4))
    .option('--leader-elect', 'reconcile only while holding the leader Lease, so several replicas can run', false)
    .option('--leader-elect-id <name>', 'name of the coordination.k8s.io/v1 Lease', 'hotpod-controller')
    .option('--leader-elect-namespace <ns>', 'namespace of the Lease (default: POD_NAMESPACE, the service account namespace, or default)')
    .addOption(new Option('--leader-elect-lease-duration <duration>', 'how long a Lease holds without renewal; standbys wait this long after the last renewal').argParser(parseDuration).default(15_000, '15s'))
    .addOption(new Option('--leader-elect-renew-deadline <duration>', 'how long the leader retries renewing before it gives up and exits').argParser(parseDuration).default(10_000, '10s'))
    .addOption(new Option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire and the leader renews').argParser(parseDuration).default(2_000, '2s'))
    .addOption(new Option('--metrics-bind-address <address>', 'where /metrics is served (host:port or :port; 0 turns it off)').argParser(bindAddress).default(':8080'))
    .addOption(new Option('--health-probe-bind-address <address>', 'where /healthz and /readyz are served (0 turns them off)').argParser(bindAddress).default(':8081'))
    .addOption(new Option('--kube-api-qps <n>', 'client-side limit on API requests per second (watches not counted)').argParser(positiveNumber).default(50))
    .addOption(new Option('--kube-api-burst <n>', 'requests allowed above --kube-api-qps in a burst').argParser(positive).default(100))
    .addOption(new Option('--hook-networks <cidrs>', 'comma-separated networks HookRun measurements (web, prometheus) may connect to').argParser(networks).default(LOOPBACK_NETWORKS, LOOPBACK_NETWORKS.join(',')))
    .addOption(
      new Option('--host-port-range <min-max>', "host ports Kubernetes-HostPort hands out (OpenKruiseGame's [kubernetes.hostPort] min_port, max_port)")
        .argParser(portRange)
        .default(DEFAULT_HOST_PORT_RANGE, `${DEFAULT_HOST_PORT_RANGE.min}-${DEFAULT_HOST_PORT_RANGE.max}`),
    );
  // A bad flag value is a usage error: one line, exit code 2.
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  cmd.action(async (opts: ControllerFlags) => {
    const logger = pino({ level: opts.logLevel }, pino.destination(2));
    const election = {
      leaseDurationMs: opts.leaderElectLeaseDuration,
      renewDeadlineMs: opts.leaderElectRenewDeadline,
      retryPeriodMs: opts.leaderElectRetryPeriod,
    };
    if (opts.leaderElect) {
      try {
        validateLeaderElection(election);
      } catch (err) {
        cmd.error(`error: ${(err as Error).message}`, { exitCode: 2 });
      }
    }
    let networkWait;
    try {
      networkWait = networkWaitFromEnv(process.env);
    } catch (err) {
      cmd.error(`error: ${(err as Error).message}`, { exitCode: 2 });
    }
    const running = await startController({
      kubeconfig: opts.kubeconfig,
      logger,
      workers: opts.workers,
      qps: opts.kubeApiQps,
      burst: opts.kubeApiBurst,
      metricsBindAddress: opts.metricsBindAddress,
      healthProbeBindAddress: opts.healthProbeBindAddress,
      hookNetworks: opts.hookNetworks,
      hostPortRange: opts.hostPortRange,
      networkWait,
      leaderElection: opts.leaderElect ? { namespace: opts.leaderElectNamespace ?? defaultLeaseNamespace(), name: opts.leaderElectId, ...election } : undefined,
    });
    // Lines on stdout for scripts: where the endpoints are, then that the caches are filled (a
    // standby prints it too: it is ready, and leads once the Lease is free).
    if (running.metricsUrl) process.stdout.write(`metrics listening on ${running.metricsUrl}/metrics\n`);
    if (running.healthUrl) process.stdout.write(`health probes listening on ${running.healthUrl}/healthz\n`);
    process.stdout.write(`hotpod controller running against ${running.server}${running.identity ? ` as ${running.identity}` : ''}\n`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await running.stop();
      logger.flush();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}
