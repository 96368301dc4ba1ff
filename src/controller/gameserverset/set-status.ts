// A GameServerSet's status from its pods and GameServers. Pure.

import type { GameServerSet, GameServerSetStatus } from '../../api/index.js';
import { countPods } from '../workload/index.js';
import type { KubeObject } from '../../kube/index.js';
import { OWNER_GSS_LABEL } from './labels.js';
import { lifecycleState } from '../../update/lifecycle.js';

type Json = Record<string, any>;

interface SetStatusInput {
  gss: GameServerSet;
  /** The set's pods (terminating ones are not counted). */
  pods: KubeObject[];
  /** opsState of each member GameServer. */
  opsStates: string[];
  updateRevision: string;
  now: number;
  conditions: SetCondition[];
}

export type SetCondition = NonNullable<GameServerSetStatus['conditions']>[number];

/** The selector of a set's pods, as `kubectl scale` and HPA read it from status.labelSelector. */
function podSelector(setName: string): string {
  return `${OWNER_GSS_LABEL}=${setName}`;
}

export function setStatus(input: SetStatusInput): GameServerSetStatus & Json {
  const ru = input.gss.spec.updateStrategy?.rollingUpdate;
  const c = countPods(input.pods, { updateRevision: input.updateRevision, minReadySeconds: ru?.minReadySeconds ?? 0, now: input.now });
  const status: GameServerSetStatus & Json = {
    observedGeneration: input.gss.metadata?.generation,
    replicas: c.replicas,
    currentReplicas: c.replicas,
    readyReplicas: c.ready,
    availableReplicas: c.available,
    updatedReplicas: c.updated,
    updatedReadyReplicas: c.updatedReady,
    maintainingReplicas: input.opsStates.filter((s) => s === 'Maintaining').length,
    waitToBeDeletedReplicas: input.opsStates.filter((s) => s === 'WaitToBeDeleted').length,
    preDeleteReplicas: input.pods.filter((p) => !p.metadata?.deletionTimestamp && lifecycleState(p) === 'PreparingDelete').length,
    labelSelector: podSelector(input.gss.metadata!.name!),
    updateRevision: input.updateRevision,
  };
  if (input.conditions.length) status.conditions = input.conditions;
  return status;
}
