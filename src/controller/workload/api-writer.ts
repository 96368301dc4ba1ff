// Every write the workload controllers send goes through here, so that one place counts them
// (by kind and verb: the figure a rollout's cost is measured in) and names the request in
// errors. Reads never come here: they come from the informer caches.

import { MERGE_PATCH, type KubeClient } from '../../kube/index.js';
import type { KubeObject, ObjectKey } from '../../kube/index.js';

export type WriteVerb = 'create' | 'patch' | 'patchStatus' | 'delete';

export interface WriteCounts {
  total: number;
  /** `<Kind>.<verb>` → count, e.g. `Pod.patchStatus` */
  byKindVerb: Record<string, number>;
  /** what the writes were for, when the caller said (`leaveService`, `inPlace`, `mirrorLabels`, ...) */
  byPurpose: Record<string, number>;
}

/** Says what a write is for, in the counts. */
interface WriteTag {
  purpose?: string;
}

export class ApiWriter {
  readonly counts: WriteCounts = { total: 0, byKindVerb: {}, byPurpose: {} };

  constructor(readonly client: KubeClient) {}

  async create<T extends KubeObject>(obj: T, tag: WriteTag = {}): Promise<T> {
    this.count(obj.kind ?? '?', 'create', tag);
    return this.client.createObject<T>(obj);
  }

  /** A patch of the object (JSON merge patch unless told), or of its status with `status: true`. */
  async patch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    key: ObjectKey,
    patch: unknown,
    opts: { contentType?: string; status?: boolean } & WriteTag = {},
  ): Promise<T> {
    this.count(kind, opts.status ? 'patchStatus' : 'patch', opts);
    return this.client.patchObject<T>(apiVersion, kind, key, patch, {
      contentType: opts.contentType ?? MERGE_PATCH,
      subresource: opts.status ? 'status' : undefined,
    });
  }

  /** Delete with a uid precondition when given, so a newer object of the same name is never hit. */
  async delete(apiVersion: string, kind: string, key: ObjectKey, uid?: string, tag: WriteTag = {}): Promise<void> {
    this.count(kind, 'delete', tag);
    await this.client.deleteObject(apiVersion, kind, key, {
      propagationPolicy: 'Background',
      preconditions: uid ? { uid } : undefined,
    });
  }

  private count(kind: string, verb: WriteVerb, tag: WriteTag): void {
    const k = `${kind}.${verb}`;
    this.counts.total++;
    this.counts.byKindVerb[k] = (this.counts.byKindVerb[k] ?? 0) + 1;
    if (tag.purpose) this.counts.byPurpose[tag.purpose] = (this.counts.byPurpose[tag.purpose] ?? 0) + 1;
  }

  snapshot(): WriteCounts {
    return { total: this.counts.total, byKindVerb: { ...this.counts.byKindVerb }, byPurpose: { ...this.counts.byPurpose } };
  }
}
