// Which runtimes a node has, in order of preference. An image runs on the first runtime whose
// canRun(image) is true: the process runtime for images in hotpod's image store, the
// simulated runtime for every other image (it takes them all, so it comes last).

import type { Logger } from 'pino';
import type { ContainerRuntime } from './runtime/types.js';
import { ProcessRuntime } from './runtime/process.js';
import { SimulatedRuntime, type SimBehaviour } from './runtime/simulated.js';

interface RuntimeOptions {
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

/**
 * The message of the event that says which runtime a container's image went to. A misspelt
 * image, or one built into another data dir, still runs (simulated), so this is where a user
 * learns that it is not the process they meant.
 */
export function runtimeChoiceMessage(runtimes: ContainerRuntime[], chosen: ContainerRuntime, image: string): string {
  const store = runtimes.find((r): r is ProcessRuntime => r instanceof ProcessRuntime);
  if (chosen === store) return `image "${image}" is in the image store at ${store.images.root}: running it as a process`;
  if (store) return `image "${image}" is not in the image store at ${store.images.root}: running it on the ${chosen.name} runtime`;
  return `running image "${image}" on the ${chosen.name} runtime`;
}
