// GameServer (game.kruise.io/v1alpha1, short name gs): one per pod of a GameServerSet, with the
// same name `<gss>-<ordinal>`. Users set opsState and priorities on it; the controller reports
// the pod's state in its status. Field names, defaults and printer columns as OpenKruiseGame's.

import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { FieldCause } from './causes.js';
import { condition, podStatus } from './common.js';
import { defineResource, type Resource, type ResourceInput } from './resource.js';
import { applySchemaDefaults, arr, bool, enumOf, intOrString, looseObject, obj, str, time, type Infer } from './schema.js';
import { containerErrors, priorityErrors, schemaValueErrors } from './validation.js';
import { GAME_KRUISE_GROUP } from '../util/vocabulary.js';

const OPS_STATES = ['None', 'Allocated', 'WaitToBeDeleted', 'Maintaining', 'Kill'] as const;

const GAME_SERVER_STATES = ['Unknown', 'Creating', 'Ready', 'NotReady', 'Crash', 'Updating', 'Deleting', 'PreDelete', 'PreUpdate'] as const;
export type GameServerState = (typeof GAME_SERVER_STATES)[number];

/** A container of one GameServer that differs from the GameServerSet's template. */
export const gameServerContainer = obj(
  {
    name: str({ description: 'Name indicates the name of the container to update.' }),
    image: str({
      description: 'Image indicates the image of the container to update. When Image updated, pod.spec.containers[*].image will be updated immediately.',
    }),
    resources: looseObject<V1ResourceRequirements>({
      description:
        'Resources indicates the resources of the container to update. When Resources updated, pod.spec.containers[*].Resources will be not updated immediately, which will be updated when pod recreate.',
    }),
  },
  { required: ['name'] },
);

const OPS_STATE_DESCRIPTION =
  'The operations state of the GameServer: None, Allocated, WaitToBeDeleted, Maintaining or Kill; any other value (OpenKruiseGame\'s CRD has no enum) is kept and ranks as None.';

/** The opsStates that mean something to the controllers. */
export const NAMED_OPS_STATES = OPS_STATES;

/** opsState without a default, for service-quality actions (a Go template over .Result is allowed). */
export const opsState = str({ description: OPS_STATE_DESCRIPTION });

const networkAddress = obj(
  {
    ip: str(),
    ports: arr(obj({ name: str(), port: intOrString(), protocol: str() }, { required: ['name'] })),
    portRange: obj({ portRange: str(), protocol: str() }),
    endPoint: str(),
  },
  { required: ['ip'] },
);

const gameServerSpec = obj(
  {
    opsState: str({ default: 'None', description: OPS_STATE_DESCRIPTION }),
    updatePriority: intOrString({
      default: 0,
      description: 'Servers with a higher updatePriority are updated first.',
    }),
    deletionPriority: intOrString({
      default: 0,
      description: 'Among servers of the same opsState, those with a higher deletionPriority are removed first on scale-down.',
    }),
    networkDisabled: bool({ description: 'Take the server out of its network (label game.kruise.io/network-disabled on the pod).' }),
    containers: arr(gameServerContainer, {
      description: 'Containers can be used to make the corresponding GameServer container fields different from the fields defined by GameServerTemplate in GameServerSetSpec.',
    }),
  },
  // default {}: a GameServer written without a spec still reads opsState None, priorities 0
  { default: {}, description: 'GameServerSpec defines the desired state of GameServer' },
);

export const gameServerStatus = obj(
  {
    desiredState: enumOf(GAME_SERVER_STATES, { description: 'The state the GameServer should reach (Ready).' }),
    currentState: enumOf(GAME_SERVER_STATES, { description: "The GameServer's state, from its pod." }),
    networkStatus: obj({
      networkType: str(),
      internalAddresses: arr(networkAddress),
      externalAddresses: arr(networkAddress),
      desiredNetworkState: str(),
      currentNetworkState: str(),
      createTime: time(),
      lastTransitionTime: time(),
    }),
    podStatus,
    serviceQualitiesConditions: arr(
      obj({
        name: str(),
        status: str(),
        result: str(),
        lastProbeTime: time(),
        lastTransitionTime: time(),
        lastActionTransitionTime: time(),
      }),
    ),
    conditions: arr(condition('A GameServer condition.'), { description: 'Conditions is an array of current observed GameServer conditions.' }),
    updatePriority: intOrString({ description: 'The updatePriority in effect.' }),
    deletionPriority: intOrString({ description: 'The deletionPriority in effect.' }),
    lastTransitionTime: time(),
  },
  { description: 'GameServerStatus defines the observed state of GameServer' },
);

export const GameServerResource = defineResource({
  group: GAME_KRUISE_GROUP,
  version: 'v1alpha1',
  kind: 'GameServer',
  plural: 'gameservers',
  singular: 'gameserver',
  shortNames: ['gs'],
  categories: ['hotpod'],
  scope: 'Namespaced',
  description: 'GameServer is the Schema for the gameservers API',
  spec: gameServerSpec,
  specRequired: false,
  status: gameServerStatus,
  printerColumns: [
    { name: 'STATE', type: 'string', jsonPath: '.status.currentState', description: 'The current state of GameServer' },
    { name: 'OPSSTATE', type: 'string', jsonPath: '.spec.opsState', description: 'The operations state of GameServer' },
    { name: 'DP', type: 'string', jsonPath: '.status.deletionPriority', description: 'The current deletionPriority of GameServer' },
    { name: 'UP', type: 'string', jsonPath: '.status.updatePriority', description: 'The current updatePriority of GameServer' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'The age of GameServer' },
  ],
});

export type GameServer = Resource<typeof GameServerResource>;
type GameServerInput = ResourceInput<typeof GameServerResource>;
export type GameServerSpec = Infer<typeof gameServerSpec>;

/** Fills the defaults in place (as the API server would with hotpod's CRD) and returns it. */
export function defaultGameServer(gs: GameServerInput | GameServer): GameServer {
  gs.spec ??= {};
  applySchemaDefaults(gs.spec, gameServerSpec);
  return gs as GameServer;
}

/** What the schema says, plus: priorities that are strings must hold integers; container names unique. */
export function validateGameServer(gs: GameServerInput | GameServer): FieldCause[] {
  const spec = gs.spec ?? {};
  const causes = schemaValueErrors(spec, gameServerSpec, 'spec');
  causes.push(...priorityErrors(spec.updatePriority, 'spec.updatePriority'));
  causes.push(...priorityErrors(spec.deletionPriority, 'spec.deletionPriority'));
  if (spec.containers?.length) causes.push(...containerErrors(spec.containers, 'spec.containers', { imageRequired: false }));
  return causes;
}

/** A priority as a number (an int-or-string holding an integer; 0 when absent or unreadable). */
export function priorityValue(p: number | string | undefined): number {
  if (typeof p === 'number') return p;
  const n = Number.parseInt(p ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}
