// downwardAPI volumes, as kubelet keeps them: one file per item, holding a field of the pod
// (its name, namespace, uid, labels, annotations, one label or annotation) or a container's
// resource, written before the containers start and rewritten when the pod's metadata changes,
// so a running game reads `hotpod.dev/update-pending` from a file while it plays. A file is
// replaced whole (written aside, then renamed), so a reader never sees half of one.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { podField, resourceField } from './container-env.js';

type Json = Record<string, any>;

interface NodeFacts {
  name: string;
  hostIP: string;
  podIP: string;
  allocatable: Json;
}

/** Go's strconv.Quote, as kubelet quotes label and annotation values. */
function goQuote(value: string): string {
  return JSON.stringify(value).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** `key="value"` lines sorted by key, kubelet's format for all labels or all annotations. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(String(map![k]))}`)
    .join('\n');
}

/** Why a downwardAPI item path is refused (kubelet's validation), or undefined. */
export function badItemPath(path: string): string | undefined {
  if (!path) return 'must not be empty';
  if (isAbsolute(path)) return 'must be a relative path';
  if (path.split(/[\\/]/).includes('..')) return "must not contain '..'";
  return undefined;
}

/** Each file of a downwardAPI volume and its contents; throws on an item that cannot be read. */
export function downwardFiles(pod: Json, volume: Json, node: NodeFacts): Map<string, string> {
  const files = new Map<string, string>();
  for (const item of (volume.downwardAPI?.items ?? []) as Json[]) {
    const path = String(item.path ?? '');
    const bad = badItemPath(path);
    if (bad) throw new Error(`downwardAPI volume ${volume.name}: item path ${JSON.stringify(path)} ${bad}`);
    if (item.fieldRef) {
      const fieldPath = String(item.fieldRef.fieldPath ?? '');
      if (fieldPath === 'metadata.labels') files.set(path, formatMap(pod.metadata?.labels));
      else if (fieldPath === 'metadata.annotations') files.set(path, formatMap(pod.metadata?.annotations));
      else {
        const value = podField(pod, fieldPath, node);
        if (value === undefined) throw new Error(`downwardAPI volume ${volume.name}: fieldPath ${fieldPath} is not supported`);
        files.set(path, value);
      }
    } else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef;
      const containers = (pod.spec?.containers ?? []) as Json[];
      const container = containers.find((c) => c.name === ref.containerName) ?? (containers.length === 1 ? containers[0] : undefined);
      if (!container) throw new Error(`downwardAPI volume ${volume.name}: resourceFieldRef needs containerName`);
      files.set(path, resourceField(container, ref, node.allocatable));
    }
  }
  return files;
}

/**
 * Brings the volume's directory to `files`: a file whose contents changed is replaced whole;
 * one that did not is left alone (no write, no new mtime). Returns how many it wrote.
 */
export async function syncDownwardDir(dir: string, files: Map<string, string>): Promise<number> {
  let wrote = 0;
  for (const [path, contents] of files) {
    const target = join(dir, normalize(path));
    if (!target.startsWith(dir + sep)) continue;
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === contents) continue;
    await mkdir(dirname(target), { recursive: true });
    const aside = `${target}.${process.pid}.tmp`;
    await writeFile(aside, contents);
    await rename(aside, target);
    wrote++;
  }
  return wrote;
}
