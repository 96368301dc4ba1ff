// metav1.LabelSelector matching, so reconcilers select from the cache as the API server would
// select with ?labelSelector=. The matcher itself is shared with src/api (src/util).

import { matchesLabelSelector, type LabelSelector } from '../../util/label-selector.js';

export type { LabelSelector, LabelSelectorRequirement } from '../../util/label-selector.js';

export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector | undefined): boolean {
  return matchesLabelSelector(selector, labels);
}
