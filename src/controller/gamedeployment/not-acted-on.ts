// What a GameDeployment asks that hotpod accepts but does not act on, one message per field, for
// the FieldsNotActedOn condition (with a Warning Event). Pure.

import { DEFAULT_MAX_SURGE, type GameDeployment } from '../../api/gamedeployment.js';
import { LEGACY_POD_DELETION_COST_ANNOTATION, POD_DELETION_COST_ANNOTATION } from './names.js';

const IN_PLACE_TYPES = new Set(['InplaceUpdate', 'HotPatchUpdate']);

function isZero(v: unknown): boolean {
  return v === 0 || (typeof v === 'string' && /^0+%?$/.test(v.trim()));
}

export function fieldsNotActedOn(gd: GameDeployment, pods: readonly { metadata?: { name?: string; annotations?: Record<string, string> } }[] = []): string[] {
  const out: string[] = [];
  const us = gd.spec.updateStrategy;
  // Every GameDeployment carries the 25% default: only a value the user chose is worth a word.
  if (IN_PLACE_TYPES.has(us.type) && us.maxSurge !== undefined && !isZero(us.maxSurge) && us.maxSurge !== DEFAULT_MAX_SURGE) {
    out.push(`spec.updateStrategy.maxSurge (${us.maxSurge}) is not acted on by ${us.type}: hotpod creates surge pods for RollingUpdate only`);
  }
  const legacy = pods
    .filter((p) => p.metadata?.annotations?.[LEGACY_POD_DELETION_COST_ANNOTATION] !== undefined && p.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION] === undefined)
    .map((p) => p.metadata!.name!)
    .sort();
  if (legacy.length) {
    const named = legacy.length > 5 ? `${legacy.slice(0, 5).join(', ')} and ${legacy.length - 5} more` : legacy.join(', ');
    out.push(`annotation ${LEGACY_POD_DELETION_COST_ANNOTATION} (pods ${named}) is not read: BCS reads ${POD_DELETION_COST_ANNOTATION} since 2022`);
  }
  return out;
}
