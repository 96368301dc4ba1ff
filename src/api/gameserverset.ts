// GameServerSet (game.kruise.io/v1alpha1, short name gss): a set of game servers with stable
// ordinals, updated by recreating pods or in place. Field names, defaults and printer columns as
// OpenKruiseGame's; hotpod's CRD adds the defaults and enums its controller applies.

import { duplicate, invalid, required, type FieldCause } from './causes.js';
import { condition, inPlaceUpdateStrategy, persistentVolumeClaim, podSpec, podTemplateMetadata } from './common.js';
import { gameServerContainer, opsState } from './gameserver.js';
import { intOrPercentErrors, PERCENT_UP_TO_100_PATTERN, POSITIVE_PERCENT_UP_TO_100_PATTERN } from './intstr.js';
import { defineResource, type Resource, type ResourceInput } from './resource.js';
import { applySchemaDefaults, arr, bool, enumOf, immutable, int, intOrString, looseObject, map, obj, str, type Infer } from './schema.js';
import { containerErrors, priorityErrors, schemaValueErrors } from './validation.js';
import { GAME_KRUISE_GROUP } from '../util/vocabulary.js';

const POD_UPDATE_POLICIES = ['ReCreate', 'InPlaceIfPossible', 'InPlaceOnly'] as const;
export type PodUpdatePolicy = (typeof POD_UPDATE_POLICIES)[number];

const RECLAIM_POLICIES = ['Cascade', 'Delete'] as const;

/**
 * The network plugins hotpod's controller has: OpenKruiseGame's cloud-independent ones (its
 * `Kubernetes` provider). Any other networkType (a cloud provider's plugin) is stored, and the
 * servers are made without an address (named in FieldsNotActedOn).
 */
export const NETWORK_TYPES = ['Kubernetes-HostPort', 'Kubernetes-NodePort', 'Kubernetes-Ingress'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

/**
 * spec.network as OpenKruiseGame's: the plugin and its parameters. What its webhook refuses is
 * said here, so the API server refuses it (kube evaluates the CEL rule; hotpod's API server
 * evaluates `self == oldSelf`): a network needs a type, and the type never changes.
 */
const network = obj(
  {
    networkType: immutable(str({ description: 'The network plugin: Kubernetes-HostPort, Kubernetes-NodePort, Kubernetes-Ingress, or a cloud provider\'s. Cannot be changed.' }), 'change network type is not allowed'),
    networkConf: arr(obj({ name: str(), value: str() }), { description: "The plugin's parameters, name and value, as its manual lists them." }),
  },
  { required: ['networkType'] },
);

/** The pod template of every GameServer of the set (a PodTemplateSpec plus claims). */
export const gameServerTemplate = obj(
  {
    metadata: podTemplateMetadata,
    spec: podSpec,
    volumeClaimTemplates: arr(persistentVolumeClaim, { description: 'Claims each GameServer gets, named after it.' }),
    reclaimPolicy: enumOf(RECLAIM_POLICIES, {
      description:
        'ReclaimPolicy indicates the reclaim policy for GameServer: Cascade (the GameServer goes with its pod) or Delete (only when the set scales down). Default is Cascade.',
    }),
  },
  {
    description: 'The template of the GameServers: a pod template (metadata, spec), plus volumeClaimTemplates and reclaimPolicy.',
    preserveUnknownFields: true,
  },
);

const rollingUpdate = obj(
  {
    partition: int({
      minimum: 0,
      description:
        'The number of GameServers kept on the old revision: (replicas - partition) are updated, highest updatePriority first, then highest ordinal. Default value is 0.',
    }),
    maxUnavailable: intOrString({
      default: 1,
      minimum: 1,
      pattern: POSITIVE_PERCENT_UP_TO_100_PATTERN,
      description:
        'The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding down. Defaults to 1.',
    }),
    podUpdatePolicy: enumOf(POD_UPDATE_POLICIES, {
      default: 'ReCreate',
      description:
        'How pods are updated: ReCreate (delete and create), InPlaceIfPossible (in place when only images or metadata change, else recreate) or InPlaceOnly (in place, refusing other changes). Default value is "ReCreate".',
    }),
    paused: bool({ description: 'Paused indicates that the update is paused. Default value is false' }),
    inPlaceUpdateStrategy,
    minReadySeconds: int({
      minimum: 0,
      maximum: 300,
      description:
        "MinReadySeconds indicates how long will the pod be considered ready after it's updated. Combined with MaxUnavailable, it affects the pod update speed. Default value is 0, max is 300.",
    }),
  },
  { default: {}, description: 'RollingUpdate is used to communicate parameters when Type is RollingUpdate.' },
);

const lifecycleHook = obj({
  finalizersHandler: arr(str()),
  labelsHandler: map(str()),
  markPodNotReady: bool(),
});

const probeHandler = (description: string) => looseObject({ description });

const serviceQuality = obj(
  {
    name: str(),
    containerName: str(),
    permanent: bool({
      description:
        'Whether to make GameServerSpec not change after the ServiceQualityAction is executed. When Permanent is true, regardless of the detection results, ServiceQualityAction will only be executed once.',
    }),
    serviceQualityAction: arr(
      obj(
        {
          state: bool(),
          result: str({
            description: 'Result indicate the probe message returned by the script. When Result is defined, it would exec action only when the according Result is actually returns.',
          }),
          opsState,
          updatePriority: intOrString(),
          deletionPriority: intOrString(),
          networkDisabled: bool(),
          labels: map(str()),
          annotations: map(str()),
          containers: arr(gameServerContainer),
        },
        { required: ['state'] },
      ),
    ),
    exec: obj({ command: arr(str()) }, { description: 'Exec specifies the action to take.' }),
    httpGet: probeHandler('HTTPGet specifies the http request to perform.'),
    tcpSocket: probeHandler('TCPSocket specifies an action involving a TCP port.'),
    grpc: probeHandler('GRPC specifies an action involving a GRPC port.'),
    initialDelaySeconds: int(),
    timeoutSeconds: int(),
    periodSeconds: int(),
    successThreshold: int(),
    failureThreshold: int(),
    terminationGracePeriodSeconds: int({ format: 'int64' }),
  },
  { required: ['name', 'permanent'] },
);

const gameServerSetSpec = obj(
  {
    replicas: int({
      minimum: 0,
      description: 'replicas is the desired number of GameServers. Each one has a stable identity: <set>-<ordinal>.',
    }),
    gameServerTemplate,
    serviceName: str(),
    reserveGameServerIds: arr(intOrString(), {
      description: 'Ordinals not to use: integers, or ranges written "a-b".',
    }),
    serviceQualities: arr(serviceQuality),
    updateStrategy: obj(
      {
        type: enumOf(['RollingUpdate', 'OnDelete'], {
          default: 'RollingUpdate',
          description: 'Type indicates the type of the update strategy: RollingUpdate or OnDelete. Default is RollingUpdate.',
        }),
        rollingUpdate,
      },
      { default: {} },
    ),
    scaleStrategy: obj(
      {
        maxUnavailable: intOrString({
          minimum: 0,
          pattern: PERCENT_UP_TO_100_PATTERN,
          description:
            'The maximum number of pods that can be unavailable during scaling. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding down.',
        }),
        scaleDownStrategyType: enumOf(['General', 'ReserveIds'], {
          default: 'General',
          description:
            'ScaleDownStrategyType indicates the scaling down strategy: General, or ReserveIds (removed ordinals are written back into reserveGameServerIds). Default is General.',
        }),
      },
      { default: {} },
    ),
    network,
    lifecycle: obj({ preDelete: lifecycleHook, inPlaceUpdate: lifecycleHook, preNormal: lifecycleHook }),
    persistentVolumeClaimRetentionPolicy: obj({
      whenDeleted: enumOf(['Retain', 'Delete']),
      whenScaled: enumOf(['Retain', 'Delete']),
    }),
  },
  { required: ['replicas'], description: 'GameServerSetSpec defines the desired state of GameServerSet' },
);

const gameServerSetStatus = obj(
  {
    observedGeneration: int({ format: 'int64', description: 'The generation observed by the controller.' }),
    replicas: int({ description: 'The number of GameServers (pods) of the set.' }),
    currentReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    updatedReplicas: int(),
    updatedReadyReplicas: int(),
    maintainingReplicas: int(),
    waitToBeDeletedReplicas: int(),
    preDeleteReplicas: int(),
    labelSelector: str({ description: 'LabelSelector is label selectors for query over pods that should match the replica count used by HPA.' }),
    // hotpod additions (OpenKruiseGame has neither): which revision pods move to, and why an update cannot proceed.
    updateRevision: str({ description: 'The revision (ControllerRevision name, pod label controller-revision-hash) pods are updated to.' }),
    conditions: arr(condition('A GameServerSet condition, e.g. InPlaceUpdateBlocked.'), {
      description: "Conditions represents the latest available observations of a GameServerSet's current state.",
    }),
  },
  {
    required: ['replicas', 'readyReplicas', 'availableReplicas', 'currentReplicas', 'updatedReplicas'],
    description: 'GameServerSetStatus defines the observed state of GameServerSet',
  },
);

export const GameServerSetResource = defineResource({
  group: GAME_KRUISE_GROUP,
  version: 'v1alpha1',
  kind: 'GameServerSet',
  plural: 'gameserversets',
  singular: 'gameserverset',
  shortNames: ['gss'],
  categories: ['hotpod'],
  scope: 'Namespaced',
  description: 'GameServerSet is the Schema for the gameserversets API',
  spec: gameServerSetSpec,
  specRequired: false,
  status: gameServerSetStatus,
  printerColumns: [
    { name: 'DESIRED', type: 'integer', jsonPath: '.spec.replicas', description: 'The desired number of GameServers.' },
    { name: 'CURRENT', type: 'integer', jsonPath: '.status.replicas', description: 'The number of currently all GameServers.' },
    { name: 'UPDATED', type: 'integer', jsonPath: '.status.updatedReplicas', description: 'The number of GameServers updated.' },
    { name: 'READY', type: 'integer', jsonPath: '.status.readyReplicas', description: 'The number of GameServers ready.' },
    { name: 'Maintaining', type: 'integer', jsonPath: '.status.maintainingReplicas', description: 'The number of GameServers Maintaining.' },
    { name: 'WaitToBeDeleted', type: 'integer', jsonPath: '.status.waitToBeDeletedReplicas', description: 'The number of GameServers WaitToBeDeleted.' },
    { name: 'PreDelete', type: 'integer', jsonPath: '.status.preDeleteReplicas', description: 'The number of GameServers PreDelete.' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'The age of GameServerSet.' },
  ],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
});

export type GameServerSet = Resource<typeof GameServerSetResource>;
export type GameServerSetInput = ResourceInput<typeof GameServerSetResource>;
export type GameServerSetSpec = Infer<typeof gameServerSetSpec>;
export type GameServerSetStatus = Infer<typeof gameServerSetStatus>;
export type GameServerTemplate = Infer<typeof gameServerTemplate>;

/**
 * Fills the defaults in place and returns the object: the schema's (as the API server applies
 * them with hotpod's CRD; the upstream CRD has none), plus reclaimPolicy Cascade, which the
 * schema leaves out so that the stored template stays exactly as written.
 */
export function defaultGameServerSet(gss: GameServerSetInput | GameServerSet): GameServerSet {
  // No spec at all (the upstream CRD does not require one): validation reports it.
  if (!gss.spec) return gss as GameServerSet;
  applySchemaDefaults(gss.spec, gameServerSetSpec);
  const spec = gss.spec as GameServerSetSpec;
  spec.gameServerTemplate ??= {};
  spec.gameServerTemplate.reclaimPolicy ??= 'Cascade';
  return gss as GameServerSet;
}

/**
 * What the schema says (for objects that did not pass hotpod's CRD), plus what it cannot say:
 * maxUnavailable as a positive number or percentage, reserved ids as ordinals or "a-b" ranges,
 * containers named uniquely and with images. A partition above replicas is allowed (nothing is
 * updated), as in OpenKruise.
 */
export function validateGameServerSet(gss: GameServerSetInput | GameServerSet): FieldCause[] {
  const spec = gss.spec;
  if (!spec) return schemaValueErrors({}, gameServerSetSpec, 'spec');
  const causes = schemaValueErrors(spec, gameServerSetSpec, 'spec');
  const ru = spec.updateStrategy?.rollingUpdate;
  causes.push(...intOrPercentErrors('spec.updateStrategy.rollingUpdate.maxUnavailable', ru?.maxUnavailable, { positive: true, atMost100Percent: true }));
  causes.push(...intOrPercentErrors('spec.scaleStrategy.maxUnavailable', spec.scaleStrategy?.maxUnavailable, { atMost100Percent: true }));
  let reservedCount = 0;
  (spec.reserveGameServerIds ?? []).forEach((id, i) => {
    const range = parseOrdinalRange(id);
    if (range === undefined) {
      causes.push(invalid(`spec.reserveGameServerIds[${i}]`, id, 'must be a non-negative integer or a range "a-b" with a <= b'));
    } else if ((reservedCount += range.end - range.start + 1) > MAX_RESERVED_ORDINALS) {
      causes.push(invalid(`spec.reserveGameServerIds[${i}]`, id, `the reserved ids may cover at most ${MAX_RESERVED_ORDINALS} ordinals`));
      reservedCount = -Infinity;
    }
  });
  causes.push(...containerErrors(spec.gameServerTemplate?.spec?.containers, 'spec.gameServerTemplate.spec.containers'));
  causes.push(...claimTemplateErrors(spec.gameServerTemplate?.volumeClaimTemplates));
  (spec.serviceQualities ?? []).forEach((q, i) =>
    (q.serviceQualityAction ?? []).forEach((a, j) => {
      const at = `spec.serviceQualities[${i}].serviceQualityAction[${j}]`;
      // A Go template over the probe's result ({{.Result}}) is rendered when the action runs.
      const templated = (v: number | string | undefined) => typeof v === 'string' && v.includes('{{');
      if (!templated(a.updatePriority)) causes.push(...priorityErrors(a.updatePriority, `${at}.updatePriority`));
      if (!templated(a.deletionPriority)) causes.push(...priorityErrors(a.deletionPriority, `${at}.deletionPriority`));
    }),
  );
  return causes;
}

/** Each claim template names its claims (`<name>-<set>-<ordinal>`), once. */
function claimTemplateErrors(templates: readonly { metadata?: { name?: string } }[] | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  (templates ?? []).forEach((t, i) => {
    const at = `spec.gameServerTemplate.volumeClaimTemplates[${i}].metadata.name`;
    const name = t?.metadata?.name;
    if (typeof name !== 'string' || name === '') causes.push(required(at));
    else if (seen.has(name)) causes.push(duplicate(at, name));
    else seen.add(name);
  });
  return causes;
}

/**
 * How many ordinals reserveGameServerIds may cover in all: they are expanded into a list, and a
 * range "0-2147483647" would otherwise be a list of 2^31 numbers.
 */
export const MAX_RESERVED_ORDINALS = 100_000;

/** One reserveGameServerIds entry as an inclusive range, without expanding it; undefined if malformed. */
function parseOrdinalRange(id: number | string): { start: number; end: number } | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? { start: id, end: id } : undefined;
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(id);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start <= end && Number.isSafeInteger(end) ? { start, end } : undefined;
}

/**
 * One reserveGameServerIds entry as ordinals: 3 → [3], "5" → [5], "2-4" → [2, 3, 4]; undefined if
 * malformed or covering more than MAX_RESERVED_ORDINALS (validation refuses such a set).
 */
export function parseOrdinals(id: number | string): number[] | undefined {
  const range = parseOrdinalRange(id);
  if (!range || range.end - range.start >= MAX_RESERVED_ORDINALS) return undefined;
  return Array.from({ length: range.end - range.start + 1 }, (_, k) => range.start + k);
}

/** The reserved ordinals of a set, sorted, malformed entries skipped. */
export function reservedOrdinals(gss: { spec: { reserveGameServerIds?: (number | string)[] } }): number[] {
  const all = new Set<number>();
  for (const id of gss.spec.reserveGameServerIds ?? []) for (const n of parseOrdinals(id) ?? []) all.add(n);
  return [...all].sort((a, b) => a - b);
}
