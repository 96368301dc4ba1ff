// Can a pod move from one revision to the next without being recreated? Only when the
// difference is container images and pod metadata (labels, annotations): the two things a
// running pod may change, and all the node needs to act on.

import { deepEqual } from '../util/equal.js';
import { defaultedPodSpec } from './pod-defaults.js';

type Json = Record<string, any>;

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
}

export type InPlacePlan =
  | {
      inPlace: true;
      /** Container name → new image, only for containers whose image changes. */
      images: Record<string, string>;
      labels: Record<string, string | null>;
      annotations: Record<string, string | null>;
    }
  | { inPlace: false; reason: string };

export function planInPlaceUpdate(from: PodTemplate, to: PodTemplate): InPlacePlan {
  const a = defaultedPodSpec(from.spec);
  const b = defaultedPodSpec(to.spec);
  const images: Record<string, string> = {};
  const containersA = (a.containers ?? []) as Json[];
  const containersB = (b.containers ?? []) as Json[];
  if (containersA.length !== containersB.length || containersA.some((c, i) => c.name !== containersB[i].name)) {
    return { inPlace: false, reason: 'containers were added, removed or reordered' };
  }
  containersB.forEach((c, i) => {
    if (c.image !== containersA[i].image) images[c.name] = c.image;
  });
  const withoutImages = (spec: Json) => ({
    ...spec,
    containers: ((spec.containers ?? []) as Json[]).map(({ image: _i, imagePullPolicy: _p, ...rest }) => rest),
  });
  const changed = changedFields(withoutImages(a), withoutImages(b));
  if (changed.length) {
    return { inPlace: false, reason: `fields other than container images changed: ${changed.join(', ')}` };
  }
  return {
    inPlace: true,
    images,
    labels: mapDiff(from.metadata?.labels, to.metadata?.labels),
    annotations: mapDiff(from.metadata?.annotations, to.metadata?.annotations),
  };
}

/** Field paths (spec.x, spec.containers[1].env) that differ, for an error a user can act on. */
function changedFields(a: Json, b: Json): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (deepEqual(a[key], b[key])) continue;
    if (key === 'containers') {
      (b.containers as Json[]).forEach((c, i) => {
        for (const f of new Set([...Object.keys(c), ...Object.keys(a.containers[i])])) {
          if (!deepEqual(c[f], a.containers[i][f])) out.push(`spec.containers[${i}].${f}`);
        }
      });
    } else {
      out.push(`spec.${key}`);
    }
  }
  return out;
}

/** Keys to set (new value) or remove (null) to go from one map to another. */
function mapDiff(from: Record<string, string> = {}, to: Record<string, string> = {}): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(to)) if (from[k] !== v) out[k] = v;
  for (const k of Object.keys(from)) if (!(k in to)) out[k] = null;
  return out;
}
