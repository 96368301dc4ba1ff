// hotpod's allocation-aware updates, beyond both upstream APIs: a GameServerSet annotated
// `hotpod.dev/allocated-update: Wait` never restarts a container of, recreates or deletes for
// an update a server whose opsState is Allocated (players are on it); a change that restarts
// nothing (template metadata) goes ahead. The server is told through the annotation
// `hotpod.dev/update-pending: <revision>` on its GameServer and pod (readable in the container
// through the downward API, so the game can drain it), and updates once it leaves Allocated.
// `Proceed`, the default, is OpenKruiseGame's behaviour.

export const ALLOCATED_UPDATE_ANNOTATION = 'hotpod.dev/allocated-update';
export const UPDATE_PENDING_ANNOTATION = 'hotpod.dev/update-pending';

export type AllocatedUpdatePolicy = 'Wait' | 'Proceed';

/** The set's policy; an unknown value is reported by the caller and read as Proceed. */
export function allocatedUpdatePolicy(annotations: Record<string, string> | undefined): { policy: AllocatedUpdatePolicy; invalid?: string } {
  const value = annotations?.[ALLOCATED_UPDATE_ANNOTATION];
  if (value === undefined || value === 'Proceed') return { policy: 'Proceed' };
  if (value === 'Wait') return { policy: 'Wait' };
  return { policy: 'Proceed', invalid: `annotation ${ALLOCATED_UPDATE_ANNOTATION}: unsupported value "${value}": supported values: "Wait", "Proceed"` };
}

/** Why an update that would disrupt this server waits, or undefined when it may go ahead. */
export function allocatedHold(policy: AllocatedUpdatePolicy, opsState: string | undefined): string | undefined {
  if (policy !== 'Wait' || opsState !== 'Allocated') return undefined;
  return `opsState Allocated (${ALLOCATED_UPDATE_ANNOTATION}: Wait)`;
}
