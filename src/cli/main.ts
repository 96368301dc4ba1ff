#!/usr/bin/env node
// The `hotpod` command.

import { Command, InvalidArgumentError } from 'commander';
import { up } from './up.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const program = new Command();
program.name('hotpod').description('Game server workloads that update in place, on Kubernetes or on an embedded control plane').version('0.1.0');

program
  .command('up')
  .description('start the embedded control plane in the foreground and write DIR/kubeconfig')
  .option('--data-dir <dir>', 'where state, credentials and the kubeconfig live', '.hotpod')
  .option('--port <n>', 'API server port (0 picks a free one)', port, 6443)
  .option('--address <ip>', 'address to listen on', '127.0.0.1')
  .option('--in-memory', 'keep objects in memory only (nothing persists across restarts)', false)
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
  .action(async (opts) => {
    await up(opts);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`hotpod: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
