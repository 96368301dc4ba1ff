// Which runtimes a node has, in order of preference. An image runs on the first runtime whose
// canRun(image) is true: the process runtime for images in hotpod's image store, the
// simulated runtime for every other image (it takes them all, so it comes last).

import type { Logger } from 'pino';
import type { ContainerRuntime } from './runtime/types.js';
import { ProcessRuntime } from './runtime/process.js';
import { SimulatedRuntime, type SimBehaviour } from './runtime/simulated.js';

export interface RuntimeOptions {
  node: string;
  /** Differs per start of hotpod, so container IDs do too. */
  bootID: string;
  /** hotpod's data directory (the process runtime keeps its image store there). */
  dataDir: string;
  logger: Logger;
  simDefaults?: Partial<SimBehaviour>;
}

/** The one place that lists runtimes. */
export function createRuntimes(opts: RuntimeOptions): ContainerRuntime[] {
  return [new ProcessRuntime({ dataDir: opts.dataDir, logger: opts.logger }), new SimulatedRuntime({ node: opts.node, salt: opts.bootID, defaults: opts.simDefaults })];
}

export function runtimeFor(runtimes: ContainerRuntime[], image: string): ContainerRuntime | undefined {
  return runtimes.find((r) => r.canRun(image));
}
