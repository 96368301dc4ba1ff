// BlueKing BCS's HookRun, run by hotpod itself (BCS runs it in bcs-hook-operator): the
// measurements of each HookRun taken and assessed until it has a verdict. See README.md.

import { Controller } from '../runtime/index.js';
import type { WorkloadContext } from '../workload/index.js';
import { HOOK_RUN_API_VERSION, HOOK_RUN_KIND, HookRunReconciler } from './reconciler.js';
import type { HookEgress } from './egress.js';

export { HookEgress, LOOPBACK_NETWORKS, ANY_NETWORK } from './egress.js';

export { HookRunReconciler, HOOK_RUN_API_VERSION, HOOK_RUN_KIND } from './reconciler.js';

/** The HookRun controller, wired to the context's informers (not started). */
export function hookRunController(ctx: WorkloadContext, egress?: HookEgress): Controller {
  const hookRuns = ctx.factory.informerFor({ apiVersion: HOOK_RUN_API_VERSION, kind: HOOK_RUN_KIND });
  const reconciler = new HookRunReconciler({ hookRuns, writer: ctx.writer, recorder: ctx.recorder, logger: ctx.logger, egress });
  return new Controller({ name: 'hookrun', reconciler, workers: ctx.workers, logger: ctx.logger }).watchObjects(hookRuns);
}
