// BlueKing BCS's GameDeployment on the shared workload layer. See README.md.

import { Controller, Expectations } from '../runtime/index.js';
import { keyOf, type KubeObject, type ObjectKey } from '../../kube/index.js';
import { PodUpdater, Revisions, type WorkloadContext } from '../workload/index.js';
import { CONDITION_FAILED_HOOK, CONDITION_FAILED_UPDATE, GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, REASON_HOT_PATCH_UNSUPPORTED } from './names.js';
import { GameDeploymentReconciler } from './reconciler.js';
import { HOOK_RUN_API_VERSION, HOOK_RUN_KIND } from '../hookrun/index.js';
import { HOOK_TEMPLATE_KIND, PodHooks } from '../hookrun/pod-hooks.js';
import { INSTANCE_ID_LABEL } from './names.js';

export { GameDeploymentReconciler } from './reconciler.js';
export { planCanary, stepPartition, stepsHash } from './canary.js';
export { planPods, rolloutBudget } from './plan.js';
export { computeStatus } from './status.js';
export * from './names.js';

/** BCS's event messages for the shared PodUpdater's successful updates. */
const bcsMessage = (method: 'hot-patch' | 'in-place' | 'recreate', pod: string): string =>
  method === 'recreate' ? `successfully delete pod ${pod} for update` : `successfully update pod ${pod} ${method}`;

/** The GameDeployment controller, wired to the context's informers (not started). */
export function gameDeploymentController(ctx: WorkloadContext): Controller {
  const log = ctx.logger;
  const gameDeployments = ctx.factory.informerFor({ apiVersion: GAME_DEPLOYMENT_API_VERSION, kind: GAME_DEPLOYMENT_KIND });
  const nodes = ctx.factory.informerFor({ apiVersion: 'v1', kind: 'Node' });
  const hookRuns = ctx.factory.informerFor({ apiVersion: HOOK_RUN_API_VERSION, kind: HOOK_RUN_KIND });
  const templates = ctx.factory.informerFor({ apiVersion: HOOK_RUN_API_VERSION, kind: HOOK_TEMPLATE_KIND });
  const expectations = new Expectations({
    cache: ctx.pods.cache,
    onTimeout: (owner, p) => log.warn({ owner, child: p.key, kind: p.kind, ageMs: p.ageMs }, 'expected write never showed in the cache; acting again'),
  });
  const reconciler = new GameDeploymentReconciler({
    gameDeployments,
    pods: ctx.pods,
    nodes,
    revisions: new Revisions(ctx.writer, ctx.revisions.cache),
    updater: new PodUpdater({ metrics: ctx.manager.metrics, writer: ctx.writer, expectations, recorder: ctx.recorder, logger: log, successMessage: bcsMessage }),
    expectations,
    writer: ctx.writer,
    recorder: ctx.recorder,
    logger: log,
    hooks: new PodHooks({ writer: ctx.writer, templates, hookRuns, instanceLabel: INSTANCE_ID_LABEL }),
  });
  const owner = { apiVersion: GAME_DEPLOYMENT_API_VERSION, kind: GAME_DEPLOYMENT_KIND };
  // A node that gains (or loses) hot-patch support matters to GameDeployments stopped on it.
  const stoppedOnNodes = (_node: KubeObject): ObjectKey[] =>
    gameDeployments.cache
      .list()
      .filter((gd) => ((gd.status?.conditions ?? []) as { type: string; status: string; reason?: string }[]).some((c) => c.type === CONDITION_FAILED_UPDATE && c.status === 'True' && c.reason === REASON_HOT_PATCH_UNSUPPORTED))
      .map(keyOf);
  // A HookTemplate that appears (or changes) matters to the GameDeployments of its namespace waiting on it.
  const waitingOnTemplates = (t: KubeObject): ObjectKey[] =>
    gameDeployments.cache
      .list()
      .filter((gd) => gd.metadata?.namespace === t.metadata?.namespace && ((gd.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === CONDITION_FAILED_HOOK && c.status === 'True'))
      .map(keyOf);
  return new Controller({ name: 'gamedeployment', reconciler, workers: ctx.workers, logger: log })
    .watchObjects(gameDeployments)
    .watchOwned(ctx.pods, owner)
    .watchOwned(ctx.revisions, owner)
    .watchOwned(hookRuns, owner)
    .watchMapped(nodes, stoppedOnNodes)
    .watchMapped(templates, waitingOnTemplates);
}
