// BCS's pod index: a GameDeployment annotated `tkex.bkbcs.tencent.com/gamedeployment-index-on:
// "true"` gives each pod it creates an index from the range its annotation
// `tkex.bkbcs.tencent.com/gamedeployment-index-range: {"podStartIndex": s, "podEndIndex": e}`
// names (s included, e not): the pod's annotation `tkex.bkbcs.tencent.com/gamedeployment-index-id`
// and env `POD_INDEX` in each of its containers. A new pod takes the lowest index no pod holds,
// terminating pods included (as BCS's): a replacement gets the index of a pod that is gone, and
// with every index held a pod is made without one.
// Pure functions.

import { INDEX_ENV, INDEX_ID_ANNOTATION, INDEX_ON_ANNOTATION, INDEX_RANGE_ANNOTATION } from './names.js';

type Json = Record<string, any>;

export type IndexConfig = { on: false } | { on: true; start: number; end: number } | { on: true; error: string };

/** The index feature as the GameDeployment's annotations ask for it, with BCS's checks. */
export function indexConfig(name: string, annotations: Record<string, string> | undefined, replicas: number): IndexConfig {
  if (annotations?.[INDEX_ON_ANNOTATION] !== 'true') return { on: false };
  const raw = annotations[INDEX_RANGE_ANNOTATION];
  if (raw === undefined) return { on: true, error: `gamedeployment ${name} inject index on, get index-range failed: no annotation ${INDEX_RANGE_ANNOTATION}` };
  let range: Json;
  try {
    range = JSON.parse(raw);
  } catch (err) {
    return { on: true, error: `gamedeployment ${name} ${INDEX_RANGE_ANNOTATION} ${JSON.stringify(raw)} is not JSON: ${(err as Error).message}` };
  }
  if (typeof range !== 'object' || range === null || Array.isArray(range)) return { on: true, error: `gamedeployment ${name} ${INDEX_RANGE_ANNOTATION} must be an object {"podStartIndex": s, "podEndIndex": e}` };
  const field = (key: string): number | string => {
    const v = range?.[key];
    if (v === undefined || v === null) return 0;
    return Number.isInteger(v) ? v : `${key} ${JSON.stringify(v)} is not an integer`;
  };
  const start = field('podStartIndex');
  const end = field('podEndIndex');
  if (typeof start === 'string' || typeof end === 'string') return { on: true, error: `gamedeployment ${name} ${INDEX_RANGE_ANNOTATION}: ${[start, end].filter((x) => typeof x === 'string').join('; ')}` };
  if (start < 0 || end < 0 || start >= end) return { on: true, error: `gamedeployment ${name} invalid index range [${start}, ${end}): podStartIndex must be below podEndIndex, both 0 or more` };
  if (replicas > end - start) return { on: true, error: `gamedeployment ${name} scale replicas ${replicas} gt available indexs ${end - start} (podStartIndex ${start}, podEndIndex ${end})` };
  return { on: true, start, end };
}

/** The pod's index, if it carries one. */
export function podIndex(pod: Json): number | undefined {
  const raw = pod.metadata?.annotations?.[INDEX_ID_ANNOTATION];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/** The indexes of [start, end) that no pod holds, lowest first. */
export function freeIndexes(start: number, end: number, pods: readonly Json[]): number[] {
  const held = new Set(pods.map(podIndex).filter((n): n is number => n !== undefined));
  const free: number[] = [];
  for (let i = start; i < end; i++) if (!held.has(i)) free.push(i);
  return free;
}

/** The new pod with its index: the annotation, and POD_INDEX in every container (not init containers, as BCS). */
export function withPodIndex(pod: Json, index: number): Json {
  const value = String(index);
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [INDEX_ID_ANNOTATION]: value };
  for (const c of (pod.spec?.containers ?? []) as Json[]) c.env = [...((c.env ?? []) as Json[]).filter((e) => e.name !== INDEX_ENV), { name: INDEX_ENV, value }];
  return pod;
}
