// The in-place and hot-patch markers the reference controllers leave on their pods, under their
// names and in their JSON shapes, so that tools written for OpenKruise (kubectl-kruise, Kruise's
// own inplaceupdate package) and for BCS read hotpod's pods as they read theirs. hotpod's own
// state (hotpod.dev/inplace-update-state, in-place.ts) stays the source of truth: it carries
// more (the method, container IDs, the hot-patch confirmation); these are derived from it and
// written in the same pod patches, never in writes of their own.
//
//   Kruise (GameServerSet pods; OpenKruiseGame runs on Kruise's Advanced StatefulSet):
//     apps.kruise.io/inplace-update-state  InPlaceUpdateState of apis/apps/pub/inplace_update.go
//   BCS (GameDeployment pods, the gamedeployment operator's common/update packages):
//     inplace-update-state                 {revision, updateTimestamp, lastContainerStatuses}
//     hotpatch-update-state                the same shape, for a hot-patch
//
// Both controllers also write an `inplace-update-grace` annotation (the spec to apply when the
// grace period ends) while they wait out inPlaceUpdateStrategy.gracePeriodSeconds. hotpod writes
// nothing during that wait (the pod has only left service; the images, label and state go out
// in one write once the wait is over), so there is no write that could carry it.

/** Which reference controller's markers a workload's pods carry. */
export type MarkerDialect = 'kruise' | 'bcs';

export const KRUISE_INPLACE_UPDATE_STATE_ANNOTATION = 'apps.kruise.io/inplace-update-state';
export const BCS_INPLACE_UPDATE_STATE_ANNOTATION = 'inplace-update-state';
export const BCS_HOTPATCH_UPDATE_STATE_ANNOTATION = 'hotpatch-update-state';

/** What the markers are made of: the engine's state of one update, as far as upstream records it. */
export interface MarkerSource {
  revision: string;
  method: 'InPlace' | 'HotPatch';
  /** metav1.Time: RFC 3339, whole seconds. */
  updateTimestamp: string;
  /** Patched so far, with the image ID each ran before. */
  lastContainerStatuses: Record<string, { imageID?: string }>;
  /** Containers still to patch (container-by-container in-place update): name → image. */
  nextContainerImages?: Record<string, string>;
  /** Kruise's pre-check before the next batch: these must be ready first. */
  containersRequiredReady?: string[];
  containerBatchesRecord?: { timestamp: string; containers: string[] }[];
  updateImages: boolean;
}

/** The annotations (key → JSON) to write beside hotpod's state. */
export function upstreamMarkers(dialect: MarkerDialect, s: MarkerSource): Record<string, string> {
  const last: Record<string, { imageID?: string }> = {};
  for (const [name, c] of Object.entries(s.lastContainerStatuses)) last[name] = c.imageID === undefined ? {} : { imageID: c.imageID };
  if (dialect === 'bcs') {
    const key = s.method === 'HotPatch' ? BCS_HOTPATCH_UPDATE_STATE_ANNOTATION : BCS_INPLACE_UPDATE_STATE_ANNOTATION;
    return { [key]: JSON.stringify({ revision: s.revision, updateTimestamp: s.updateTimestamp, lastContainerStatuses: last }) };
  }
  const next = s.nextContainerImages && Object.keys(s.nextContainerImages).length ? s.nextContainerImages : undefined;
  const state = {
    revision: s.revision,
    updateTimestamp: s.updateTimestamp,
    lastContainerStatuses: last,
    ...(s.updateImages ? { updateImages: true } : {}),
    ...(next ? { nextContainerImages: next } : {}),
    ...(next && s.containersRequiredReady?.length ? { preCheckBeforeNext: { containersRequiredReady: s.containersRequiredReady } } : {}),
    ...(s.containerBatchesRecord?.length ? { containerBatchesRecord: s.containerBatchesRecord } : {}),
  };
  return { [KRUISE_INPLACE_UPDATE_STATE_ANNOTATION]: JSON.stringify(state) };
}
