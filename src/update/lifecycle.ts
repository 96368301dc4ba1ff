// OpenKruise's lifecycle hooks (`spec.lifecycle` of a GameServerSet), as a pure gate before a
// pod is deleted. A hook names labels (`labelsHandler`) and finalizers (`finalizersHandler`);
// while a pod carries any of them it is "hooked": the game, or a probe that sees its room empty,
// holds it. A hooked pod about to be deleted is first marked PreparingDelete (the label
// `lifecycle.apps.kruise.io/state`, which OpenKruiseGame shows as the GameServer's PreDelete)
// and waits there until nothing hooks it any more; an unhooked pod goes at once, as in
// OpenKruise's pkg/util/lifecycle.

/** The pod label OpenKruise's workloads keep a pod's lifecycle state in. */
export const LIFECYCLE_STATE_LABEL = 'lifecycle.apps.kruise.io/state';

export type LifecycleState = 'PreparingNormal' | 'Normal' | 'PreparingUpdate' | 'Updating' | 'Updated' | 'PreparingDelete';

export interface LifecycleHook {
  labelsHandler?: Record<string, string>;
  finalizersHandler?: string[];
  markPodNotReady?: boolean;
}

interface PodLike {
  metadata?: { labels?: Record<string, string>; finalizers?: string[] };
}

export function lifecycleState(pod: PodLike): string | undefined {
  return pod.metadata?.labels?.[LIFECYCLE_STATE_LABEL];
}

/** What holds the pod: each handler label it carries with the hook's value, each finalizer it has. */
export function hooksHolding(hook: LifecycleHook | undefined, pod: PodLike): string[] {
  if (!hook) return [];
  const labels = pod.metadata?.labels ?? {};
  const finalizers = new Set(pod.metadata?.finalizers ?? []);
  const held: string[] = [];
  for (const [k, v] of Object.entries(hook.labelsHandler ?? {})) if (labels[k] === v) held.push(`label ${k}=${v}`);
  for (const f of hook.finalizersHandler ?? []) if (finalizers.has(f)) held.push(`finalizer ${f}`);
  return held;
}

export type DeleteGate =
  | { kind: 'delete' }
  /** mark the pod PreparingDelete (a label patch), then wait */
  | { kind: 'prepare'; labels: Record<string, string>; holding: string[] }
  | { kind: 'wait'; holding: string[] };

export type UpdateGate =
  | { kind: 'open' }
  /** mark the pod PreparingUpdate (labels and annotations to merge), then wait */
  | { kind: 'prepare'; labels: Record<string, string>; annotations: Record<string, string>; holding: string[] }
  | { kind: 'wait'; holding: string[] };

/**
 * OpenKruiseGame's annotation on a pod in PreUpdate: the containers the update will change, so
 * the game knows which of its processes are about to restart.
 */
export const UPDATING_CONTAINERS_ANNOTATION = 'game.kruise.io/gs-updating-containers';

/**
 * A pod marked PreparingUpdate whose update is called off (the template went back to its
 * revision, or a partition keeps it): back to Normal, as OpenKruise does, with the annotation
 * naming containers that will not change removed. undefined: nothing to undo.
 */
export function calledOffUpdatePatch(pod: PodLike): { labels: Record<string, string>; annotations: Record<string, null> } | undefined {
  if (lifecycleState(pod) !== 'PreparingUpdate') return undefined;
  return { labels: { [LIFECYCLE_STATE_LABEL]: 'Normal' }, annotations: { [UPDATING_CONTAINERS_ANNOTATION]: null } };
}

/**
 * Before an in-place update that restarts containers (`containers`: those whose image changes):
 * go ahead, mark the pod PreparingUpdate, or keep waiting until the inPlaceUpdate hook lets go.
 */
export function preUpdateGate(hook: LifecycleHook | undefined, pod: PodLike, containers: string[]): UpdateGate {
  const holding = hooksHolding(hook, pod);
  if (holding.length === 0) return { kind: 'open' };
  if (lifecycleState(pod) !== 'PreparingUpdate') {
    return { kind: 'prepare', labels: { [LIFECYCLE_STATE_LABEL]: 'PreparingUpdate' }, annotations: { [UPDATING_CONTAINERS_ANNOTATION]: JSON.stringify([...containers].sort()) }, holding };
  }
  return { kind: 'wait', holding };
}

/**
 * A pod a hook still holds before its update: PreparingUpdate (inPlaceUpdate), or PreparingDelete
 * for a recreate (preDelete). It waits in service unless the hook marks it not ready.
 */
export function isHeldForUpdate(lifecycle: { inPlaceUpdate?: LifecycleHook; preDelete?: LifecycleHook } | undefined, pod: PodLike): boolean {
  const state = lifecycleState(pod);
  if (state === 'PreparingUpdate') return hooksHolding(lifecycle?.inPlaceUpdate, pod).length > 0;
  if (state === 'PreparingDelete') return hooksHolding(lifecycle?.preDelete, pod).length > 0;
  return false;
}

/** Every handler of the hook is on the pod (each label with its value, each finalizer). */
function allHooked(hook: LifecycleHook, pod: PodLike): boolean {
  const labels = pod.metadata?.labels ?? {};
  const finalizers = new Set(pod.metadata?.finalizers ?? []);
  return Object.entries(hook.labelsHandler ?? {}).every(([k, v]) => labels[k] === v) && (hook.finalizersHandler ?? []).every((f) => finalizers.has(f));
}

/** The labels a new pod starts with: PreparingNormal when a preNormal hook is set, else Normal. */
export function initialLifecycleLabels(preNormal: LifecycleHook | undefined): Record<string, string> {
  const hooked = preNormal && (Object.keys(preNormal.labelsHandler ?? {}).length > 0 || (preNormal.finalizersHandler ?? []).length > 0);
  return hooked ? { [LIFECYCLE_STATE_LABEL]: 'PreparingNormal' } : {};
}

/**
 * After creation: a pod PreparingNormal becomes Normal once every handler of the preNormal hook
 * is on it (the game, or whatever registers it, has hooked it), as OpenKruise's preNormal. The
 * labels to merge, or undefined when there is nothing to do yet.
 */
export function preNormalGate(hook: LifecycleHook | undefined, pod: PodLike): Record<string, string> | undefined {
  if (lifecycleState(pod) !== 'PreparingNormal') return undefined;
  if (hook && !allHooked(hook, pod)) return undefined;
  return { [LIFECYCLE_STATE_LABEL]: 'Normal' };
}

/** Before a pod is deleted (scale-down): delete it, mark it PreparingDelete, or keep waiting. */
export function preDeleteGate(hook: LifecycleHook | undefined, pod: PodLike): DeleteGate {
  const holding = hooksHolding(hook, pod);
  if (holding.length === 0) return { kind: 'delete' };
  if (lifecycleState(pod) !== 'PreparingDelete') return { kind: 'prepare', labels: { [LIFECYCLE_STATE_LABEL]: 'PreparingDelete' }, holding };
  return { kind: 'wait', holding };
}
