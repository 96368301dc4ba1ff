// Pod annotations a GameDeployment's pods carry that hotpod does not read, one message each, for
// the FieldsNotActedOn condition (with a Warning Event); the spec's fields are checked by the
// field-support list (src/api/field-support.ts). Pure.

import { LEGACY_POD_DELETION_COST_ANNOTATION, POD_DELETION_COST_ANNOTATION } from './names.js';

export function annotationsNotRead(pods: readonly { metadata?: { name?: string; annotations?: Record<string, string> } }[] = []): string[] {
  const legacy = pods
    .filter((p) => p.metadata?.annotations?.[LEGACY_POD_DELETION_COST_ANNOTATION] !== undefined && p.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION] === undefined)
    .map((p) => p.metadata!.name!)
    .sort();
  if (!legacy.length) return [];
  const named = legacy.length > 5 ? `${legacy.slice(0, 5).join(', ')} and ${legacy.length - 5} more` : legacy.join(', ');
  return [`annotation ${LEGACY_POD_DELETION_COST_ANNOTATION} (pods ${named}) is not read: BCS reads ${POD_DELETION_COST_ANNOTATION} since 2022`];
}
