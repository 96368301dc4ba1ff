// The GameDeployment reconciler: given a key, read the GameDeployment, its pods, its
// ControllerRevisions and the nodes from the caches, decide with the pure planners (canary.ts,
// plan.ts), and carry the decision out through the shared workload layer (revisions, pod
// creation from the template, the pod updater for in-place and hot-patch steps, status counts).

import type { Logger } from 'pino';
import { defaultGameDeployment, validateGameDeployment, type GameDeployment } from '../../api/gamedeployment.js';
import { podIsAvailable, podIsUpdating } from '../../update/availability.js';
import { checkCompletion, confirmPatch, readUpdateState, REVISION_LABEL } from '../../update/in-place.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import { needsReadinessCondition, podRevision, templateImages, type PodUpdatePolicy, type PodUpdateTarget } from '../../update/pod-update-step.js';
import { deepEqual } from '../../util/equal.js';
import { HOT_PATCH_LABEL } from '../../util/vocabulary.js';
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  keyString,
  MERGE_PATCH,
  type EventRecorder,
  type Expectations,
  type Informer,
  type KubeObject,
  type LabelSelector,
  type ObjectKey,
  type Reconciler,
  type ReconcileResult,
  resourceVersionAtLeast,
} from '../runtime/index.js';
import {
  asOwner,
  countPods,
  forEachLimit,
  invalidSpecEvent,
  invalidSpecIsNews,
  invalidSpecMessage,
  nextAvailableInMs,
  podFromTemplate,
  slowStart,
  type ApiWriter,
  type PodUpdater,
  type Revisions,
  type WorkloadOwner,
} from '../workload/index.js';
import { absolutePartition, planCanary } from './canary.js';
import {
  CONDITION_FAILED_SCALE,
  CONDITION_FAILED_UPDATE,
  EVENT,
  GAME_DEPLOYMENT_API_VERSION,
  GAME_DEPLOYMENT_KIND,
  HOT_PATCH_FALLBACK_ANNOTATION,
  HOT_PATCH_FALLBACK_IN_PLACE,
  INSTANCE_ID_LABEL,
  REASON_HOT_PATCH_FAILED,
  REASON_HOT_PATCH_UNSUPPORTED,
  REASON_INVALID_SPEC,
  REASON_NOT_HOT_PATCHABLE,
  REASON_NOT_IN_PLACE,
} from './names.js';
import { planPods, rolloutBudget, type PlanPod, type UpdateType } from './plan.js';
import { newPodName } from './pod-names.js';
import { computeStatus, setCondition, type Condition } from './status.js';
import { rfc3339 } from '../../util/time.js';

type Json = Record<string, any>;

/** Parallel pod writes within one reconcile. */
const WRITE_CONCURRENCY = 16;
/** Look again this often while waiting for something no event announces (a timed-out expectation). */
const SAFETY_REQUEUE_MS = 30_000;

export interface GameDeploymentReconcilerOptions {
  gameDeployments: Informer;
  pods: Informer;
  nodes: Informer;
  revisions: Revisions;
  updater: PodUpdater;
  expectations: Expectations;
  writer: ApiWriter;
  recorder: EventRecorder;
  logger: Logger;
  now?: () => number;
}

/** What stopped pods from updating in this pass, for the FailedUpdate condition. */
interface UpdateProblem {
  reason: string;
  message: string;
}

export class GameDeploymentReconciler implements Reconciler {
  private readonly o: GameDeploymentReconcilerOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Per GameDeployment, the status last written (and whether a pause went with it), until the cache has it. */
  private readonly written = new Map<string, { resourceVersion: string; status: Json; paused: boolean }>();
  /** Per GameDeployment, the FailedUpdate messages already sent as Events. */
  private readonly reported = new Map<string, Set<string>>();

  constructor(opts: GameDeploymentReconcilerOptions) {
    this.o = opts;
    this.log = opts.logger.child({ controller: 'gamedeployment' });
    this.now = opts.now ?? Date.now;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const k = keyString(key);
    const cached = this.o.gameDeployments.cache.get(k);
    if (!cached) {
      this.o.expectations.forget(k);
      this.reported.delete(k);
      this.written.delete(k);
      return;
    }
    if (cached.metadata?.deletionTimestamp) return;
    // Pods are deleted and created from what the cache shows: wait until it shows our last writes.
    if (!this.o.expectations.satisfied(k)) return { requeueAfterMs: SAFETY_REQUEUE_MS };

    const gd = defaultGameDeployment(structuredClone(cached) as unknown as GameDeployment) as unknown as GameDeployment & WorkloadOwner;
    gd.apiVersion ??= GAME_DEPLOYMENT_API_VERSION;
    gd.kind ??= GAME_DEPLOYMENT_KIND;
    const owner = asOwner(gd);
    const now = this.now();
    const nowIso = rfc3339(now);
    const spec = gd.spec;
    // Our last status write (and the pause it went with) until the cache shows it: canary steps
    // must not be taken twice from a status that is one write behind.
    const memo = this.written.get(k);
    if (memo && resourceVersionAtLeast(cached.metadata?.resourceVersion, memo.resourceVersion)) this.written.delete(k);
    else if (memo) {
      gd.status = structuredClone(memo.status) as typeof gd.status;
      if (memo.paused) spec.updateStrategy.paused = true;
    }
    const status = (gd.status ?? {}) as Json;
    let conditions = ((status.conditions ?? []) as Condition[]).map((c) => ({ ...c }));

    const causes = validateGameDeployment(gd);
    if (causes.length) {
      const message = invalidSpecMessage(causes);
      if (invalidSpecIsNews(conditions, message) && !this.reported.get(k)?.has(message)) {
        this.o.recorder.event(owner, 'Warning', EVENT.InvalidSpec, invalidSpecEvent(GAME_DEPLOYMENT_KIND, message));
      }
      this.reported.set(k, new Set([message]));
      conditions = setCondition(conditions, CONDITION_FAILED_UPDATE, { status: 'True', reason: REASON_INVALID_SPEC, message }, nowIso);
      await this.writeStatus(gd, { ...status, observedGeneration: gd.metadata.generation, conditions });
      return;
    }

    const owned = this.o.pods.cache.byController(owner.metadata.uid).filter((p) => p.metadata?.namespace === owner.metadata.namespace);
    let scaleError: string | undefined;

    // Finished pods (evicted, or a restartPolicy that let them end) are replaced, as a ReplicaSet does.
    const finished = owned.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'));
    await forEachLimit(finished, WRITE_CONCURRENCY, async (pod) => {
      if (await this.o.updater.deletePod(owner, pod)) this.o.recorder.event(owner, 'Normal', EVENT.SuccessfulDelete, `succeed to delete pod ${pod.metadata!.name} (${pod.status?.phase})`);
    }).catch((err) => (scaleError = (err as Error).message));
    const finishedNames = new Set(finished.map((p) => p.metadata!.name!));
    const live = owned.filter((p) => !p.metadata?.deletionTimestamp && !finishedNames.has(p.metadata!.name!));

    // Revisions: the template as it is now, and whatever older ones pods still carry.
    const updateTemplate: PodTemplate = { metadata: spec.template.metadata as PodTemplate['metadata'], spec: spec.template.spec as Json };
    const updateRevision = await this.o.revisions.ensure(owner, updateTemplate, spec.selector?.matchLabels ?? {});

    // Canary steps decide the partition (and may pause the rollout).
    const replicas = spec.replicas;
    const type = spec.updateStrategy.type as UpdateType;
    const minReadySeconds = spec.minReadySeconds ?? 0;
    const countsNow = countPods(live, { updateRevision, minReadySeconds, now });
    let paused = spec.updateStrategy.paused === true;
    const canary = planCanary({
      steps: spec.updateStrategy.canary?.steps,
      status,
      updateRevision,
      replicas,
      specPartition: spec.updateStrategy.partition,
      paused,
      updatedReplicas: countsNow.updated,
      updatedReadyReplicas: countsNow.updatedReady,
      now,
    });
    for (const e of canary.events) this.o.recorder.event(owner, e.type, e.reason, e.message);
    let pausedNow = false;
    if (canary.pause && !paused) {
      await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, key, { spec: { updateStrategy: { paused: true } } }, { contentType: MERGE_PATCH });
      paused = true;
      pausedNow = true;
    }

    // Which pods to delete, create and update in this pass.
    const budget = rolloutBudget(replicas, spec.updateStrategy.maxUnavailable, spec.updateStrategy.maxSurge, type);
    const planPods_: PlanPod[] = live.map((pod) => ({
      pod,
      name: pod.metadata!.name!,
      updated: podRevision(pod) === updateRevision,
      // An update the node has not confirmed yet (a hot-patch in flight) uses the budget too.
      available: podIsAvailable(pod, minReadySeconds, now) && checkCompletion(pod).done,
    }));
    const oldRevision = mostCommon(live.map(podRevision).filter((r): r is string => !!r && r !== updateRevision));
    const oldTemplate = oldRevision ? this.o.revisions.templateOf(owner, oldRevision) : undefined;
    const plan = planPods({
      pods: planPods_,
      replicas,
      partition: canary.partition,
      maxUnavailable: budget.maxUnavailable,
      maxSurge: budget.maxSurge,
      type,
      paused,
      podsToDelete: spec.scaleStrategy?.podsToDelete,
      canCreateOld: oldTemplate !== undefined,
    });

    // Deletions: named pods, scale-down, RollingUpdate replacements.
    const deletions: { p: PlanPod; reason: string; message: string }[] = [
      ...plan.deleteNamed.map((p) => ({ p, reason: EVENT.SuccessfulDelete, message: `succeed to delete pod ${p.name}` })),
      ...plan.deleteExcess.map((p) => ({ p, reason: EVENT.SuccessfulDelete, message: `succeed to delete pod ${p.name}` })),
      ...plan.deleteForUpdate.map((p) => ({ p, reason: EVENT.SuccessfulUpdatePodReCreate, message: `successfully delete pod ${p.name} for update` })),
    ];
    await forEachLimit(deletions, WRITE_CONCURRENCY, async ({ p, reason, message }) => {
      try {
        if (await this.o.updater.deletePod(owner, p.pod)) this.o.recorder.event(owner, 'Normal', reason, message);
      } catch (err) {
        this.o.recorder.event(owner, 'Warning', EVENT.FailedDelete, `failed to delete pod ${p.name}: ${(err as Error).message}`);
        throw err;
      }
    }).catch((err) => (scaleError ??= (err as Error).message));

    // Creations, in growing batches so that a create failing for every pod costs one request.
    const taken = new Set(owned.map((p) => p.metadata!.name!));
    const creations: { template: PodTemplate; revision: string }[] = [
      ...Array.from({ length: plan.createOld }, () => ({ template: oldTemplate!, revision: oldRevision! })),
      ...Array.from({ length: plan.createUpdated }, () => ({ template: updateTemplate, revision: updateRevision })),
    ];
    await slowStart(creations, WRITE_CONCURRENCY, async (c) => this.createPod(owner, c.template, c.revision, taken)).catch(
      (err) => (scaleError ??= (err as Error).message),
    );

    // In-place and hot-patch updates, and the pods that need a status write to be in service.
    const problems: UpdateProblem[] = [];
    let requeueAfterMs = canary.requeueAfterMs;
    const wake = (ms: number | undefined) => {
      if (ms !== undefined && ms > 0) requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
    };
    const selected = new Set(plan.updateInPlace.map((p) => p.name));
    const deleted = new Set(deletions.map((d) => d.p.name));
    const hotPatchFailures: string[] = [];
    await forEachLimit(
      live.filter((p) => !deleted.has(p.metadata!.name!)),
      WRITE_CONCURRENCY,
      async (pod) => {
        const name = pod.metadata!.name!;
        const done = checkCompletion(pod);
        const updated = podRevision(pod) === updateRevision;
        if ('failed' in done) {
          // The node restarted the container instead of hot-patching it: say so, and leave the
          // pod until a newer revision replaces the update that failed.
          hotPatchFailures.push(`${name}: ${done.failed}`);
          if (updated || !selected.has(name)) return;
        }
        if (selected.has(name)) {
          const target = this.updateTarget(gd, owner, pod, updateRevision, updateTemplate, type, problems);
          if (!target) return;
          const step = await this.o.updater.advance(owner, pod, target);
          if (step.action === 'refuse') {
            const hot = target.policy === 'HotPatch';
            problems.push({
              reason: hot ? REASON_NOT_HOT_PATCHABLE : REASON_NOT_IN_PLACE,
              message: hot
                ? `failed to update pod ${name} hot-patch: only container images can be hot-patched, but ${step.reason}`
                : `find Pod ${name} update strategy is InPlace but can not update in-place: ${step.reason}`,
            });
          } else if (step.action === 'waitGrace') wake(step.ms);
          return;
        }
        if (this.updateInFlight(pod)) {
          // Finish (or call off) an update started earlier: the pod's own revision is its target.
          const revision = podRevision(pod);
          const template = revision ? this.o.revisions.templateOf(owner, revision) : undefined;
          if (revision && template) {
            const policy: PodUpdatePolicy = readUpdateState(pod)?.method === 'HotPatch' ? 'HotPatch' : 'InPlaceOnly';
            const step = await this.o.updater.advance(owner, pod, { revision, to: template, from: template, images: templateImages(template), policy, gracePeriodSeconds: gracePeriod(gd) });
            if (step.action === 'waitGrace') wake(step.ms);
          }
          return;
        }
        if (needsReadinessCondition(pod)) await this.o.updater.markInService(owner, pod);
      },
    );
    if (hotPatchFailures.length) {
      problems.push({ reason: REASON_HOT_PATCH_FAILED, message: `hot-patch not confirmed by the node: ${hotPatchFailures.sort().join('; ')}` });
    }

    // Conditions, with an Event for each problem when it first appears (not on every pass:
    // Events are rate-limited per object). What was reported is remembered here, and read back
    // from the condition after a restart; the cache may not show our last status write yet.
    const problem = summarize(problems);
    const prevUpdate = conditions.find((c) => c.type === CONDITION_FAILED_UPDATE);
    const reported = this.reported.get(k) ?? new Set(prevUpdate?.status === 'True' ? (prevUpdate.message ?? '').split('\n') : []);
    for (const p of problems) {
      if (reported.has(p.message)) continue;
      const reason = p.reason === REASON_NOT_IN_PLACE ? EVENT.FailedUpdatePodInPlace : EVENT.FailedUpdatePodHotPatch;
      this.o.recorder.event(owner, 'Warning', reason, p.message);
    }
    if (problems.length) this.reported.set(k, new Set(problems.map((p) => p.message)));
    else this.reported.delete(k);
    conditions = setCondition(conditions, CONDITION_FAILED_UPDATE, problem ? { status: 'True', ...problem } : undefined, nowIso);
    const prevScale = conditions.find((c) => c.type === CONDITION_FAILED_SCALE);
    conditions = setCondition(conditions, CONDITION_FAILED_SCALE, scaleError ? { status: 'True', reason: 'FailedScale', message: scaleError } : undefined, nowIso);
    if (scaleError && prevScale?.message !== scaleError) this.log.warn({ gameDeployment: k, err: scaleError }, 'scaling failed');

    // Status from the pods as the cache shows them; our writes show up in the next pass.
    const newStatus = computeStatus({
      generation: gd.metadata.generation,
      selector: spec.selector as LabelSelector,
      pods: owned,
      updateRevision,
      minReadySeconds,
      now,
      collisionCount: status.collisionCount,
      canary: canary.state,
      conditions,
    });
    await this.writeStatus(gd, newStatus, pausedNow || memo?.paused === true);

    // podsToDelete keeps only pods that still exist (BCS truncates the list the same way).
    const toDelete = spec.scaleStrategy?.podsToDelete ?? [];
    const existing = new Set(owned.map((p) => p.metadata!.name!));
    const remaining = toDelete.filter((n) => existing.has(n));
    if (remaining.length !== toDelete.length) {
      try {
        await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, key, {
          metadata: { resourceVersion: gd.metadata.resourceVersion },
          spec: { scaleStrategy: { podsToDelete: remaining } },
        });
      } catch (err) {
        // The user changed the GameDeployment meanwhile: the next pass sees the new list.
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }

    const inUse = new Set<string>([updateRevision, ...owned.map(podRevision).filter((r): r is string => !!r)]);
    await this.o.revisions.prune(owner, inUse, spec.revisionHistoryLimit ?? 10);

    if (scaleError) throw new Error(`GameDeployment ${k}: ${scaleError}`);
    wake(nextAvailableInMs(live, minReadySeconds, now));
    if (problem?.reason === REASON_HOT_PATCH_UNSUPPORTED) wake(SAFETY_REQUEUE_MS);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  /**
   * Where a selected pod goes: the update revision by the strategy's method. A HotPatchUpdate pod
   * on a node without hot-patch support is not restarted behind the user's back: it is left
   * alone (a problem is recorded) unless the GameDeployment opts into restarting it in place.
   */
  private updateTarget(gd: GameDeployment, owner: WorkloadOwner, pod: KubeObject, updateRevision: string, to: PodTemplate, type: UpdateType, problems: UpdateProblem[]): PodUpdateTarget | undefined {
    let policy: PodUpdatePolicy = type === 'HotPatchUpdate' ? 'HotPatch' : 'InPlaceOnly';
    if (policy === 'HotPatch' && pod.spec?.nodeName && !this.nodeSupportsHotPatch(pod.spec.nodeName)) {
      if (gd.metadata?.annotations?.[HOT_PATCH_FALLBACK_ANNOTATION] === HOT_PATCH_FALLBACK_IN_PLACE) {
        policy = 'InPlaceOnly';
      } else {
        problems.push({
          reason: REASON_HOT_PATCH_UNSUPPORTED,
          message:
            `pod ${pod.metadata!.name} runs on node ${pod.spec.nodeName}, which does not support hot-patch (no label ${HOT_PATCH_LABEL}=true): ` +
            `the pod is not updated, so that its containers are not restarted; annotate the GameDeployment with ` +
            `${HOT_PATCH_FALLBACK_ANNOTATION}=${HOT_PATCH_FALLBACK_IN_PLACE} to restart such containers in place instead`,
        });
        return undefined;
      }
    }
    const from = this.o.revisions.templateOf(owner, podRevision(pod));
    return { revision: updateRevision, to, from, images: templateImages(to), policy, gracePeriodSeconds: gracePeriod(gd) };
  }

  private nodeSupportsHotPatch(nodeName: string): boolean {
    return this.o.nodes.cache.get(nodeName)?.metadata?.labels?.[HOT_PATCH_LABEL] === 'true';
  }

  /** An in-place or hot-patch update of the pod's own revision that the node has not finished, or a pod out of service for one. */
  private updateInFlight(pod: KubeObject): boolean {
    if (podIsUpdating(pod)) return true;
    const state = readUpdateState(pod);
    return state !== undefined && state.revision === pod.metadata?.labels?.[REVISION_LABEL] && (!checkCompletion(pod).done || confirmPatch(pod) !== undefined);
  }

  private async createPod(owner: WorkloadOwner, template: PodTemplate, revision: string, taken: Set<string>): Promise<void> {
    const { name, instanceId } = newPodName(owner.metadata.name, (n) => taken.has(n));
    taken.add(name);
    const pod = podFromTemplate({ owner, name, template, revision, labels: { [INSTANCE_ID_LABEL]: instanceId } });
    const ownerKey = keyString({ namespace: owner.metadata.namespace, name: owner.metadata.name });
    const podKey = { namespace: owner.metadata.namespace, name };
    this.o.expectations.expectCreate(ownerKey, podKey);
    try {
      await this.o.writer.create(pod);
    } catch (err) {
      this.o.expectations.cancel(ownerKey, podKey, 'create');
      // A name taken meanwhile: the next pass picks another.
      if (isAlreadyExists(err)) return;
      this.o.recorder.event(owner, 'Warning', EVENT.FailedCreate, `failed to create pod ${name}: ${(err as Error).message}`);
      throw err;
    }
    this.o.recorder.event(owner, 'Normal', EVENT.SuccessfulCreate, `succeed to create pod ${name}`);
  }

  /** Writes the status if it changed, and remembers it until the cache shows it. */
  private async writeStatus(gd: GameDeployment, next: Json, paused = false): Promise<void> {
    const prev = (gd.status ?? {}) as Json;
    if (deepEqual(prev, next)) return;
    const patch: Json = { ...next };
    for (const key of Object.keys(prev)) if (!(key in next)) patch[key] = null;
    const k = keyString({ namespace: gd.metadata.namespace!, name: gd.metadata.name! });
    try {
      const written = await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, { namespace: gd.metadata.namespace!, name: gd.metadata.name! }, { status: patch }, { status: true });
      if (written.metadata?.resourceVersion) this.written.set(k, { resourceVersion: written.metadata.resourceVersion, status: written.status ?? next, paused });
    } catch (err) {
      this.written.delete(k);
      if (!isNotFound(err)) throw err;
    }
  }
}

function gracePeriod(gd: GameDeployment): number {
  return gd.spec.updateStrategy.inPlaceUpdateStrategy?.gracePeriodSeconds ?? 0;
}

/** One condition for several problems: the first kind found, every message. */
function summarize(problems: UpdateProblem[]): UpdateProblem | undefined {
  if (!problems.length) return undefined;
  const sorted = [...problems].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return { reason: sorted[0]!.reason, message: sorted.map((p) => p.message).join('\n') };
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)!) best = v;
  return best;
}

