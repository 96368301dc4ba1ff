// Apply and check an in-place or hot-patch update of one pod (plan → apply → check, after
// OpenKruise's engine). Every function here is pure: it returns the patches to send and
// reads completion off the pod; the caller does the API calls.
//
// In place costs three pod writes: InPlaceUpdateReady=False (status), revision label + state
// annotation + images (spec), InPlaceUpdateReady=True once the node reports the new images.
// Hot-patch costs two: label, state, hot-patch annotation and images together, then the state
// marked confirmed once the node reports the new image in the same container. The mark is what
// tells a later restart (a crash, a node reboot, a liveness failure) from a hot-patch that
// restarted its container: without it the container ID check would blame every later restart
// on the patch.

import { condition } from './availability.js';
import { LIFECYCLE_STATE_LABEL, lifecycleState, UPDATING_CONTAINERS_ANNOTATION } from './lifecycle.js';
import type { InPlacePlan } from './in-place-diff.js';
import { HOT_PATCH_ANNOTATION, IN_PLACE_UPDATE_READY } from '../util/vocabulary.js';

type Json = Record<string, any>;

export const REVISION_LABEL = 'controller-revision-hash';
export const UPDATE_STATE_ANNOTATION = 'hotpod.dev/inplace-update-state';

export type UpdateMethod = 'InPlace' | 'HotPatch';

interface UpdateState {
  revision: string;
  method: UpdateMethod;
  updateTimestamp: string;
  /** New image per changed container. */
  images: Record<string, string>;
  /** What each changed container was before: completion means these changed as expected. */
  lastContainerStatuses: Record<string, { imageID?: string; containerID?: string; restartCount?: number }>;
  /**
   * Hot-patch only: the controller saw the new images running in the containers that ran the
   * old ones. From then on the update is done whatever happens to the containers.
   */
  confirmed?: boolean;
}

export function readUpdateState(pod: Json): UpdateState | undefined {
  const raw = pod.metadata?.annotations?.[UPDATE_STATE_ANNOTATION];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as UpdateState;
  } catch {
    return undefined;
  }
}

function conditionPatch(status: 'True' | 'False', reason: string, now: string): Json {
  return { status: { conditions: [{ type: IN_PLACE_UPDATE_READY, status, reason, lastTransitionTime: now }] } };
}

/** Step 1 of an in-place update: the pod leaves service before anything changes. */
export function startInPlacePatch(now: string): Json {
  return conditionPatch('False', 'StartInPlaceUpdate', now);
}

/** The last step: back in service once the node has done its part. */
export function finishInPlacePatch(now: string): Json {
  return conditionPatch('True', '', now);
}

/** Has the grace period after step 1 passed (or was there none)? Returns ms left. */
export function graceRemainingMs(pod: Json, graceSeconds: number, now: number): number {
  if (!graceSeconds) return 0;
  const stamp: string = condition(pod, IN_PLACE_UPDATE_READY)?.lastTransitionTime ?? '';
  const since = Date.parse(stamp);
  if (!Number.isFinite(since)) return graceSeconds * 1000;
  // Condition times have whole seconds: the pod may have left service up to a second after the
  // stamp, so count from the end of that second and never cut the grace period short.
  const start = /\.\d+/.test(stamp) ? since : since + 1000;
  return Math.max(0, start + graceSeconds * 1000 - now);
}

/**
 * The pod patch (strategic merge) that moves a pod to `revision`: images, revision label,
 * template label/annotation changes and the state annotation; plus the hot-patch annotation
 * for the hot-patch method.
 */
export function updatePodPatch(pod: Json, plan: Extract<InPlacePlan, { inPlace: true }>, revision: string, method: UpdateMethod, now: string): Json {
  const statuses = (pod.status?.containerStatuses ?? []) as Json[];
  const last: UpdateState['lastContainerStatuses'] = {};
  for (const name of Object.keys(plan.images)) {
    const s = statuses.find((c) => c.name === name);
    last[name] = { imageID: s?.imageID, containerID: s?.containerID, restartCount: s?.restartCount };
  }
  const state: UpdateState = { revision, method, updateTimestamp: now, images: plan.images, lastContainerStatuses: last };
  const annotations: Json = { ...plan.annotations, [UPDATE_STATE_ANNOTATION]: JSON.stringify(state) };
  if (method === 'HotPatch') annotations[HOT_PATCH_ANNOTATION] = 'true';
  else if (pod.metadata?.annotations?.[HOT_PATCH_ANNOTATION] !== undefined) annotations[HOT_PATCH_ANNOTATION] = null;
  const labels: Json = { ...plan.labels, [REVISION_LABEL]: revision };
  // Released from PreUpdate by its lifecycle hook: the update goes ahead, as OpenKruise's Updated.
  if (lifecycleState(pod) === 'PreparingUpdate') {
    labels[LIFECYCLE_STATE_LABEL] = 'Updated';
    annotations[UPDATING_CONTAINERS_ANNOTATION] = null;
  }
  const containers = Object.entries(plan.images).map(([name, image]) => ({ name, image }));
  return {
    metadata: { labels, annotations },
    ...(containers.length ? { spec: { containers } } : {}),
  };
}

type Completion = { done: true } | { done: false; waitingFor: string } | { done: false; failed: string };

/**
 * A hot-patch the node has carried out but the controller has not marked confirmed yet: the
 * pod patch (strategic merge) that marks it. Undefined when there is nothing to mark.
 */
export function confirmPatch(pod: Json): Json | undefined {
  const state = readUpdateState(pod);
  if (state?.method !== 'HotPatch' || state.confirmed || !checkCompletion(pod).done) return undefined;
  return { metadata: { annotations: { [UPDATE_STATE_ANNOTATION]: JSON.stringify({ ...state, confirmed: true }) } } };
}

/**
 * Has the node finished the update recorded in the pod's state? In place: each changed
 * container runs the new image (a new imageID, or the new image name: a retag with the same
 * digest never changes the imageID). Hot-patch: the same, and the container ID did not change
 * — a restart there means the node did not hot-patch — until the patch is confirmed.
 */
export function checkCompletion(pod: Json): Completion {
  const state = readUpdateState(pod);
  if (!state || state.confirmed) return { done: true };
  const statuses = (pod.status?.containerStatuses ?? []) as Json[];
  for (const [name, image] of Object.entries(state.images)) {
    const s = statuses.find((c) => c.name === name);
    const before = state.lastContainerStatuses[name] ?? {};
    if (!s) return { done: false, waitingFor: `container ${name} has no status yet` };
    const newImage = s.image === image || (before.imageID !== undefined && s.imageID !== before.imageID && sameRepository(s.image, image));
    if (!newImage) return { done: false, waitingFor: `container ${name} still runs ${s.image}` };
    if (state.method === 'HotPatch' && before.containerID && s.containerID !== before.containerID) {
      return { done: false, failed: `container ${name} was restarted (${before.containerID} → ${s.containerID}) instead of hot-patched` };
    }
    if (!s.state?.running) return { done: false, waitingFor: `container ${name} is not running` };
  }
  return { done: true };
}

function sameRepository(a: unknown, b: string): boolean {
  const repo = (s: string) => s.replace(/[@:][^/]*$/, '');
  return typeof a === 'string' && repo(a) === repo(b);
}
