#!/usr/bin/env node
// The `hotpod` command.

import { Command, InvalidArgumentError, Option } from 'commander';
import { up } from './up.js';
import { registerImageCommands } from './image.js';
import { registerNodeCommands } from './node-ps.js';
import { bindAddress, portRange, registerControllerCommand } from './controller.js';
import { registerGetCommand } from './get.js';
import { registerRolloutCommands } from './rollout.js';
import { registerDashboardCommand } from './dashboard.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

const program = new Command();
program.name('hotpod').description('Game server workloads that update in place, on Kubernetes or on an embedded control plane').version('0.1.0');

program
  .command('up')
  .description('start the embedded control plane and its nodes in the foreground and write DIR/kubeconfig')
  .option('--data-dir <dir>', 'where state, credentials and the kubeconfig live', '.hotpod')
  .option('--port <n>', 'API server port (0 picks a free one)', port, 6443)
  .option('--address <ip>', 'address to listen on', '127.0.0.1')
  .option('--in-memory', 'keep objects in memory only (nothing persists across restarts)', false)
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
  .addOption(new Option('--nodes <n>', 'embedded nodes to start (0: none, no scheduler)').argParser(count).default(3).env('HOTPOD_NODES'))
  .option('--no-hot-patch', 'start the nodes without hot-patch support (no hotpod.dev/hot-patch label; env HOTPOD_NO_HOT_PATCH=true)')
  .addOption(new Option('--max-pods <n>', 'pods each node accepts').argParser(count).default(110).env('HOTPOD_MAX_PODS'))
  .addOption(new Option('--backoff-base-ms <ms>', "first delay of the crash-restart and image-pull back-offs (kubelet's 10 s; lower it for tests)").argParser(count).default(10_000).env('HOTPOD_BACKOFF_BASE_MS'))
  .addOption(new Option('--sim-start-delay-ms <ms>', 'simulated containers: default time from start to running').argParser(count).default(0).env('HOTPOD_SIM_START_DELAY_MS'))
  .addOption(new Option('--sim-ready-delay-ms <ms>', 'simulated containers: default time from running to ready').argParser(count).default(0).env('HOTPOD_SIM_READY_DELAY_MS'))
  .option('--no-controller', 'start without the controller (run `hotpod controller` separately; env HOTPOD_NO_CONTROLLER=true)')
  .addOption(new Option('--metrics-bind-address <address>', "the in-process controller's /metrics (host:port or :port; 0: off)").argParser(bindAddress).default('0'))
  .addOption(new Option('--health-probe-bind-address <address>', "the in-process controller's /healthz and /readyz (0: off)").argParser(bindAddress).default('0'))
  .addOption(new Option('--dashboard-port <n>', 'also serve `hotpod dashboard` on --address at this port, with the admin kubeconfig (0 picks a free one)').argParser(port))
  .addOption(new Option('--host-port-range <min-max>', "the in-process controller's Kubernetes-HostPort host ports (default 8000-9000)").argParser(portRange).env('HOTPOD_HOST_PORT_RANGE'))
  .action(async (opts) => {
    // commander would take any value of a boolean's env var as "set", `false` included.
    if (envTrue('HOTPOD_NO_HOT_PATCH')) opts.hotPatch = false;
    if (envTrue('HOTPOD_NO_CONTROLLER')) opts.controller = false;
    await up(opts);
  });

function envTrue(name: string): boolean {
  return ['1', 'true', 'yes'].includes((process.env[name] ?? '').trim().toLowerCase());
}

registerImageCommands(program);
registerNodeCommands(program);
registerControllerCommand(program);
registerGetCommand(program);
registerRolloutCommands(program);
registerDashboardCommand(program, port);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`hotpod: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
