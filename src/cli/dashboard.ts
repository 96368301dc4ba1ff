// `hotpod dashboard`: the web view of the fleet (src/dashboard) in the foreground, acting with the
// kubeconfig's credentials, until SIGINT or SIGTERM. `hotpod up --dashboard-port N` starts the
// same server with the embedded plane's admin kubeconfig.

import type { Command } from 'commander';
import { pino } from 'pino';
import { startDashboard } from '../dashboard/server.js';
import { KubeClient, loadKubeConfig } from '../kube/index.js';
import { CliError, runCommand } from './workloads.js';

export function registerDashboardCommand(program: Command, port: (v: string) => number): void {
  program
    .command('dashboard')
    .description('serve the fleet view (sets, servers, rollouts, Events; opsState and rollout actions) with the kubeconfig’s credentials')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--address <ip>', 'address to listen on (the dashboard acts with your credentials: keep it on loopback)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', port, 8000)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .action((opts: { kubeconfig?: string; address: string; port: number; logLevel: string }) =>
      runCommand(async () => {
        const logger = pino({ level: opts.logLevel }, pino.destination(2));
        let client: KubeClient;
        try {
          client = new KubeClient({ kubeConfig: loadKubeConfig({ kubeconfig: opts.kubeconfig }) });
        } catch (err) {
          throw new CliError(`error: ${(err as Error).message}`);
        }
        const dashboard = await startDashboard({ client, address: opts.address, port: opts.port, logger }).catch((err: Error) => {
          throw new CliError(`error: dashboard did not start: ${err.message}`);
        });
        process.stdout.write(`dashboard listening on ${dashboard.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void dashboard.stop().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
