// GameDeployment (tkex.tencent.com/v1alpha1): BlueKing BCS's stateless game workload, updated by
// recreating pods, in place, or by image hot-patch, in partitions and canary steps. Field names,
// defaults and printer columns as BCS's CRD (which declares no short name).

import { invalid, required, type FieldCause } from './causes.js';
import { condition, gameDeploymentInPlaceUpdateStrategy, labelSelector, podSpec, podTemplateMetadata } from './common.js';
import { intOrPercentErrors, PERCENT_PATTERN, PERCENT_UP_TO_100_PATTERN, POSITIVE_PERCENT_PATTERN } from './intstr.js';
import { defineResource, type Resource, type ResourceInput } from './resource.js';
import { applySchemaDefaults, arr, immutable, bool, enumOf, int, intOrString, obj, str, time } from './schema.js';
import { containerErrors, isEmptySelector, labelSelectorErrors, schemaValueErrors, selectorMatches } from './validation.js';
import { TKEX_GROUP } from '../util/vocabulary.js';

const GAME_DEPLOYMENT_UPDATE_TYPES = ['OnDelete', 'RollingUpdate', 'InplaceUpdate', 'HotPatchUpdate'] as const;

/** BCS's latest defaults (kourse), "keep same with Deployment". */
export const DEFAULT_MAX_UNAVAILABLE = '25%';
export const DEFAULT_MAX_SURGE = '25%';

const PAUSE_REASONS = ['PausedByCanaryPauseStep', 'PausedByStepBasedHook'] as const;

const hookStep = obj(
  {
    templateName: str({ description: 'The HookTemplate to run.' }),
    args: arr(obj({ name: str(), value: str() }, { required: ['name', 'value'] })),
  },
  { required: ['templateName'], description: 'HookStep defines the step of hook' },
);

const hookCondition = (description: string) =>
  obj({ podName: str(), startTime: time(), phase: str({ description: 'The phase of the pod\'s HookRun: Pending, Running, Failed, Error or Inconclusive.' }) }, { required: ['podName', 'startTime', 'phase'], description });

const hookStrategy = (description: string) => obj({ hook: hookStep, retry: bool() }, { description });

const canaryStep = obj(
  {
    partition: intOrString({ minimum: 0, pattern: PERCENT_UP_TO_100_PATTERN, description: 'Update until this many pods are left on the old revision.' }),
    pause: obj(
      { duration: int({ minimum: 0, description: 'Duration the amount of time to wait before moving to the next step, in seconds. Without it, the update stays paused until spec.updateStrategy.paused is set false.' }) },
      { description: 'CanaryPause defines the pause time of canary update' },
    ),
    hook: hookStep,
  },
  { description: 'CanaryStep defines the steps of canary update: one of partition, pause or hook.' },
);

const gameDeploymentSpec = obj(
  {
    replicas: int({ default: 1, minimum: 0, description: 'replicas is the desired number of pods. If unspecified, defaults to 1.' }),
    selector: immutable(
      labelSelector("selector is a label query over pods that should match the replica count. It must match the pod template's labels."),
    ),
    template: obj(
      { metadata: podTemplateMetadata, spec: podSpec },
      { description: 'template is the object that describes the pod that will be created' },
    ),
    scaleStrategy: obj(
      {
        podsToDelete: arr(str(), {
          description: 'PodsToDelete is the names of Pod should be deleted. Note that this list will be truncated for non-existing pod names.',
        }),
        createBatch: intOrString({
          default: '100%',
          minimum: 1,
          pattern: POSITIVE_PERCENT_PATTERN,
          description:
            'CreateBatch is the batch size of pods should be created when the gamedeployment is first created. Defaults to 100%. A percentage is of replicas, rounded up. hotpod applies it to every scale-up: a new batch is created once the pods of the one before are running with their containers ready.',
        }),
      },
      { description: 'ScaleStrategy indicates the ScaleStrategy that will be employed to create and delete Pods in the GameDeployment.' },
    ),
    updateStrategy: obj(
      {
        type: enumOf(GAME_DEPLOYMENT_UPDATE_TYPES, {
          default: 'RollingUpdate',
          description: 'Type indicates the type of the GameDeploymentUpdateStrategy: OnDelete (a pod is updated only when it is deleted, by hand), RollingUpdate, InplaceUpdate or HotPatchUpdate. Default is RollingUpdate.',
        }),
        partition: intOrString({
          default: 0,
          minimum: 0,
          pattern: PERCENT_UP_TO_100_PATTERN,
          description:
            'Partition is the desired number of pods in old revisions. It means when partition is set during pods updating, (replicas - partition) number of pods will be updated. Default value is 0.',
        }),
        maxUnavailable: intOrString({
          default: DEFAULT_MAX_UNAVAILABLE,
          minimum: 0,
          pattern: PERCENT_UP_TO_100_PATTERN,
          description:
            'The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding up by default. When maxSurge > 0, absolute number is calculated from percentage by rounding down. Defaults to 25%. Keep same with Deployment.',
        }),
        maxSurge: intOrString({
          default: DEFAULT_MAX_SURGE,
          minimum: 0,
          pattern: PERCENT_PATTERN,
          description:
            'The maximum number of pods that can be scheduled above the desired replicas during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding up. Defaults to 25%. Keep same with Deployment. hotpod creates surge pods for RollingUpdate only (BCS advises maxSurge for RollingUpdate only: in-place and hot-patch updates keep their pods).',
        }),
        paused: bool({ default: false, description: 'Paused indicates that the GameDeployment is paused. Default value is false' }),
        inPlaceUpdateStrategy: gameDeploymentInPlaceUpdateStrategy,
        canary: obj({ steps: arr(canaryStep) }, { required: ['steps'], description: 'CanaryStrategy defines the strategy of canary update' }),
      },
      {
        default: {},
        description: 'UpdateStrategy indicates the UpdateStrategy that will be employed to update Pods in the GameDeployment when a revision is made to Template.',
      },
    ),
    preDeleteUpdateStrategy: hookStrategy('A hook run before a pod is deleted or updated.'),
    preInplaceUpdateStrategy: hookStrategy('A hook run before a pod is updated in place.'),
    postInplaceUpdateStrategy: hookStrategy('A hook run after a pod is updated in place.'),
    revisionHistoryLimit: int({
      default: 10,
      minimum: 0,
      description: "RevisionHistoryLimit is the maximum number of revisions that will be maintained in the GameDeployment's revision history. The default value is 10.",
    }),
    minReadySeconds: int({
      default: 0,
      minimum: 0,
      description:
        'Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)',
    }),
    disableReadinessGate: bool({
      default: false,
      description:
        "DisableReadinessGate indicates whether the readinessgate for inplace update should be injected to GameDeployment's pods. Defaults to false (readinessgate will be injected to pods). Without it a pod stays Ready while it is updated in place (only its containers' own readiness counts); pods created before a change keep what they were created with.",
    }),
  },
  { required: ['selector', 'template'], description: 'GameDeploymentSpec defines the spec of GameDeployment' },
);

const gameDeploymentStatus = obj(
  {
    observedGeneration: int({ format: 'int64', description: 'ObservedGeneration is the most recent generation observed for this GameDeployment.' }),
    replicas: int({ description: 'Replicas is the number of Pods created by the GameDeployment controller.' }),
    readyReplicas: int({ description: 'ReadyReplicas is the number of Pods created by the GameDeployment controller that have a Ready Condition.' }),
    availableReplicas: int({ description: 'AvailableReplicas is the number of Pods that have been ready for at least minReadySeconds.' }),
    updatedReplicas: int({ description: 'UpdatedReplicas is the number of Pods on the revision indicated by updateRevision.' }),
    updatedReadyReplicas: int({ description: 'UpdatedReadyReplicas is the number of Pods on the revision indicated by updateRevision that are ready.' }),
    currentRevision: str({ description: 'currentRevision, if not empty, indicates the version of the GameDeployment used to generate Pods in partition' }),
    updateRevision: str({ description: 'UpdateRevision, if not empty, indicates the latest revision of the GameDeployment.' }),
    collisionCount: int({ description: 'CollisionCount is the count of hash collisions for the GameDeployment.' }),
    labelSelector: str({ description: 'LabelSelector is label selectors for query over pods that should match the replica count used by HPA.' }),
    conditions: arr(condition("A GameDeployment condition, e.g. FailedScale or FailedUpdate."), {
      description: "Conditions represents the latest available observations of a GameDeployment's current state.",
    }),
    pauseConditions: arr(obj({ reason: enumOf(PAUSE_REASONS), startTime: time() }, { description: 'PauseCondition defines the condition of pause' })),
    currentStepIndex: int(),
    currentStepHash: str(),
    canary: obj(
      { revision: str(), pauseStartTime: time(), currentStepHookRun: str() },
      { description: 'CanaryStatus defines the status of canary update' },
    ),
    preDeleteHookCondition: arr(hookCondition('PreDeleteHookCondition defines the condition of predelete hook')),
    preInplaceHookCondition: arr(hookCondition('PreInplaceHookCondition defines the condition of preinplace hook')),
    postInplaceHookCondition: arr(hookCondition('PostInplaceHookCondition defines condition of post inplace hook')),
  },
  { description: 'GameDeploymentStatus defines the observed state of GameDeployment' },
);

export const GameDeploymentResource = defineResource({
  group: TKEX_GROUP,
  version: 'v1alpha1',
  kind: 'GameDeployment',
  plural: 'gamedeployments',
  singular: 'gamedeployment',
  // BCS's CRD has no short name; `gd` is hotpod's, as `hotpod get gd` has it.
  shortNames: ['gd'],
  categories: ['hotpod'],
  scope: 'Namespaced',
  description: 'GameDeployment is the Schema for the gamedeployments API',
  spec: gameDeploymentSpec,
  specRequired: true,
  status: gameDeploymentStatus,
  printerColumns: [
    { name: 'DESIRED', type: 'integer', jsonPath: '.spec.replicas', description: 'The desired number of pods.' },
    { name: 'UPDATED', type: 'integer', jsonPath: '.status.updatedReplicas', description: 'The number of pods updated.' },
    { name: 'UPDATED_READY', type: 'integer', jsonPath: '.status.updatedReadyReplicas', description: 'The number of pods updated and ready.' },
    { name: 'READY', type: 'integer', jsonPath: '.status.readyReplicas', description: 'The number of pods ready.' },
    { name: 'TOTAL', type: 'integer', jsonPath: '.status.replicas', description: 'The number of currently all pods.' },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description:
        'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
    },
  ],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
});

export type GameDeployment = Resource<typeof GameDeploymentResource>;
export type GameDeploymentInput = ResourceInput<typeof GameDeploymentResource>;

/**
 * Fills the schema's defaults in place (as the API server does with hotpod's CRD) and returns
 * the object. There is no default selector: BCS requires one, as Deployment does.
 */
export function defaultGameDeployment(gd: GameDeploymentInput | GameDeployment): GameDeployment {
  applySchemaDefaults(gd.spec, gameDeploymentSpec);
  return gd as GameDeployment;
}

/**
 * What the schema says (for objects that did not pass hotpod's CRD), plus what it cannot say:
 * a non-empty selector that matches the template's labels, maxUnavailable/maxSurge as numbers or
 * percentages and not both zero, canary steps of exactly one kind, unique container names. A
 * partition above replicas is allowed: nothing is updated.
 */
export function validateGameDeployment(gd: GameDeploymentInput | GameDeployment): FieldCause[] {
  const spec = gd.spec;
  if (!spec) return [required('spec')];
  const causes = schemaValueErrors(spec, gameDeploymentSpec, 'spec');
  if (spec.selector) {
    causes.push(...labelSelectorErrors(spec.selector, 'spec.selector'));
    if (isEmptySelector(spec.selector)) {
      causes.push(invalid('spec.selector', spec.selector, 'empty selector is invalid for gamedeployment'));
    } else if (spec.template && !selectorMatches(spec.selector, spec.template.metadata?.labels ?? {})) {
      causes.push(invalid('spec.template.metadata.labels', spec.template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
    }
  }
  if (spec.template) causes.push(...containerErrors(spec.template.spec?.containers, 'spec.template.spec.containers'));
  causes.push(...intOrPercentErrors('spec.scaleStrategy.createBatch', spec.scaleStrategy?.createBatch, { positive: true }));
  const us = spec.updateStrategy ?? {};
  causes.push(...intOrPercentErrors('spec.updateStrategy.partition', us.partition, { atMost100Percent: true }));
  causes.push(...intOrPercentErrors('spec.updateStrategy.maxUnavailable', us.maxUnavailable, { atMost100Percent: true }));
  causes.push(...intOrPercentErrors('spec.updateStrategy.maxSurge', us.maxSurge));
  if (isZero(us.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE) && isZero(us.maxSurge ?? DEFAULT_MAX_SURGE)) {
    causes.push(invalid('spec.updateStrategy.maxUnavailable', us.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, 'may not be 0 when `maxSurge` is 0'));
  }
  (us.canary?.steps ?? []).forEach((step, i) => {
    const at = `spec.updateStrategy.canary.steps[${i}]`;
    const kinds = (['partition', 'pause', 'hook'] as const).filter((k) => step[k] !== undefined && step[k] !== null);
    if (kinds.length !== 1) causes.push(invalid(at, step, 'a step must have exactly one of partition, pause or hook'));
    causes.push(...intOrPercentErrors(`${at}.partition`, step.partition, { atMost100Percent: true }));
  });
  return causes;
}

function isZero(v: number | string): boolean {
  return v === 0 || (typeof v === 'string' && /^0+%$/.test(v));
}
