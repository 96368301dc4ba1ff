// ControllerRevisions: a workload's pod templates by revision, kept as StatefulSet and Kruise
// keep them. A revision is named `<set>-<hash of the template>`, and that name is the value of
// the pods' `controller-revision-hash` label: a pod says which template it was made from, so an
// in-place update can diff that template against the new one, even after a controller restart.

import { createHash } from 'node:crypto';
import { deepEqual } from '../../util/equal.js';
import { CHANGE_CAUSE_ANNOTATION } from '../../util/vocabulary.js';
import { REVISION_LABEL } from '../../update/in-place.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import { isAlreadyExists, isNotFound, keyString, type IndexedCache, type KubeObject } from '../../kube/index.js';
import type { ApiWriter } from './api-writer.js';
import { controllerRefTo, type WorkloadOwner } from './owner.js';

export const REVISION_API_VERSION = 'apps/v1';
export const REVISION_KIND = 'ControllerRevision';
/** StatefulSet's and Kruise's default revisionHistoryLimit. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels (no words), no look-alike characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HASH_LENGTH = 10;

/** JSON with object keys sorted, so equal templates hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** 10 characters of the safe alphabet from sha256(template, collisionCount). */
export function templateHash(template: PodTemplate, collisionCount = 0): string {
  const digest = createHash('sha256').update(canonicalJson(template)).update(collisionCount ? `#${collisionCount}` : '').digest();
  let out = '';
  for (let i = 0; i < HASH_LENGTH; i++) out += SAFE_ALPHABET[digest[i]! % SAFE_ALPHABET.length];
  return out;
}

export function revisionName(ownerName: string, template: PodTemplate, collisionCount = 0): string {
  return `${ownerName}-${templateHash(template, collisionCount)}`;
}

/** The template a ControllerRevision holds (`data.template`). */
export function revisionTemplate(rev: KubeObject): PodTemplate | undefined {
  const t = rev.data?.template;
  return t && typeof t === 'object' ? (t as PodTemplate) : undefined;
}

/**
 * The owner's kubernetes.io/change-cause, kept with the revision it made, as StatefulSet's
 * controller keeps its annotations: `rollout history` shows why each revision was made.
 */
function changeCause(owner: WorkloadOwner): { annotations?: Record<string, string> } {
  const cause = owner.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
  return cause ? { annotations: { [CHANGE_CAUSE_ANNOTATION]: cause } } : {};
}

function revisionNumber(rev: KubeObject): number {
  return typeof rev.revision === 'number' ? rev.revision : Number(rev.revision ?? 0) || 0;
}

export class Revisions {
  /** Templates of revisions this process wrote, for the moment before the cache shows them. */
  private readonly written = new Map<string, PodTemplate>();

  /**
   * @param cache the ControllerRevision informer's cache (every namespace, every owner: a
   *   revision is found by its controller ownerReference)
   */
  constructor(
    private readonly writer: ApiWriter,
    private readonly cache: IndexedCache,
  ) {}

  /** The owner's revisions, oldest revision number first. */
  list(owner: WorkloadOwner): KubeObject[] {
    return this.cache.byController(owner.metadata.uid).sort((a, b) => revisionNumber(a) - revisionNumber(b));
  }

  /** The template of the owner's revision `name`, if it is known. */
  templateOf(owner: WorkloadOwner, name: string | undefined): PodTemplate | undefined {
    if (!name) return undefined;
    const key = keyString({ namespace: owner.metadata.namespace, name });
    const rev = this.cache.get(key);
    if (rev && rev.metadata?.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) return revisionTemplate(rev);
    return this.written.get(key);
  }

  /**
   * The revision holding `template`, created if missing (or renumbered to be the newest when an
   * older one holds it: a rollback). A name taken by a different template (a hash collision) moves
   * on to the next collision count. Returns the revision's name.
   */
  async ensure(owner: WorkloadOwner, template: PodTemplate, labels: Record<string, string>): Promise<string> {
    const ns = owner.metadata.namespace;
    const own = this.list(owner);
    const newest = own.reduce((max, r) => Math.max(max, revisionNumber(r)), 0);
    for (let collision = 0; collision < 100; collision++) {
      const name = revisionName(owner.metadata.name, template, collision);
      const key = keyString({ namespace: ns, name });
      let existing = this.cache.get(key);
      if (existing) this.written.delete(key);
      else if (this.written.has(key) && deepEqual(this.written.get(key), template)) return name;
      if (!existing) {
        const rev: KubeObject = {
          apiVersion: REVISION_API_VERSION,
          kind: REVISION_KIND,
          metadata: { name, namespace: ns, labels: { ...labels, [REVISION_LABEL]: name }, ...changeCause(owner), ownerReferences: [controllerRefTo(owner)] },
          data: { template },
          revision: newest + 1,
        };
        try {
          await this.writer.create(rev);
          this.written.set(key, structuredClone(template));
          return name;
        } catch (err) {
          if (!isAlreadyExists(err)) throw new Error(`${owner.kind} ${ns}/${owner.metadata.name}: creating ControllerRevision ${name}: ${(err as Error).message}`, { cause: err });
          // Made by an earlier reconcile whose write the cache has not shown yet; read it.
          existing = await this.writer.client.get(REVISION_API_VERSION, REVISION_KIND, { namespace: ns, name });
        }
      }
      if (!deepEqual(revisionTemplate(existing), template)) continue;
      if (revisionNumber(existing) < newest) {
        await this.writer.patch(REVISION_API_VERSION, REVISION_KIND, { namespace: ns, name }, { revision: newest + 1 });
      }
      return name;
    }
    throw new Error(`${owner.kind} ${ns}/${owner.metadata.name}: no free ControllerRevision name after 100 hash collisions`);
  }

  /**
   * Deletes the oldest revisions beyond `limit`, never one in `inUse` (the update revision and
   * every revision a pod still carries: an in-place update needs its template).
   */
  async prune(owner: WorkloadOwner, inUse: Set<string>, limit = DEFAULT_REVISION_HISTORY_LIMIT): Promise<number> {
    const unused = this.list(owner).filter((r) => !inUse.has(r.metadata!.name!) && !r.metadata?.deletionTimestamp);
    const excess = unused.length - Math.max(0, limit);
    let deleted = 0;
    for (const rev of unused.slice(0, Math.max(0, excess))) {
      try {
        await this.writer.delete(REVISION_API_VERSION, REVISION_KIND, { namespace: owner.metadata.namespace, name: rev.metadata!.name! }, rev.metadata?.uid);
        deleted++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.written.delete(keyString({ namespace: owner.metadata.namespace, name: rev.metadata!.name! }));
    }
    return deleted;
  }
}
