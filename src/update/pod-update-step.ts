// The next step for one pod on its way to a target: the per-pod half of every rollout
// (rollout-plan.ts picks the pods, this says what each one needs next). It reads nothing but
// the pod and the target, so a controller that restarts mid-update resumes exactly where the
// pod shows it stopped: condition False without new images → patch them; new images without
// the node's confirmation → wait; confirmed → condition True.
//
// The same function serves pods that are not due for the update: their target is their own
// revision (plus per-pod image overrides), which finishes an update already under way and
// returns to service a pod that left it for an update it is no longer selected for.

import { condition, podIsUpdating } from './availability.js';
import { planInPlaceUpdate, type PodTemplate } from './in-place-diff.js';
import {
  REVISION_LABEL,
  checkCompletion,
  confirmPatch,
  finishInPlacePatch,
  graceRemainingMs,
  nextContainerPatch,
  readUpdateState,
  startInPlacePatch,
  updatePodPatch,
  type ContainerOrder,
  type UpdateMethod,
} from './in-place.js';
import type { MarkerDialect } from './upstream-markers.js';
import { rfc3339 } from '../util/time.js';
import { calledOffUpdatePatch, preUpdateGate, type LifecycleHook } from './lifecycle.js';
import { IN_PLACE_UPDATE_READY } from '../util/vocabulary.js';
import type { HookGate } from './hook-gate.js';

type Json = Record<string, any>;

/**
 * How a pod moves to a new revision. ReCreate: delete it (its workload creates the new one).
 * InPlaceIfPossible: in place when only images and metadata change, else recreate.
 * InPlaceOnly: in place, or refuse. HotPatch: swap images without restarting containers (one
 * pod write), or refuse.
 */
export type PodUpdatePolicy = 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly' | 'HotPatch';

export interface PodUpdateTarget {
  /** The revision the pod should carry (label controller-revision-hash). */
  revision: string;
  to: PodTemplate;
  /** The template of the pod's own revision; undefined when unknown (pruned, or never recorded). */
  from?: PodTemplate;
  /** Container name → image the pod must end with: `to`'s images plus per-pod overrides. */
  images: Record<string, string>;
  policy: PodUpdatePolicy;
  /** In place: seconds between leaving service and patching the images. */
  gracePeriodSeconds?: number;
  /**
   * In place: restart the changed containers all at once (DisOrdered, the default) or one at a
   * time in template order (BCS's inPlaceUpdateStrategy.policy). An update under way follows the
   * order its first patch recorded, whatever the target says now.
   */
  containerOrder?: ContainerOrder;
  /** The reference controller whose pod markers the patches also write (upstream-markers.ts). */
  markers?: MarkerDialect;
  /** spec.lifecycle.inPlaceUpdate: holds an update that restarts containers until released. */
  preUpdate?: LifecycleHook;
  /** spec.lifecycle.preDelete: holds a recreate (PreparingDelete) until released. */
  preDelete?: LifecycleHook;
  /**
   * Why an update that restarts a container or recreates the pod must wait (an Allocated server,
   * allocation-gate.ts); changes that restart nothing go ahead.
   */
  holdDisruption?: string;
  /**
   * A BCS hook that must pass first (hook-gate.ts): the pre-inplace run before an in-place or
   * hot-patch update, the pre-delete run before a recreate. The caller reads the run; the gate
   * says whether to start it, wait for it, or go.
   */
  hook?: HookGate;
}

export type PodUpdateStep =
  /** The pod is at its target and in service. */
  | { action: 'none' }
  /** Delete the pod; its workload creates it again at the target. */
  | { action: 'recreate'; reason: string }
  /** The policy forbids what the change needs (InPlaceOnly, HotPatch). */
  | { action: 'refuse'; reason: string }
  /** Pod patch: PreparingUpdate, the lifecycle hook holds the update until the game releases it. */
  | { action: 'prepareUpdate'; patch: Json; holding: string[]; statusPatch?: Json }
  /** The lifecycle hook still holds the pod in PreparingUpdate; pod events bring it back. */
  | { action: 'waitHook'; holding: string[] }
  /** Pod patch: PreparingUpdate for an update no longer wanted, back to Normal. */
  | { action: 'callOffUpdate'; patch: Json }
  /** Start the pod's HookRun for the gate's moment (target.hook), then wait for its verdict. */
  | { action: 'startHook'; gate: Extract<HookGate, { kind: 'start' }> }
  /** The pod's HookRun has no Successful verdict yet (or failed): the pod stays as it is. */
  | { action: 'waitHookRun'; gate: Extract<HookGate, { kind: 'wait' }> }
  /** An update that would disrupt the server waits (target.holdDisruption); nothing is written. */
  | { action: 'holdUpdate'; reason: string }
  /** pods/status patch: InPlaceUpdateReady=False, the pod leaves service before it changes. */
  | { action: 'leaveService'; statusPatch: Json }
  /** Look again after `ms`: the grace period after leaving service is not over. */
  | { action: 'waitGrace'; ms: number }
  /**
   * Pod patch: revision label, template metadata, state annotation, new images. `nextContainer`:
   * a later patch of a container-by-container update (the next container's image and the state).
   */
  | { action: 'patch'; method: UpdateMethod; patch: Json; images: Record<string, string>; nextContainer?: true }
  /** Pod patch: the node hot-patched the containers; mark the update state confirmed. */
  | { action: 'confirm'; patch: Json }
  /** The node has not reported the new images yet; pod events bring the pod back. */
  | { action: 'waitNode'; waitingFor: string }
  /** pods/status patch: InPlaceUpdateReady=True, back in service. */
  | { action: 'returnToService'; statusPatch: Json }
  /** The node did something other than what was asked (a hot-patch that restarted the container). */
  | { action: 'failed'; message: string };

export function podRevision(pod: Json): string | undefined {
  return pod.metadata?.labels?.[REVISION_LABEL];
}

/** The images of a template's containers, by container name. */
export function templateImages(template: PodTemplate | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of (template?.spec?.containers ?? []) as Json[]) if (typeof c.image === 'string') out[c.name] = c.image;
  return out;
}

/** The images of the pod's containers as its spec has them, by container name. */
export function podImages(pod: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of (pod.spec?.containers ?? []) as Json[]) if (typeof c.image === 'string') out[c.name] = c.image;
  return out;
}

/** Containers whose image in the pod's spec differs from the wanted one: name → wanted image. */
export function imagesToChange(pod: Json, wanted: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of (pod.spec?.containers ?? []) as Json[]) {
    const image = wanted[c.name];
    if (image !== undefined && image !== c.image) out[c.name] = image;
  }
  return out;
}

export function nextPodUpdateStep(pod: Json, target: PodUpdateTarget, now: number): PodUpdateStep {
  const nowIso = rfc3339(now);
  const updating = podIsUpdating(pod);
  const atRevision = podRevision(pod) === target.revision;
  const images = imagesToChange(pod, target.images);
  const method: UpdateMethod = target.policy === 'HotPatch' ? 'HotPatch' : 'InPlace';

  if (atRevision) {
    // Container by container: the next container's turn comes before anything else.
    const next = nextContainerPatch(pod, nowIso, target.markers);
    if (next) return 'waitingFor' in next ? { action: 'waitNode', waitingFor: next.waitingFor } : { action: 'patch', method: 'InPlace', patch: next.patch, images: next.images, nextContainer: true };
  }
  if (atRevision && Object.keys(images).length === 0) return settle(pod, updating, nowIso);

  let labels: Record<string, string | null> = {};
  let annotations: Record<string, string | null> = {};
  const disrupt = (step: PodUpdateStep): PodUpdateStep => (target.holdDisruption && !updating ? { action: 'holdUpdate', reason: target.holdDisruption } : (hookStep(target, updating) ?? step));
  if (!atRevision) {
    if (target.policy === 'ReCreate') return disrupt({ action: 'recreate', reason: 'podUpdatePolicy is ReCreate' });
    const plan = target.from
      ? planInPlaceUpdate(target.from, target.to)
      : ({ inPlace: false, reason: `the template of the pod's revision ${podRevision(pod) ?? '(none)'} is unknown` } as const);
    if (!plan.inPlace) {
      if (target.policy === 'InPlaceIfPossible') return disrupt({ action: 'recreate', reason: plan.reason });
      return { action: 'refuse', reason: plan.reason };
    }
    labels = plan.labels;
    annotations = plan.annotations;
  }

  const inPlacePlan = { inPlace: true as const, images, labels, annotations };
  const patchOptions = { order: target.containerOrder, markers: target.markers };
  // Metadata alone, or a hot-patch: nothing restarts, so the pod never leaves service.
  if (Object.keys(images).length === 0 || method === 'HotPatch') {
    const hook = hookStep(target, updating);
    if (hook) return hook;
    return { action: 'patch', method, patch: updatePodPatch(pod, inPlacePlan, target.revision, method, nowIso, patchOptions), images };
  }
  if (target.holdDisruption && !updating) return { action: 'holdUpdate', reason: target.holdDisruption };
  const gate = preUpdateGate(target.preUpdate, pod, Object.keys(images));
  if (gate.kind === 'prepare') {
    // markPodNotReady: out of service while it waits (it then counts against maxUnavailable).
    const leave = target.preUpdate?.markPodNotReady && !updating ? { statusPatch: startInPlacePatch(nowIso) } : {};
    return { action: 'prepareUpdate', patch: { metadata: { labels: gate.labels, annotations: gate.annotations } }, holding: gate.holding, ...leave };
  }
  if (gate.kind === 'wait') return { action: 'waitHook', holding: gate.holding };
  const hook = hookStep(target, updating);
  if (hook) return hook;
  if (!updating) return { action: 'leaveService', statusPatch: startInPlacePatch(nowIso) };
  const wait = graceRemainingMs(pod, target.gracePeriodSeconds ?? 0, now);
  if (wait > 0) return { action: 'waitGrace', ms: wait };
  return { action: 'patch', method, patch: updatePodPatch(pod, inPlacePlan, target.revision, method, nowIso, patchOptions), images };
}

/** The hook's step, unless it lets the pod go (or the pod has already left service for this update). */
function hookStep(target: PodUpdateTarget, updating: boolean): PodUpdateStep | undefined {
  const gate = target.hook;
  if (!gate || gate.kind === 'open' || updating) return undefined;
  return gate.kind === 'start' ? { action: 'startHook', gate } : { action: 'waitHookRun', gate };
}

/** The pod has the target's revision and images: wait for the node, then return to service. */
function settle(pod: Json, updating: boolean, nowIso: string): PodUpdateStep {
  const calledOff = calledOffUpdatePatch(pod);
  if (calledOff) return { action: 'callOffUpdate', patch: { metadata: calledOff } };
  const state = readUpdateState(pod);
  if (state) {
    const done = checkCompletion(pod);
    if ('failed' in done) return { action: 'failed', message: done.failed };
    if (!done.done) return { action: 'waitNode', waitingFor: done.waitingFor };
    const confirm = confirmPatch(pod);
    if (confirm) return { action: 'confirm', patch: confirm };
  }
  if (updating) return { action: 'returnToService', statusPatch: finishInPlacePatch(nowIso) };
  return { action: 'none' };
}

/** The pod carries the readiness gate but its condition was never written (a new pod). */
export function needsReadinessCondition(pod: Json): boolean {
  const gated = ((pod.spec?.readinessGates ?? []) as Json[]).some((g) => g.conditionType === IN_PLACE_UPDATE_READY);
  return gated && !condition(pod, IN_PLACE_UPDATE_READY) && !pod.metadata?.deletionTimestamp;
}
