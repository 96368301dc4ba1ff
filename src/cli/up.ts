// `hotpod up`: the embedded control plane and its nodes in the foreground until SIGINT or
// SIGTERM. The nodes reach the control plane only through the kubeconfig it writes.

import { pino } from 'pino';
import { startControlPlane } from '../apiserver/index.js';
import { startNodesThread, type NodesThread } from '../node/thread.js';
import { startController, type RunningController } from '../controller/index.js';
import { installCrds } from '../controller/install-crds.js';
import { KubeClient } from '../kube/index.js';
import { startDashboard, type Dashboard } from '../dashboard/server.js';
import { lockDataDir } from './data-dir-lock.js';
import { networkWaitFromEnv, type PortRange } from '../controller/network/index.js';

interface UpOptions {
  dataDir: string;
  port: number;
  address: string;
  inMemory: boolean;
  logLevel: string;
  /** Embedded nodes to start (0: the control plane alone). */
  nodes: number;
  /** Nodes support hot-patch (`--no-hot-patch` turns it off). */
  hotPatch: boolean;
  maxPods: number;
  /** Base of the crash-restart and image-pull back-offs (kubelet: 10 s). */
  backoffBaseMs: number;
  simStartDelayMs: number;
  simReadyDelayMs: number;
  /** Start the controller in this process (`--no-controller`: run `hotpod controller` yourself). */
  controller: boolean;
  /** Serve the dashboard too, on this port of `address` (undefined: no dashboard). */
  dashboardPort?: number;
  /** The in-process controller's /metrics and probe endpoints ('0': none, the default). */
  metricsBindAddress?: string;
  healthProbeBindAddress?: string;
  /** The in-process controller's Kubernetes-HostPort range. */
  hostPortRange?: PortRange;
}

export async function up(opts: UpOptions): Promise<void> {
  const logger = pino({ level: opts.logLevel }, pino.destination(2));
  // Released when the process exits, however it exits.
  lockDataDir(opts.dataDir);
  let plane;
  try {
    plane = await startControlPlane({
      dataDir: opts.dataDir,
      port: opts.port,
      address: opts.address,
      inMemory: opts.inMemory,
      watchHistoryBytes: envBytes('HOTPOD_WATCH_HISTORY_BYTES'),
      watchSendBufferBytes: envBytes('HOTPOD_WATCH_BUFFER_BYTES'),
      logger,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`port ${opts.port} on ${opts.address} is already in use (try --port 0 or another port)`);
    if (e.code === 'EACCES') throw new Error(`not allowed to listen on ${opts.address}:${opts.port}`);
    throw err;
  }
  logger.info({ url: plane.url, dataDir: opts.dataDir, inMemory: opts.inMemory }, 'control plane ready');
  let nodes: NodesThread;
  // Without its nodes the cluster would go on accepting pods that never start: a thread that
  // dies stops hotpod with an error (until the shutdown below is set up, it is only logged).
  let onNodesCrash = (err: Error) => logger.error({ err: err.message }, 'embedded nodes stopped with an error');
  try {
    const backoff = { baseMs: opts.backoffBaseMs, maxMs: Math.max(opts.backoffBaseMs, 300_000) };
    // On a thread of their own, so pods start at the pace of a second core rather than between
    // the API server's requests.
    nodes = await startNodesThread(
      {
        kubeconfigPath: plane.kubeconfigPath,
        dataDir: opts.dataDir,
        count: opts.nodes,
        hotPatch: opts.hotPatch,
        logLevel: opts.logLevel,
        resources: { pods: opts.maxPods },
        simDefaults: { startDelayMs: opts.simStartDelayMs, readyDelayMs: opts.simReadyDelayMs },
        crashBackoff: backoff,
        pullBackoff: backoff,
      },
      (err) => onNodesCrash(err),
    );
  } catch (err) {
    await plane.close();
    throw new Error(`embedded nodes did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  logger.info({ nodes: opts.nodes, hotPatch: opts.hotPatch }, 'nodes ready');
  // The CRDs, then the controller, both through the kubeconfig as any client would: KUBECONFIG=
  // is printed once a GameServerSet can be applied and will be acted on.
  let controller: RunningController | undefined;
  let dashboard: Dashboard | undefined;
  try {
    await installCrds({ client: new KubeClient({ kubeconfig: plane.kubeconfigPath }), logger });
    if (opts.controller) {
      controller = await startController({
        kubeconfig: plane.kubeconfigPath,
        logger,
        metricsBindAddress: opts.metricsBindAddress,
        healthProbeBindAddress: opts.healthProbeBindAddress,
        hostPortRange: opts.hostPortRange,
        networkWait: networkWaitFromEnv(process.env),
      });
      if (controller.metricsUrl) process.stdout.write(`metrics listening on ${controller.metricsUrl}/metrics\n`);
    }
    if (opts.dashboardPort !== undefined) {
      dashboard = await startDashboard({ client: new KubeClient({ kubeconfig: plane.kubeconfigPath }), address: opts.address, port: opts.dashboardPort, logger });
      process.stdout.write(`dashboard listening on ${dashboard.url}\n`);
    }
  } catch (err) {
    await controller?.stop();
    await nodes.close();
    await plane.close();
    throw new Error(`controller did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.stdout.write(`KUBECONFIG=${plane.kubeconfigPath}\n`);

  let stopping = false;
  const stop = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await dashboard?.stop();
    await controller?.stop();
    await nodes.close();
    await plane.close();
    logger.flush();
    process.exit(exitCode);
  };
  onNodesCrash = (err) => {
    logger.error({ err: err.message }, 'embedded nodes stopped with an error');
    process.stderr.write(`hotpod: embedded nodes stopped: ${err.message}\n`);
    void stop('nodes stopped', 1);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** A byte count from the environment (tests shrink the watch limits with these); unset: the default. */
function envBytes(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive number of bytes, got "${raw}"`);
  return n;
}
