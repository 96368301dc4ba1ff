// Apply and check an in-place or hot-patch update of one pod (plan → apply → check, after
// OpenKruise's engine). Every function here is pure: it returns the patches to send and
// reads completion off the pod; the caller does the API calls.
//
// In place costs three pod writes: InPlaceUpdateReady=False (status), revision label + state
// annotation + images (spec), InPlaceUpdateReady=True once the node reports the new images.
// Container by container (BCS's inPlaceUpdateStrategy.policy OrderedReady / OrderedUpdated) adds
// one spec write per further container: the first write patches the first changed container in
// template order and records the rest in the state (nextContainerImages, as Kruise's batches);
// each later one patches the next once the previous has its new image (and, OrderedReady, is
// ready). The pod stays out of service until the last one is done.
// Hot-patch costs two: label, state, hot-patch annotation and images together, then the state
// marked confirmed once the node reports the new image in the same container. The mark is what
// tells a later restart (a crash, a node reboot, a liveness failure) from a hot-patch that
// restarted its container: without it the container ID check would blame every later restart
// on the patch.

import { condition } from './availability.js';
import { LIFECYCLE_STATE_LABEL, lifecycleState, UPDATING_CONTAINERS_ANNOTATION } from './lifecycle.js';
import type { InPlacePlan } from './in-place-diff.js';
import { HOT_PATCH_ANNOTATION, IN_PLACE_UPDATE_READY } from '../util/vocabulary.js';
import { upstreamMarkers, type MarkerDialect } from './upstream-markers.js';

type Json = Record<string, any>;

export const REVISION_LABEL = 'controller-revision-hash';
export const UPDATE_STATE_ANNOTATION = 'hotpod.dev/inplace-update-state';

export type UpdateMethod = 'InPlace' | 'HotPatch';

/**
 * The order in which an in-place update restarts a pod's changed containers (BCS's
 * inPlaceUpdateStrategy.policy). DisOrdered: all in one write. OrderedReady: one at a time in
 * template order, each once the previous runs its new image and is ready. OrderedUpdated: each
 * once the previous runs its new image.
 */
export type ContainerOrder = 'DisOrdered' | 'OrderedReady' | 'OrderedUpdated';

/** How the patches are written: container order and the reference controller's markers. */
export interface PatchOptions {
  order?: ContainerOrder;
  markers?: MarkerDialect;
}

interface UpdateState {
  revision: string;
  method: UpdateMethod;
  updateTimestamp: string;
  /** New image per container patched so far. */
  images: Record<string, string>;
  /** Container by container: the containers still to patch, name → image. */
  nextContainerImages?: Record<string, string>;
  /** Container by container: the order the next patch waits on. */
  order?: Exclude<ContainerOrder, 'DisOrdered'>;
  /** One entry per write that patched images: when, and which containers. */
  containerBatchesRecord?: { timestamp: string; containers: string[] }[];
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
 * template label/annotation changes and the state annotation (hotpod's and the reference
 * controller's); plus the hot-patch annotation for the hot-patch method. Container by container
 * (options.order), only the first changed container's image; the state records the rest.
 */
export function updatePodPatch(
  pod: Json,
  plan: Extract<InPlacePlan, { inPlace: true }>,
  revision: string,
  method: UpdateMethod,
  now: string,
  options: PatchOptions = {},
): Json {
  const ordered = method === 'InPlace' && options.order && options.order !== 'DisOrdered' ? options.order : undefined;
  const [first, next] = ordered ? splitFirstBatch(pod, plan.images) : [plan.images, {}];
  const state: UpdateState = {
    revision,
    method,
    updateTimestamp: now,
    images: first,
    lastContainerStatuses: lastStatuses(pod, first),
    ...(Object.keys(next).length ? { nextContainerImages: next, order: ordered } : {}),
    ...(Object.keys(first).length ? { containerBatchesRecord: [{ timestamp: now, containers: Object.keys(first) }] } : {}),
  };
  const annotations: Json = { ...plan.annotations, ...stateAnnotations(state, options.markers) };
  if (method === 'HotPatch') annotations[HOT_PATCH_ANNOTATION] = 'true';
  else if (pod.metadata?.annotations?.[HOT_PATCH_ANNOTATION] !== undefined) annotations[HOT_PATCH_ANNOTATION] = null;
  const labels: Json = { ...plan.labels, [REVISION_LABEL]: revision };
  // Released from PreUpdate by its lifecycle hook: the update goes ahead, as OpenKruise's Updated.
  if (lifecycleState(pod) === 'PreparingUpdate') {
    labels[LIFECYCLE_STATE_LABEL] = 'Updated';
    annotations[UPDATING_CONTAINERS_ANNOTATION] = null;
  }
  return { metadata: { labels, annotations }, ...imagesPatch(first) };
}

/**
 * Container by container, the next patch once the previous container is where the order wants
 * it: the next container's image and the state that records it. `waitingFor` says what the
 * next patch waits on; undefined when the state has no containers left to patch.
 */
export function nextContainerPatch(pod: Json, now: string, markers?: MarkerDialect): { patch: Json; images: Record<string, string> } | { waitingFor: string } | undefined {
  const state = readUpdateState(pod);
  if (!state?.nextContainerImages || Object.keys(state.nextContainerImages).length === 0) return undefined;
  const waiting = patchedContainersWaiting(pod, state);
  if (waiting) return { waitingFor: waiting };
  const [batch, rest] = splitFirstBatch(pod, state.nextContainerImages);
  const next: UpdateState = {
    ...state,
    images: { ...state.images, ...batch },
    lastContainerStatuses: { ...state.lastContainerStatuses, ...lastStatuses(pod, batch) },
    nextContainerImages: Object.keys(rest).length ? rest : undefined,
    containerBatchesRecord: [...(state.containerBatchesRecord ?? []), { timestamp: now, containers: Object.keys(batch) }],
  };
  if (!next.nextContainerImages) delete next.order;
  return { patch: { metadata: { annotations: stateAnnotations(next, markers) }, ...imagesPatch(batch) }, images: batch };
}

/** The first changed container in the pod's (the template's) order, and the others. */
function splitFirstBatch(pod: Json, images: Record<string, string>): [Record<string, string>, Record<string, string>] {
  const names = ((pod.spec?.containers ?? []) as Json[]).map((c) => c.name as string).filter((n) => n in images);
  const firstName = names[0] ?? Object.keys(images)[0];
  const first: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const name of [...names, ...Object.keys(images).filter((n) => !names.includes(n))]) {
    if (name === firstName) first[name] = images[name]!;
    else rest[name] = images[name]!;
  }
  return [first, rest];
}

function lastStatuses(pod: Json, images: Record<string, string>): UpdateState['lastContainerStatuses'] {
  const statuses = (pod.status?.containerStatuses ?? []) as Json[];
  const last: UpdateState['lastContainerStatuses'] = {};
  for (const name of Object.keys(images)) {
    const s = statuses.find((c) => c.name === name);
    last[name] = { imageID: s?.imageID, containerID: s?.containerID, restartCount: s?.restartCount };
  }
  return last;
}

function imagesPatch(images: Record<string, string>): Json {
  const containers = Object.entries(images).map(([name, image]) => ({ name, image }));
  return containers.length ? { spec: { containers } } : {};
}

/** hotpod's state annotation and, beside it, the reference controller's marker made from it. */
function stateAnnotations(state: UpdateState, markers: MarkerDialect | undefined): Record<string, string> {
  const out: Record<string, string> = { [UPDATE_STATE_ANNOTATION]: JSON.stringify(state) };
  if (!markers) return out;
  return {
    ...out,
    ...upstreamMarkers(markers, {
      revision: state.revision,
      method: state.method,
      updateTimestamp: state.updateTimestamp,
      lastContainerStatuses: state.lastContainerStatuses,
      nextContainerImages: state.nextContainerImages,
      containersRequiredReady: state.order === 'OrderedReady' ? state.containerBatchesRecord?.at(-1)?.containers : undefined,
      containerBatchesRecord: state.containerBatchesRecord,
      updateImages: Object.keys(state.images).length > 0,
    }),
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
 * digest never changes the imageID), and none is left to patch (container by container).
 * Hot-patch: the same, and the container ID did not change — a restart there means the node did
 * not hot-patch — until the patch is confirmed.
 */
export function checkCompletion(pod: Json): Completion {
  const state = readUpdateState(pod);
  if (!state || state.confirmed) return { done: true };
  const patched = containersCompletion(pod, state);
  if (!patched.done) return patched;
  const next = Object.keys(state.nextContainerImages ?? {});
  if (next.length) return { done: false, waitingFor: `containers ${next.join(', ')} wait for their turn (${state.order})` };
  return { done: true };
}

function containersCompletion(pod: Json, state: UpdateState): Completion {
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

/**
 * What the next container's patch waits on, or undefined when it may go: every container patched
 * so far runs its new image, and under OrderedReady the last patched ones are ready too.
 */
function patchedContainersWaiting(pod: Json, state: UpdateState): string | undefined {
  const patched = containersCompletion(pod, state);
  if (!patched.done) return 'failed' in patched ? patched.failed : patched.waitingFor;
  if (state.order !== 'OrderedReady') return undefined;
  const statuses = (pod.status?.containerStatuses ?? []) as Json[];
  for (const name of state.containerBatchesRecord?.at(-1)?.containers ?? []) {
    if (statuses.find((c) => c.name === name)?.ready !== true) return `container ${name} is not ready (OrderedReady)`;
  }
  return undefined;
}

function sameRepository(a: unknown, b: string): boolean {
  const repo = (s: string) => s.replace(/[@:][^/]*$/, '');
  return typeof a === 'string' && repo(a) === repo(b);
}
