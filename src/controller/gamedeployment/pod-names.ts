// Pod names `<gamedeployment>-<5 random characters>`, from the alphabet Kubernetes uses for
// generateName (no vowels, no 0/1/3: no words, nothing ambiguous). The controller picks the name
// itself rather than sending generateName: the instance-id label carries the same 5 characters,
// and the expectation of a create needs the name before the pod exists.

import { randomInt } from 'node:crypto';

export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
/** generateName keeps the base to 58 characters so that the name stays a 63-character label. */
const MAX_BASE = 63 - SUFFIX_LENGTH;

function randomSuffix(random: (n: number) => number = randomInt): string {
  let s = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) s += NAME_ALPHABET[random(NAME_ALPHABET.length)];
  return s;
}

export function podName(gameDeployment: string, suffix: string): string {
  return `${gameDeployment.slice(0, MAX_BASE - 1)}-${suffix}`;
}

/** A name not in `taken` (the cache's pods); the API server still has the last word (409). */
export function newPodName(gameDeployment: string, taken: (name: string) => boolean, random?: (n: number) => number): { name: string; instanceId: string } {
  for (;;) {
    const instanceId = randomSuffix(random);
    const name = podName(gameDeployment, instanceId);
    if (!taken(name)) return { name, instanceId };
  }
}
