// The hotpod controller process: the runtime's Manager (one connection, shared informers, one
// event recorder) with the workload controllers added. `hotpod controller` and `hotpod up` both
// start it through startController.

import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { Manager, createClients, type ApiRequest } from './runtime/index.js';
import { createWorkloadContext, type WriteCounts } from './workload/index.js';
import { gameServerSetControllers } from './gameserverset/index.js';
import { gameDeploymentController } from './gamedeployment/index.js';

export interface StartControllerOptions {
  /** A kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** An already loaded kubeconfig (takes precedence over `kubeconfig`). */
  kubeConfig?: KubeConfig;
  logger: Logger;
  /** Parallel reconciles per controller. Default 4. */
  workers?: number;
  /** See GameServerReconcilerOptions.transientStateDelayMs (default 1000). */
  transientStateDelayMs?: number;
  /** How long to wait for the first lists (the CRDs must be installed). Default 120 s. */
  cacheSyncTimeoutMs?: number;
  /** Told of every API request the controller sends (see ClientOptions.onRequest). */
  onRequest?: (req: ApiRequest) => void;
}

export interface RunningController {
  /** The API server the controller talks to. */
  server: string;
  /** Writes sent so far by the workload controllers, by kind and verb (Events not included). */
  writes(): WriteCounts;
  /** Stops taking work, lets running reconciles finish, flushes events, closes the watches. */
  stop(): Promise<void>;
}

/** Starts every controller; resolves once their caches are filled and their workers run. */
export async function startController(opts: StartControllerOptions): Promise<RunningController> {
  const clients = createClients({ kubeconfig: opts.kubeconfig, kubeConfig: opts.kubeConfig, onRequest: opts.onRequest });
  const manager = new Manager({ clients, logger: opts.logger, cacheSyncTimeoutMs: opts.cacheSyncTimeoutMs });
  const ctx = createWorkloadContext({ manager, workers: opts.workers });
  for (const c of gameServerSetControllers(ctx, { transientStateDelayMs: opts.transientStateDelayMs })) manager.add(c);
  manager.add(gameDeploymentController(ctx));
  try {
    await manager.start();
  } catch (err) {
    await manager.stop();
    throw err;
  }
  return {
    server: clients.server,
    writes: () => ctx.writer.snapshot(),
    async stop() {
      await manager.stop();
      opts.logger.info({ writes: ctx.writer.snapshot() }, 'controller stopped');
    },
  };
}
