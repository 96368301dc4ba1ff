// networkConf AllowNotReadyContainers (OKG's utils.AllowNotReadyContainers, which its
// Kubernetes-NodePort plugin and several cloud plugins call): players stay routed to a server
// while an in-place update restarts only containers named here (a sidecar), instead of being
// cut off while the pod is not ready. OKG adds an inPlaceUpdate hook label to the set's
// lifecycle; the plugin holds an update of such a container in PreUpdate until the server's
// Service publishes not-ready addresses, then releases it, and turns publishing off again once
// the pod is Ready. Pure.

import type { KubeObject } from '../../kube/index.js';
import { podIsReady } from '../../update/availability.js';
import { lifecycleState, UPDATING_CONTAINERS_ANNOTATION, type LifecycleHook } from '../../update/lifecycle.js';
import type { NetworkConfParam } from './plugin.js';

export const ALLOW_NOT_READY_CONTAINERS = 'AllowNotReadyContainers';
/** The inPlaceUpdate hook label: "true" holds the update, the plugin sets "false" to let it go. */
export const INPLACE_UPDATE_NOT_READY_BLOCKER = 'game.kruise.io/inplace-update-not-ready-blocker';

/** The containers named (none: the parameter is absent). */
export function allowNotReadyContainers(conf: readonly NetworkConfParam[] | undefined): string[] | undefined {
  const entries = (conf ?? []).filter((c) => c.name === ALLOW_NOT_READY_CONTAINERS);
  if (!entries.length) return undefined;
  return entries.flatMap((c) => (c.value ?? '').split(',').filter(Boolean));
}

/** The set's inPlaceUpdate hook with OKG's blocker label added when the network asks for it. */
export function inPlaceUpdateHook(hook: LifecycleHook | undefined, network: { networkConf?: NetworkConfParam[] } | undefined): LifecycleHook | undefined {
  if (!allowNotReadyContainers(network?.networkConf)) return hook;
  return { ...hook, labelsHandler: { ...(hook?.labelsHandler ?? {}), [INPLACE_UPDATE_NOT_READY_BLOCKER]: 'true' } };
}

/** The containers the pod's held update changes (hotpod writes a JSON list, OKG a comma-separated one). */
function updatingContainers(pod: KubeObject): string[] {
  const text = pod.metadata?.annotations?.[UPDATING_CONTAINERS_ANNOTATION] ?? '';
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return v.map(String);
  } catch {
    // OKG's form
  }
  return text.split(',').filter(Boolean);
}

/**
 * What the Service's publishNotReadyAddresses and the pod's blocker label should become: an
 * update held in PreparingUpdate that restarts an allowed container first gets the Service to
 * publish not-ready addresses, then is released; otherwise the blocker is armed, and publishing
 * ends once the pod is Ready.
 */
export function allowNotReadyStep(conf: readonly NetworkConfParam[], pod: KubeObject, svc: KubeObject): { publishNotReadyAddresses?: boolean; blocker?: 'true' | 'false' } {
  const allowed = allowNotReadyContainers(conf);
  if (!allowed) return {};
  const publishing = svc.spec?.publishNotReadyAddresses === true;
  if (lifecycleState(pod) === 'PreparingUpdate') {
    const restartsAllowed = updatingContainers(pod).some((c) => allowed.includes(c));
    if (!publishing && restartsAllowed) return { publishNotReadyAddresses: true };
    return { blocker: 'false' };
  }
  if (publishing && podIsReady(pod)) return { blocker: 'true', publishNotReadyAddresses: false };
  return { blocker: 'true' };
}
