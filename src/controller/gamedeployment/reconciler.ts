// The GameDeployment reconciler: given a key, read the GameDeployment, its pods, its
// ControllerRevisions and the nodes from the caches, decide with the pure planners (canary.ts,
// plan.ts), and carry the decision out through the shared workload layer (revisions, pod
// creation, the pod updater, status counts, one Event per new problem). A pass, once the pod
// cache shows every write of the passes before (expectations):
//
//   1. observe     the GameDeployment (with our last status write, until the cache shows it),
//                  its pods, the update revision
//   2. canary      the step in force: the partition, and a pause it may write
//   3. scale       finished and named pods deleted, the count brought to replicas, RollingUpdate
//                  replacements (planPods)
//   4. roll out    every live pod gets a target (the update revision for the pods planPods
//                  picked, its own otherwise) and goes one step towards it through `advance`
//   5. conditions  FailedUpdate and FailedScale, with a Warning Event per new problem
//   6. status      counts and canary state, then podsToDelete trimmed and old revisions pruned

import type { LabelSelector } from '../../util/label-selector.js';
import type { Logger } from 'pino';
import { defaultGameDeployment, validateGameDeployment, type GameDeployment } from '../../api/gamedeployment.js';
import { fieldsNotActedOn } from '../../api/field-support.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import { podImages, podRevision, templateImages, type PodUpdatePolicy, type PodUpdateTarget } from '../../update/pod-update-step.js';
import { deepEqual } from '../../util/equal.js';
import { GS_OPS_STATE_LABEL, HOT_PATCH_LABEL } from '../../util/vocabulary.js';
import { podIsUpdating } from '../../update/availability.js';
import {
  allocatedUpdateConfig,
  allocatedVerdict,
  allocatedWaitingMessage,
  deadlineEnds,
  pendingMarksPatch,
  UPDATE_PENDING_SINCE_ANNOTATION,
  type AllocatedUpdateConfig,
  type AllocatedVerdict,
} from '../../update/allocation-gate.js';
import { type Expectations, type Reconciler, type ReconcileResult, resourceVersionAtLeast } from '../runtime/index.js';
import { isConflict, isNotFound, keyString, MERGE_PATCH, type EventRecorder, type Informer, type KubeObject, type ObjectKey } from '../../kube/index.js';
import {
  asOwner,
  conditionProblems,
  countPods,
  forEachLimit,
  invalidSpecMessage,
  nextAvailableInMs,
  PodCreator,
  podFromTemplate,
  podIsSettled,
  ProblemEvents,
  reportInvalidSpec,
  slowStart,
  type ApiWriter,
  type PodUpdater,
  type Revisions,
  type WorkloadOwner,
} from '../workload/index.js';
import { planCanary, type CanaryDecision } from './canary.js';
import { COMPLETED_PHASES, HOOK_RUN_CANARY_STEP, HOOK_RUN_REVISION_LABEL, HOOK_RUN_STEP_INDEX_LABEL, HOOK_RUN_TYPE_LABEL, hookConditions, hookGate, postInplaceDue, runsToPrune, type HookGate, type HookMoment } from '../../update/hook-gate.js';
import { readUpdateState } from '../../update/in-place.js';
import { HOOK_FIELD, HookNotStarted, type PodHooks } from '../hookrun/pod-hooks.js';
import {
  CONDITION_ALLOCATED_UPDATE_WAITING,
  CONDITION_FAILED_HOOK,
  CONDITION_FAILED_SCALE,
  CONDITION_FAILED_UPDATE,
  CONDITION_NOT_ACTED_ON,
  EVENT,
  GAME_DEPLOYMENT_API_VERSION,
  GAME_DEPLOYMENT_KIND,
  HOT_PATCH_FALLBACK_ANNOTATION,
  HOT_PATCH_FALLBACK_IN_PLACE,
  INSTANCE_ID_LABEL,
  REASON_HOT_PATCH_FAILED,
  REASON_INVALID_INDEX_RANGE,
  REASON_HOT_PATCH_UNSUPPORTED,
  REASON_NOT_HOT_PATCHABLE,
  REASON_NOT_IN_PLACE,
} from './names.js';
import { createBatchSize, planPods, rolloutBudget, type Plan, type PlanPod, type UpdateType } from './plan.js';
import { newPodName } from './pod-names.js';
import { annotationsNotRead } from './not-acted-on.js';
import { costSortMethod, nodeDeletionCost } from './ordering.js';
import { freeIndexes, indexConfig, withPodIndex, type IndexConfig } from './pod-index.js';
import { currentRevision } from './current-revision.js';
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
  /** BCS hooks: the runs of the GameDeployment's pods and canary steps. */
  hooks: PodHooks;
  now?: () => number;
}

/** How each moment reads in messages. */
const MOMENT_TEXT: Record<HookMoment, string> = { preDelete: 'pre-delete', preInplace: 'pre-inplace', postInplace: 'post-inplace' };

/** What stopped pods from updating in this pass, for the FailedUpdate condition. */
interface UpdateProblem {
  reason: string;
  message: string;
}

type Defaulted = GameDeployment & WorkloadOwner;

/** planPods' answer, with the old revision new pods may be created at (while the partition is short of old pods). */
type PassPlan = Plan & { old?: { revision: string; template: PodTemplate } };

/** One pass over one GameDeployment: what observe read, and what the steps after it found. */
interface Pass {
  key: ObjectKey;
  gd: Defaulted;
  owner: WorkloadOwner;
  now: number;
  /** The status conditions as the pass found them. */
  conditions: Condition[];
  /** Every pod the GameDeployment controls, terminating ones included. */
  owned: KubeObject[];
  /** Not terminating, not finished (Failed, Succeeded). */
  live: KubeObject[];
  finished: KubeObject[];
  updateTemplate: PodTemplate;
  updateRevision: string;
  /** status.currentRevision: what the partition's old pods are made from (the update revision once none is old). */
  currentRevision: string;
  /** Our own pause (a canary step's) is still to be remembered with the status write. */
  paused: boolean;
  /** The first scaling write that failed: the FailedScale condition, and the pass's error. */
  scaleError?: string;
  /** BCS's pod index, as the annotations ask for it; with an error nothing is scaled (FailedScale). */
  index: IndexConfig;
  problems: UpdateProblem[];
  requeueAfterMs?: number;
  /** hotpod.dev/allocated-update, and each live pod's verdict under it (by name). */
  allocated: AllocatedUpdateConfig;
  verdicts: Map<string, AllocatedVerdict>;
  /** Pods whose update waits for them to leave Allocated (AllocatedUpdateWaiting). */
  waiting: string[];
  /** The HookRuns the GameDeployment owns (pods' and canary steps'). */
  runs: KubeObject[];
  /** Hooks that hold pods and need a person: a run that failed, a template that is missing. */
  hookProblems: string[];
}

export class GameDeploymentReconciler implements Reconciler {
  private readonly o: GameDeploymentReconcilerOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Per GameDeployment, the status last written (and whether a pause went with it), until the cache has it. */
  private readonly written = new Map<string, { resourceVersion: string; status: Json; paused: boolean }>();
  private readonly problems: ProblemEvents;
  private readonly notActedOn: ProblemEvents;
  private readonly hookEvents: ProblemEvents;
  private readonly scaleEvents: ProblemEvents;
  private readonly creator: PodCreator;

  constructor(opts: GameDeploymentReconcilerOptions) {
    this.o = opts;
    this.log = opts.logger.child({ controller: 'gamedeployment' });
    this.now = opts.now ?? Date.now;
    this.problems = new ProblemEvents(opts.recorder);
    this.notActedOn = new ProblemEvents(opts.recorder);
    this.hookEvents = new ProblemEvents(opts.recorder);
    this.scaleEvents = new ProblemEvents(opts.recorder);
    this.creator = new PodCreator({
      writer: opts.writer,
      expectations: opts.expectations,
      recorder: opts.recorder,
      nameTaken: 'retry',
      created: (_owner, pod) => `succeed to create pod ${pod}`,
      failed: (_owner, pod, why) => `failed to create pod ${pod}: ${why}`,
    });
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const k = keyString(key);
    const cached = this.o.gameDeployments.cache.get(k);
    if (!cached) return this.forget(k);
    if (cached.metadata?.deletionTimestamp) return;
    // Pods are deleted and created from what the cache shows: wait until it shows our last writes.
    if (!this.o.expectations.satisfied(k)) return { requeueAfterMs: SAFETY_REQUEUE_MS };
    const { gd, paused } = this.read(k, cached);
    const causes = validateGameDeployment(gd);
    if (causes.length) return this.refuseInvalidSpec(gd, invalidSpecMessage(causes));

    const pass = await this.observe(key, gd, paused);
    const canary = await this.canary(pass);
    const plan = this.plan(pass, canary);
    const deleted = await this.scale(pass, plan);
    await this.rollOut(pass, new Set(plan.updateInPlace.map((p) => p.name)), deleted, new Set(plan.held.map((p) => p.name)));
    const conditions = this.conditions(pass);
    await this.writeStatus(gd, this.status(pass, canary, conditions), pass.paused);
    await this.trimPodsToDelete(pass);
    await this.pruneRevisions(pass);
    await this.pruneHookRuns(pass);

    if (pass.scaleError) throw new Error(`GameDeployment ${k}: ${pass.scaleError}`);
    wake(pass, nextAvailableInMs(pass.live, gd.spec.minReadySeconds ?? 0, pass.now));
    if (pass.problems.some((p) => p.reason === REASON_HOT_PATCH_UNSUPPORTED)) wake(pass, SAFETY_REQUEUE_MS);
    return pass.requeueAfterMs !== undefined ? { requeueAfterMs: pass.requeueAfterMs } : undefined;
  }

  private forget(k: string): void {
    this.o.expectations.forget(k);
    this.problems.forget(k);
    this.notActedOn.forget(k);
    this.hookEvents.forget(k);
    this.scaleEvents.forget(k);
    this.written.delete(k);
  }

  // -------------------------------------------------------------------------------------------
  // observe

  /**
   * The defaulted GameDeployment, with our last status write (and the pause it went with) until
   * the cache shows it: canary steps must not be taken twice from a status one write behind.
   * `paused`: a pause of ours to carry on remembering.
   */
  private read(k: string, cached: KubeObject): { gd: Defaulted; paused: boolean } {
    const gd = defaultGameDeployment(structuredClone(cached) as unknown as GameDeployment) as unknown as Defaulted;
    gd.apiVersion ??= GAME_DEPLOYMENT_API_VERSION;
    gd.kind ??= GAME_DEPLOYMENT_KIND;
    const memo = this.written.get(k);
    if (memo && resourceVersionAtLeast(cached.metadata?.resourceVersion, memo.resourceVersion)) this.written.delete(k);
    else if (memo) {
      gd.status = structuredClone(memo.status) as typeof gd.status;
      if (memo.paused) gd.spec.updateStrategy.paused = true;
    }
    return { gd, paused: memo?.paused === true };
  }

  private async observe(key: ObjectKey, gd: Defaulted, paused: boolean): Promise<Pass> {
    const owner = asOwner(gd);
    const owned = this.o.pods.cache.byController(owner.metadata.uid).filter((p) => p.metadata?.namespace === owner.metadata.namespace);
    const running = owned.filter((p) => !p.metadata?.deletionTimestamp);
    const isFinished = (p: KubeObject) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
    // Revisions: the template as it is now; pods carry older ones as their own.
    const updateTemplate: PodTemplate = { metadata: gd.spec.template.metadata as PodTemplate['metadata'], spec: gd.spec.template.spec as Json };
    const updateRevision = await this.o.revisions.ensure(owner, updateTemplate, gd.spec.selector?.matchLabels ?? {});
    const now = this.now();
    const live = running.filter((p) => !isFinished(p));
    const allocated = allocatedUpdateConfig(gd.metadata?.annotations);
    const verdicts = new Map(live.map((p) => [p.metadata!.name!, allocatedVerdict(allocated, p.metadata?.labels?.[GS_OPS_STATE_LABEL], p.metadata?.annotations?.[UPDATE_PENDING_SINCE_ANNOTATION], now)]));
    return {
      key,
      gd,
      owner,
      now,
      conditions: (((gd.status ?? {}) as Json).conditions ?? []).map((c: Condition) => ({ ...c })),
      owned,
      live,
      finished: running.filter(isFinished),
      updateTemplate,
      updateRevision,
      currentRevision: currentRevision({
        updateRevision,
        previous: ((gd.status ?? {}) as Json).currentRevision,
        podRevisions: live.map(podRevision),
        order: this.o.revisions.list(owner).map((r) => r.metadata!.name!),
      }),
      paused,
      problems: [],
      allocated,
      verdicts,
      waiting: [],
      runs: this.o.hooks.runsOf(owner),
      hookProblems: [],
      index: indexConfig(owner.metadata.name, gd.metadata?.annotations, gd.spec.replicas),
    };
  }

  // -------------------------------------------------------------------------------------------
  // canary

  /** The canary step in force, its Events, and the `paused: true` a pause step writes. */
  private async canary(pass: Pass): Promise<CanaryDecision & { paused: boolean }> {
    const { spec } = pass.gd;
    const counts = countPods(pass.live, { updateRevision: pass.updateRevision, minReadySeconds: spec.minReadySeconds ?? 0, now: pass.now });
    const paused = spec.updateStrategy.paused === true;
    const canary = planCanary({
      steps: spec.updateStrategy.canary?.steps,
      status: (pass.gd.status ?? {}) as Json,
      updateRevision: pass.updateRevision,
      replicas: spec.replicas,
      specPartition: spec.updateStrategy.partition,
      paused,
      updatedReplicas: counts.updated,
      updatedReadyReplicas: counts.updatedReady,
      now: pass.now,
      stepRuns: this.stepRuns(pass),
    });
    if (canary.startHook) await this.startStepHook(pass, canary.startHook);
    for (const e of canary.events) this.o.recorder.event(pass.owner, e.type, e.reason, e.message);
    // The first reason of the pass to look again (a timed pause), taken as it is.
    pass.requeueAfterMs = canary.requeueAfterMs;
    if (!canary.pause || paused) return { ...canary, paused };
    await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, pass.key, { spec: { updateStrategy: { paused: true } } }, { contentType: MERGE_PATCH });
    pass.paused = true;
    return { ...canary, paused: true };
  }

  /** The update revision's canary-step runs, by step index. */
  private stepRuns(pass: Pass): Map<number, { name: string; phase: string }> {
    const out = new Map<number, { name: string; phase: string }>();
    for (const r of pass.runs) {
      const l = r.metadata?.labels ?? {};
      if (l[HOOK_RUN_TYPE_LABEL] !== HOOK_RUN_CANARY_STEP || l[HOOK_RUN_REVISION_LABEL] !== pass.updateRevision || r.metadata?.deletionTimestamp) continue;
      out.set(Number(l[HOOK_RUN_STEP_INDEX_LABEL]), { name: r.metadata!.name!, phase: (r.status?.phase as string) || 'Pending' });
    }
    return out;
  }

  private async startStepHook(pass: Pass, start: NonNullable<CanaryDecision['startHook']>): Promise<void> {
    const labels = { [HOOK_RUN_REVISION_LABEL]: pass.updateRevision, [HOOK_RUN_TYPE_LABEL]: HOOK_RUN_CANARY_STEP, [HOOK_RUN_STEP_INDEX_LABEL]: String(start.index) };
    try {
      const created = await this.o.hooks.startStep(pass.owner, start.runName, labels, start.step.hook as { templateName: string });
      if (created) this.o.recorder.event(pass.owner, 'Normal', 'SuccessfulCreateHookRun', `created HookRun ${start.runName} for canary step ${start.index}`);
    } catch (err) {
      if (!(err instanceof HookNotStarted)) throw err;
      pass.hookProblems.push(`canary step ${start.index}: ${err.message}`);
    }
  }

  /**
   * A pod's hook that is not open yet: start its run, start a failed one over (retry), or note a
   * failed one for the FailedHook condition. The pod is left as it is in every case.
   */
  private async actOnHook(pass: Pass, pod: KubeObject, gate: Exclude<HookGate, { kind: 'open' }>): Promise<void> {
    const name = pod.metadata!.name!;
    if (gate.kind === 'start') {
      try {
        if (await this.o.hooks.start(pass.owner, pod, gate.moment, gate.step)) {
          this.o.recorder.event(pass.owner, 'Normal', 'SuccessfulCreateHookRun', `created the ${MOMENT_TEXT[gate.moment]} HookRun of pod ${name} (${HOOK_FIELD[gate.moment]})`);
        }
      } catch (err) {
        if (!(err instanceof HookNotStarted)) throw err;
        pass.hookProblems.push(`pod ${name}: ${err.message}`);
      }
      return;
    }
    if (gate.retry) {
      await this.o.hooks.deleteRuns([{ metadata: { name: gate.run } }], pass.owner.metadata.namespace, 'hookRun.retry');
      this.o.recorder.event(pass.owner, 'Normal', 'RetryHookRun', `the ${MOMENT_TEXT[gate.moment]} HookRun ${gate.run} of pod ${name} is ${gate.phase}: deleted, to run again (retry: true)`);
      return;
    }
    if (COMPLETED_PHASES.has(gate.phase) && gate.moment !== 'postInplace') {
      const field = HOOK_FIELD[gate.moment].replace(/\.hook$/, '');
      pass.hookProblems.push(`pod ${name}: the ${MOMENT_TEXT[gate.moment]} HookRun ${gate.run} is ${gate.phase}, so the pod is left as it is: delete the HookRun to run it again, or set ${field}.retry: true`);
    }
  }

  /** Which hook an update of the pod waits for: pre-inplace if set (hot-patch: only that), else pre-delete (BCS). */
  private updateHook(pass: Pass, pod: KubeObject): HookGate {
    const { spec } = pass.gd as Json;
    const preInplace = spec.preInplaceUpdateStrategy;
    if (spec.updateStrategy.type === 'HotPatchUpdate' || preInplace?.hook) return hookGate('preInplace', preInplace, pod, INSTANCE_ID_LABEL, pass.runs);
    return hookGate('preDelete', spec.preDeleteUpdateStrategy, pod, INSTANCE_ID_LABEL, pass.runs);
  }

  /** A pod's post-inplace run, once it is back in service after an in-place or hot-patch update. */
  private async postInplace(pass: Pass, pod: KubeObject): Promise<void> {
    const strategy = (pass.gd.spec as Json).postInplaceUpdateStrategy;
    if (!strategy?.hook || !postInplaceDue(pod, readUpdateState(pod)?.revision, podIsUpdating(pod))) return;
    const gate = hookGate('postInplace', strategy, pod, INSTANCE_ID_LABEL, pass.runs);
    if (gate.kind !== 'open') await this.actOnHook(pass, pod, gate);
  }

  // -------------------------------------------------------------------------------------------
  // scale

  /** Which pods to delete, create and update in this pass. */
  private plan(pass: Pass, canary: { partition: number; paused: boolean }): PassPlan {
    const { spec } = pass.gd;
    const type = spec.updateStrategy.type as UpdateType;
    const minReadySeconds = spec.minReadySeconds ?? 0;
    const budget = rolloutBudget(spec.replicas, spec.updateStrategy.maxUnavailable, spec.updateStrategy.maxSurge, type);
    const pods: PlanPod[] = pass.live.map((pod) => ({
      pod,
      name: pod.metadata!.name!,
      updated: podRevision(pod) === pass.updateRevision,
      available: podIsSettled(pod, minReadySeconds, pass.now),
      held: pass.verdicts.get(pod.metadata!.name!)?.kind === 'hold' && !podIsUpdating(pod),
      allocated: pass.allocated.policy === 'Wait' && pod.metadata?.labels?.[GS_OPS_STATE_LABEL] === 'Allocated',
      nodeCost: pod.spec?.nodeName ? nodeDeletionCost(this.o.nodes.cache.get(pod.spec.nodeName)) : undefined,
      starting: !podHasStarted(pod),
    }));
    const oldRevision = pass.currentRevision !== pass.updateRevision ? pass.currentRevision : undefined;
    const oldTemplate = oldRevision ? this.o.revisions.templateOf(pass.owner, oldRevision) : undefined;
    const plan = planPods({
      pods,
      replicas: spec.replicas,
      partition: canary.partition,
      maxUnavailable: budget.maxUnavailable,
      maxSurge: budget.maxSurge,
      type,
      paused: canary.paused,
      podsToDelete: spec.scaleStrategy?.podsToDelete,
      canCreateOld: oldTemplate !== undefined,
      costSortMethod: costSortMethod(pass.gd.metadata?.annotations),
      createBatch: createBatchSize(spec.replicas, spec.scaleStrategy?.createBatch),
    });
    return { ...plan, old: oldRevision && oldTemplate ? { revision: oldRevision, template: oldTemplate } : undefined };
  }

  /**
   * Deletes finished pods (replaced, as a ReplicaSet does), named ones, the excess and
   * RollingUpdate replacements; then creates the missing. Returns the names deleted.
   */
  private async scale(pass: Pass, plan: PassPlan): Promise<Set<string>> {
    // A bad index range: BCS's operator scales nothing until it is fixed (the annotation's change wakes us).
    if ('error' in pass.index) return new Set();
    const failed = (err: unknown) => void (pass.scaleError ??= (err as Error).message);
    const finished = pass.finished.map((pod) => ({ pod, reason: EVENT.SuccessfulDelete, message: `succeed to delete pod ${pod.metadata!.name} (${pod.status?.phase})` }));
    await this.deletePods(pass.owner, finished).catch(failed);
    const planned = [
      ...[...plan.deleteNamed, ...plan.deleteExcess].map((p) => ({ pod: p.pod, reason: EVENT.SuccessfulDelete, message: `succeed to delete pod ${p.name}` })),
      ...plan.deleteForUpdate.map((p) => ({ pod: p.pod, reason: EVENT.SuccessfulUpdatePodReCreate, message: `successfully delete pod ${p.name} for update` })),
    ];
    for (const p of plan.deleteForUpdate) this.reportDeadline(pass, p.pod, 'recreate');
    // The pre-delete hook: a pod goes once its run is Successful; until then it stays, running.
    const cleared: typeof planned = [];
    for (const d of planned) {
      const gate = hookGate('preDelete', (pass.gd.spec as Json).preDeleteUpdateStrategy, d.pod, INSTANCE_ID_LABEL, pass.runs);
      if (gate.kind === 'open') cleared.push(d);
      else await this.actOnHook(pass, d.pod, gate);
    }
    await this.deletePods(pass.owner, cleared, true).catch(failed);

    // In growing batches, so that a create failing for every pod costs one request.
    const taken = new Set(pass.owned.map((p) => p.metadata!.name!));
    let creations: { template: PodTemplate; revision: string; index?: number }[] = [
      ...Array.from({ length: plan.createOld }, () => plan.old!),
      ...Array.from({ length: plan.createUpdated }, () => ({ template: pass.updateTemplate, revision: pass.updateRevision })),
    ];
    const range = pass.index.on && 'start' in pass.index ? pass.index : undefined;
    if (range) {
      // Terminating pods keep their indexes; past the free ones a pod is made without (as BCS's:
      // waiting instead would stall a surge whose range has no room for it).
      const free = freeIndexes(range.start, range.end, pass.owned);
      creations = creations.map((c, i) => ({ ...c, index: free[i] }));
    }
    await slowStart(creations, WRITE_CONCURRENCY, async (c) => {
      const { name, instanceId } = newPodName(pass.owner.metadata.name, (n) => taken.has(n));
      taken.add(name);
      const pod = podFromTemplate({ owner: pass.owner, name, template: c.template, revision: c.revision, labels: { [INSTANCE_ID_LABEL]: instanceId }, readinessGate: !pass.gd.spec.disableReadinessGate });
      await this.creator.create(pass.owner, c.index === undefined ? pod : withPodIndex(pod, c.index));
      if (range && c.index === undefined) {
        this.o.recorder.event(pass.owner, 'Warning', EVENT.PodIndexExhausted, `pod ${name} created without a pod index: every index of [${range.start}, ${range.end}) is held by a pod, terminating ones included`);
      }
    }).catch(failed);
    return new Set(cleared.map((d) => d.pod.metadata!.name!));
  }

  /** `warn`: a delete that fails also gets a FailedDelete Event (a finished pod's shows in FailedScale only). */
  private async deletePods(owner: WorkloadOwner, deletions: { pod: Json; reason: string; message: string }[], warn = false): Promise<void> {
    await forEachLimit(deletions, WRITE_CONCURRENCY, async ({ pod, reason, message }) => {
      try {
        if (await this.o.updater.deletePod(owner, pod)) this.o.recorder.event(owner, 'Normal', reason, message);
      } catch (err) {
        if (warn) this.o.recorder.event(owner, 'Warning', EVENT.FailedDelete, `failed to delete pod ${pod.metadata!.name}: ${(err as Error).message}`);
        throw err;
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // roll out

  /**
   * Every live pod not deleted in this pass, one step towards its target: the update revision for
   * the pods planPods picked, its own revision for the rest (which finishes or calls off an
   * update under way). A pod at its target is brought into service if it is new.
   */
  private async rollOut(pass: Pass, selected: Set<string>, deleted: Set<string>, held: Set<string>): Promise<void> {
    const failures: string[] = [];
    const pods = pass.live.filter((p) => !deleted.has(p.metadata!.name!));
    await forEachLimit(pods, WRITE_CONCURRENCY, async (pod) => {
      const name = pod.metadata!.name!;
      const update = selected.has(name) ? this.updateTarget(pass, pod) : undefined;
      const target = update ?? stayTarget(pass.gd, pod);
      // Without a revision label a pod has nothing to aim at: it is only brought into service.
      if (!target) return void (await this.o.updater.markInService(pass.owner, pod));
      const verdict = pass.verdicts.get(name) ?? { kind: 'open' };
      if (update && verdict.kind === 'hold') update.holdDisruption = verdict.reason;
      if (update) update.hook = this.updateHook(pass, pod);
      const step = await this.o.updater.advance(pass.owner, pod, target);
      if (step.action === 'startHook' || step.action === 'waitHookRun') await this.actOnHook(pass, pod, step.gate);
      await this.postInplace(pass, pod);
      this.reportDeadline(pass, pod, step.action);
      await this.markUpdatePending(pass, pod, step.action === 'holdUpdate' || held.has(name));
      if (step.action === 'refuse') pass.problems.push(refusal(pod, target.policy, step.reason));
      else if (step.action === 'waitGrace') wake(pass, step.ms);
      // The node restarted the container instead of hot-patching it: the pod stays as it is
      // until a newer revision replaces the update that failed.
      else if (step.action === 'failed') failures.push(`${pod.metadata!.name}: ${step.message}`);
      else if (step.action === 'none') await this.o.updater.markInService(pass.owner, pod);
    });
    if (failures.length) {
      pass.problems.push({ reason: REASON_HOT_PATCH_FAILED, message: `hot-patch not confirmed by the node: ${failures.sort().join('; ')}` });
    }
  }

  /**
   * Where a selected pod goes: the update revision by the strategy's method. A HotPatchUpdate pod
   * on a node without hot-patch support is not restarted behind the user's back: it stays where
   * it is (a problem is recorded) unless the GameDeployment opts into restarting it in place.
   */
  private updateTarget(pass: Pass, pod: KubeObject): PodUpdateTarget | undefined {
    const { gd, owner } = pass;
    let policy: PodUpdatePolicy = gd.spec.updateStrategy.type === 'HotPatchUpdate' ? 'HotPatch' : 'InPlaceOnly';
    if (policy === 'HotPatch' && pod.spec?.nodeName && !this.nodeSupportsHotPatch(pod.spec.nodeName)) {
      if (gd.metadata?.annotations?.[HOT_PATCH_FALLBACK_ANNOTATION] !== HOT_PATCH_FALLBACK_IN_PLACE) {
        pass.problems.push({
          reason: REASON_HOT_PATCH_UNSUPPORTED,
          message:
            `pod ${pod.metadata!.name} runs on node ${pod.spec.nodeName}, which does not support hot-patch (no label ${HOT_PATCH_LABEL}=true): ` +
            `the pod is not updated, so that its containers are not restarted; annotate the GameDeployment with ` +
            `${HOT_PATCH_FALLBACK_ANNOTATION}=${HOT_PATCH_FALLBACK_IN_PLACE} to restart such containers in place instead`,
        });
        return undefined;
      }
      policy = 'InPlaceOnly';
    }
    const to = pass.updateTemplate;
    const from = this.o.revisions.templateOf(owner, podRevision(pod));
    return { revision: pass.updateRevision, to, from, images: templateImages(to), policy, ...inPlaceOptions(gd) };
  }

  /** A wait past allocated-update-deadline ends as this step starts: a Warning Event says so. */
  private reportDeadline(pass: Pass, pod: KubeObject, action: string): void {
    const verdict = pass.verdicts.get(pod.metadata!.name!);
    if (verdict && deadlineEnds(verdict, action)) this.o.recorder.event(pass.owner, 'Warning', 'AllocatedUpdateDeadline', `pod ${pod.metadata!.name} ${verdict.message}`);
  }

  /**
   * `hotpod.dev/update-pending: <revision>` on a pod whose update waits for it to leave
   * Allocated (the game reads it through a downwardAPI volume and drains), removed once it
   * does not wait; and the pass's count for AllocatedUpdateWaiting.
   */
  private async markUpdatePending(pass: Pass, pod: KubeObject, waiting: boolean): Promise<void> {
    const name = pod.metadata!.name!;
    const verdict = pass.verdicts.get(name) ?? { kind: 'open' };
    if (waiting) {
      pass.waiting.push(name);
      if (verdict.kind === 'hold' && verdict.wakeAt !== undefined) wake(pass, Math.max(0, verdict.wakeAt - pass.now));
    }
    const marks = pendingMarksPatch(pod.metadata?.annotations, verdict, waiting ? pass.updateRevision : undefined, podRevision(pod) === pass.updateRevision, rfc3339(pass.now));
    if (marks) await this.o.updater.patchMetadata(pass.owner, pod, { annotations: marks }, 'updatePending');
  }

  private nodeSupportsHotPatch(nodeName: string): boolean {
    return this.o.nodes.cache.get(nodeName)?.metadata?.labels?.[HOT_PATCH_LABEL] === 'true';
  }

  // -------------------------------------------------------------------------------------------
  // conditions and status

  /** FailedUpdate from this pass's problems (an Event for each new one) and FailedScale. */
  private conditions(pass: Pass): Condition[] {
    const nowIso = rfc3339(pass.now);
    const problem = summarize(pass.problems);
    const events = pass.problems.map((p) => ({ reason: p.reason === REASON_NOT_IN_PLACE ? EVENT.FailedUpdatePodInPlace : EVENT.FailedUpdatePodHotPatch, message: p.message }));
    this.problems.report(pass.owner, events, conditionProblems(pass.conditions, CONDITION_FAILED_UPDATE));
    let conditions = setCondition(pass.conditions, CONDITION_FAILED_UPDATE, problem ? { status: 'True', ...problem } : undefined, nowIso);
    const prevScale = conditions.find((c) => c.type === CONDITION_FAILED_SCALE);
    const { scaleError } = pass;
    const indexError = 'error' in pass.index ? pass.index.error : undefined;
    this.scaleEvents.report(pass.owner, indexError ? [{ reason: CONDITION_FAILED_SCALE, message: indexError, event: `failed to scale: ${indexError}` }] : [], conditionProblems(pass.conditions, CONDITION_FAILED_SCALE));
    const scaleProblem = indexError ? { status: 'True' as const, reason: REASON_INVALID_INDEX_RANGE, message: indexError } : scaleError ? { status: 'True' as const, reason: 'FailedScale', message: scaleError } : undefined;
    conditions = setCondition(conditions, CONDITION_FAILED_SCALE, scaleProblem, nowIso);
    const waiting = [...pass.waiting].sort();
    conditions = setCondition(conditions, CONDITION_ALLOCATED_UPDATE_WAITING, waiting.length ? { status: 'True', reason: 'Allocated', message: allocatedWaitingMessage('pod', waiting) } : undefined, nowIso);
    const hookProblems = [...new Set(pass.hookProblems)].sort();
    this.hookEvents.report(pass.owner, hookProblems.map((message) => ({ reason: CONDITION_FAILED_HOOK, message })), conditionProblems(pass.conditions, CONDITION_FAILED_HOOK));
    conditions = setCondition(conditions, CONDITION_FAILED_HOOK, hookProblems.length ? { status: 'True', reason: 'HookNotPassed', message: hookProblems.join('\n') } : undefined, nowIso);
    const unread = [...pass.allocated.invalid, ...fieldsNotActedOn('GameDeployment', pass.gd), ...annotationsNotRead(pass.live)].join('; ');
    this.notActedOn.report(pass.owner, unread ? [{ reason: CONDITION_NOT_ACTED_ON, message: unread }] : [], conditionProblems(pass.conditions, CONDITION_NOT_ACTED_ON));
    conditions = setCondition(conditions, CONDITION_NOT_ACTED_ON, unread ? { status: 'True', reason: 'NotActedOn', message: unread } : undefined, nowIso);
    if (scaleError && prevScale?.message !== scaleError) this.log.warn({ gameDeployment: keyString(pass.key), err: scaleError }, 'scaling failed');
    return conditions;
  }

  /** From the pods as the cache shows them; our writes show up in the next pass. */
  private status(pass: Pass, canary: CanaryDecision, conditions: Condition[]): Json {
    const { gd } = pass;
    return computeStatus({
      generation: gd.metadata.generation,
      selector: gd.spec.selector as LabelSelector,
      pods: pass.owned,
      updateRevision: pass.updateRevision,
      currentRevision: pass.currentRevision,
      minReadySeconds: gd.spec.minReadySeconds ?? 0,
      now: pass.now,
      collisionCount: ((gd.status ?? {}) as Json).collisionCount,
      canary: canary.state,
      conditions,
      hooks: {
        preDelete: hookConditions('preDelete', pass.live, INSTANCE_ID_LABEL, pass.runs),
        preInplace: hookConditions('preInplace', pass.live, INSTANCE_ID_LABEL, pass.runs),
        postInplace: hookConditions('postInplace', pass.live, INSTANCE_ID_LABEL, pass.runs),
      },
    });
  }

  /**
   * A spec nothing can be made from: the FailedUpdate condition (InvalidSpec) over the status as
   * it was, one Warning Event per new message, no other write and no retry.
   */
  private async refuseInvalidSpec(gd: Defaulted, message: string): Promise<void> {
    const owner = asOwner(gd);
    const status = (gd.status ?? {}) as Json;
    const existing = (status.conditions ?? []) as Condition[];
    const { conditions } = reportInvalidSpec(this.problems, owner, existing, message, rfc3339(this.now()));
    await this.writeStatus(gd, { ...status, observedGeneration: gd.metadata.generation, conditions });
  }

  /** Writes the status if it changed, and remembers it until the cache shows it. */
  private async writeStatus(gd: Defaulted, next: Json, paused = false): Promise<void> {
    const prev = (gd.status ?? {}) as Json;
    if (deepEqual(prev, next)) return;
    const patch: Json = { ...next };
    for (const key of Object.keys(prev)) if (!(key in next)) patch[key] = null;
    const key = { namespace: gd.metadata.namespace!, name: gd.metadata.name! };
    const k = keyString(key);
    try {
      const written = await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, key, { status: patch }, { status: true });
      if (written.metadata?.resourceVersion) this.written.set(k, { resourceVersion: written.metadata.resourceVersion, status: written.status ?? next, paused });
    } catch (err) {
      this.written.delete(k);
      if (!isNotFound(err)) throw err;
    }
  }

  /** podsToDelete keeps only pods that still exist (BCS truncates the list the same way). */
  private async trimPodsToDelete(pass: Pass): Promise<void> {
    const { gd } = pass;
    const toDelete = gd.spec.scaleStrategy?.podsToDelete ?? [];
    const existing = new Set(pass.owned.map((p) => p.metadata!.name!));
    const remaining = toDelete.filter((n) => existing.has(n));
    if (remaining.length === toDelete.length) return;
    try {
      await this.o.writer.patch(GAME_DEPLOYMENT_API_VERSION, GAME_DEPLOYMENT_KIND, pass.key, {
        metadata: { resourceVersion: gd.metadata.resourceVersion },
        spec: { scaleStrategy: { podsToDelete: remaining } },
      });
    } catch (err) {
      // The user changed the GameDeployment meanwhile: the next pass sees the new list.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  /** Runs no pod needs (pod gone, or moved to another revision), and canary runs of older revisions (BCS truncates both). */
  private async pruneHookRuns(pass: Pass): Promise<void> {
    const stale = runsToPrune(pass.owned, INSTANCE_ID_LABEL, pass.runs);
    for (const r of pass.runs) {
      const l = r.metadata?.labels ?? {};
      if (l[HOOK_RUN_TYPE_LABEL] === HOOK_RUN_CANARY_STEP && l[HOOK_RUN_REVISION_LABEL] !== pass.updateRevision && !r.metadata?.deletionTimestamp) stale.push(r);
    }
    if (stale.length) await this.o.hooks.deleteRuns(stale, pass.owner.metadata.namespace, 'hookRun.prune');
  }

  private async pruneRevisions(pass: Pass): Promise<void> {
    const inUse = new Set<string>([pass.updateRevision, ...pass.owned.map(podRevision).filter((r): r is string => !!r)]);
    await this.o.revisions.prune(pass.owner, inUse, pass.gd.spec.revisionHistoryLimit ?? 10);
  }
}

/** Look again in `ms` (the soonest of the pass's reasons wins). */
function wake(pass: Pass, ms: number | undefined): void {
  if (ms !== undefined && ms > 0) pass.requeueAfterMs = pass.requeueAfterMs === undefined ? ms : Math.min(pass.requeueAfterMs, ms);
}

/**
 * A pod not picked stays what it is: its own revision and the images it runs, so the only steps
 * left are those that finish (or call off) an update under way and bring it back into service.
 */
function stayTarget(gd: Defaulted, pod: KubeObject): PodUpdateTarget | undefined {
  const revision = podRevision(pod);
  if (!revision) return undefined;
  return { revision, to: {}, images: podImages(pod), policy: 'InPlaceOnly', ...inPlaceOptions(gd) };
}

function refusal(pod: KubeObject, policy: PodUpdatePolicy, reason: string): UpdateProblem {
  const name = pod.metadata!.name!;
  return policy === 'HotPatch'
    ? { reason: REASON_NOT_HOT_PATCHABLE, message: `failed to update pod ${name} hot-patch: only container images can be hot-patched, but ${reason}` }
    : { reason: REASON_NOT_IN_PLACE, message: `find Pod ${name} update strategy is InPlace but can not update in-place: ${reason}` };
}

/** inPlaceUpdateStrategy as the engine takes it, and BCS's pod markers. */
function inPlaceOptions(gd: GameDeployment): Pick<PodUpdateTarget, 'gracePeriodSeconds' | 'containerOrder' | 'markers'> {
  const s = gd.spec.updateStrategy.inPlaceUpdateStrategy;
  return { gracePeriodSeconds: s?.gracePeriodSeconds ?? 0, containerOrder: s?.policy ?? 'DisOrdered', markers: 'bcs' };
}

/** One condition for several problems: the first kind found, every message. */
function summarize(problems: UpdateProblem[]): UpdateProblem | undefined {
  if (!problems.length) return undefined;
  const sorted = [...problems].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return { reason: sorted[0]!.reason, message: sorted.map((p) => p.message).join('\n') };
}

/** Running with its containers ready (an in-place update's closed readiness gate does not count). */
function podHasStarted(pod: KubeObject): boolean {
  const containersReady = ((pod.status?.conditions ?? []) as Json[]).some((c) => c.type === 'ContainersReady' && c.status === 'True');
  return pod.status?.phase === 'Running' && containersReady;
}
