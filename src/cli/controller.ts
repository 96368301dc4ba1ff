// `hotpod controller [--kubeconfig PATH]`: the operator alone, against any cluster (a kubeconfig,
// KUBECONFIG, ~/.kube/config, or the in-cluster service account), in the foreground until
// SIGINT or SIGTERM. It expects hotpod's CRDs to be installed (`hotpod up` installs them).

import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { startController } from '../controller/index.js';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return n;
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run the GameServerSet, GameServer and GameDeployment controllers against a cluster, in the foreground')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster config)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .addOption(new Option('--workers <n>', 'parallel reconciles per controller').argParser(positive).default(4))
    .action(async (opts: { kubeconfig?: string; logLevel: string; workers: number }) => {
      const logger = pino({ level: opts.logLevel }, pino.destination(2));
      const running = await startController({ kubeconfig: opts.kubeconfig, logger, workers: opts.workers });
      // One line on stdout once the caches are filled and the workers run, for scripts to wait on.
      process.stdout.write(`hotpod controller running against ${running.server}\n`);
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
