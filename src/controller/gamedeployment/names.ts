// The labels, annotations, condition types and event reasons of BCS's GameDeployment, and
// hotpod's own additions, in one place.

import { GameDeploymentResource } from '../../api/gamedeployment.js';
import { apiVersionOf } from '../../api/resource.js';

export const GAME_DEPLOYMENT_API_VERSION = apiVersionOf(GameDeploymentResource);
export const GAME_DEPLOYMENT_KIND = GameDeploymentResource.kind;

/** Every pod's unique id: the 5 random characters of its name (as BCS, shared with its PVCs). */
export const INSTANCE_ID_LABEL = 'tkex.bkbcs.tencent.com/gamedeployment-instance-id';
/** BCS's pod index: on the GameDeployment, `"true"` turns it on; the range, as JSON. */
export const INDEX_ON_ANNOTATION = 'tkex.bkbcs.tencent.com/gamedeployment-index-on';
export const INDEX_RANGE_ANNOTATION = 'tkex.bkbcs.tencent.com/gamedeployment-index-range';
/** On each pod: its index (an annotation, as BCS's), also in every container's env. */
export const INDEX_ID_ANNOTATION = 'tkex.bkbcs.tencent.com/gamedeployment-index-id';
export const INDEX_ENV = 'POD_INDEX';
/** On a pod: in a scale-down, the lower cost goes first (BCS reads Kubernetes' name, as a float). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
/** On a node: compared before the pods' costs, lower first (BCS's). */
export const NODE_DELETION_COST_ANNOTATION = 'io.tencent.bcs.dev/node-deletion-cost';
/** On the GameDeployment: `ascend` (the default) or `descend`, for the pods' costs. */
export const COST_SORT_METHOD_ANNOTATION = 'io.tencent.bcs.dev/pod-deletion-cost-sort-method';
export const COST_SORT_DESCEND = 'descend';
/**
 * The name BCS's operator read before 2022 (it reads POD_DELETION_COST_ANNOTATION since): not
 * read; a pod that carries only it is named in FieldsNotActedOn.
 */
export const LEGACY_POD_DELETION_COST_ANNOTATION = 'io.tencent.bcs.dev/pod-deletion-cost';
/**
 * hotpod's opt-in, on the GameDeployment: `InplaceUpdate` lets a HotPatchUpdate restart the
 * changed containers in place on nodes without hot-patch support instead of stopping there.
 */
export const HOT_PATCH_FALLBACK_ANNOTATION = 'hotpod.dev/hot-patch-fallback';
export const HOT_PATCH_FALLBACK_IN_PLACE = 'InplaceUpdate';

/** BCS's condition types (FailedUpdate, with reason InvalidSpec, is shared with GameServerSet). */
export const CONDITION_FAILED_SCALE = 'FailedScale';
/** A pod hook (pre-delete, pre-inplace, post-inplace) or canary hook step that holds the rollout and needs a person. */
export const CONDITION_FAILED_HOOK = 'FailedHook';
/** hotpod.dev/allocated-update Wait: how many pods' updates wait for them to leave Allocated. */
export const CONDITION_ALLOCATED_UPDATE_WAITING = 'AllocatedUpdateWaiting';
/** What the GameDeployment asks that hotpod does not act on (with a Warning Event of this reason). */
export const CONDITION_NOT_ACTED_ON = 'FieldsNotActedOn';
export { CONDITION_FAILED_UPDATE, REASON_INVALID_SPEC } from '../workload/invalid-spec.js';

/** Reasons of the FailedUpdate condition. */
export const REASON_HOT_PATCH_UNSUPPORTED = 'HotPatchUnsupportedOnNode';
export const REASON_NOT_HOT_PATCHABLE = 'NotHotPatchable';
export const REASON_NOT_IN_PLACE = 'NotUpdatableInPlace';
export const REASON_HOT_PATCH_FAILED = 'HotPatchFailed';
/** Reason of the FailedScale condition: the pod index annotations cannot be acted on. */
export const REASON_INVALID_INDEX_RANGE = 'InvalidIndexRange';

export const PAUSED_BY_CANARY_STEP = 'PausedByCanaryPauseStep';
export const PAUSED_BY_HOOK_STEP = 'PausedByStepBasedHook';

export const EVENT = {
  SuccessfulCreate: 'SuccessfulCreate',
  FailedCreate: 'FailedCreate',
  SuccessfulDelete: 'SuccessfulDelete',
  FailedDelete: 'FailedDelete',
  SuccessfulUpdatePodInPlace: 'SuccessfulUpdatePodInPlace',
  FailedUpdatePodInPlace: 'FailedUpdatePodInPlace',
  SuccessfulUpdatePodReCreate: 'SuccessfulUpdatePodReCreate',
  SuccessfulUpdatePodHotPatch: 'SuccessfulUpdatePodHotPatch',
  FailedUpdatePodHotPatch: 'FailedUpdatePodHotPatch',
  SetStepIndex: 'SetStepIndex',
  SetPaused: 'SetPaused',
  InvalidSpec: 'InvalidSpec',
  /** hotpod's: a pod made without a pod index, every index of the range being held. */
  PodIndexExhausted: 'PodIndexExhausted',
} as const;
