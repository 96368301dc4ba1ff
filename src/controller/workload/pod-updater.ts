// Drives one pod towards its target: asks src/update for the next step (nextPodUpdateStep) and
// carries it out with at most one API write, recorded in the owner's expectations so the next
// reconcile waits for the cache to show it instead of writing it again. The steps:
//
//   ReCreate:  delete (the workload creates the pod again at its target)
//   InPlace:   status InPlaceUpdateReady=False → [grace period] → patch images, revision label,
//              state annotation → node reports the new images → status InPlaceUpdateReady=True
//              (container by container: one image patch per container, each once the previous
//              one has its new image, and is ready under OrderedReady)
//   HotPatch:  patch images, revision label, state and hot-patch annotations → node reports the
//              new images in the same containers → state marked confirmed
//
// Which pods move, and when, is the workload's decision (planRollout); this only moves them.

import type { Logger } from 'pino';
import { nextPodUpdateStep, needsReadinessCondition, type PodUpdateStep, type PodUpdateTarget } from '../../update/pod-update-step.js';
import { finishInPlacePatch, startInPlacePatch } from '../../update/in-place.js';
import { preDeleteGate, type LifecycleHook } from '../../update/lifecycle.js';
import { type ControllerMetrics, type Expectations } from '../runtime/index.js';
import { isNotFound, STRATEGIC_MERGE_PATCH, type EventRecorder, type KubeObject } from '../../kube/index.js';
import type { ApiWriter } from './api-writer.js';
import { ownerKey, type WorkloadOwner } from './owner.js';
import { rfc3339 } from '../../util/time.js';

export interface PodUpdaterOptions {
  writer: ApiWriter;
  /** Expectations over the pod cache, keyed by owner. */
  expectations: Expectations;
  recorder: EventRecorder;
  logger: Logger;
  now?: () => number;
  /**
   * The message of a successful update's event, for a workload whose reference API words it
   * its own way (BCS: `successfully update pod X hot-patch`). Default: Kruise's
   * `successfully update pod X in-place(revision R)`.
   */
  successMessage?: (method: 'hot-patch' | 'in-place' | 'recreate', pod: string, revision: string) => string;
  /** counts the updates performed (hotpod_pods_updated_total) */
  metrics?: ControllerMetrics;
}

const kruiseMessage = (method: 'hot-patch' | 'in-place' | 'recreate', pod: string, revision: string) => `successfully update pod ${pod} ${method}(revision ${revision})`;

export class PodUpdater {
  private readonly writer: ApiWriter;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly successMessage: NonNullable<PodUpdaterOptions['successMessage']>;
  private readonly metrics?: ControllerMetrics;

  constructor(opts: PodUpdaterOptions) {
    this.writer = opts.writer;
    this.expectations = opts.expectations;
    this.recorder = opts.recorder;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.successMessage = opts.successMessage ?? kruiseMessage;
    this.metrics = opts.metrics;
  }

  /**
   * Works out the pod's next step towards `target` and carries it out; returns the step. A pod
   * that has just left service with no grace period to wait goes straight on to its image patch,
   * from the pod the status write returned (as Kruise's in-place update does), rather than a
   * reconcile later: a rollout of many pods then waits for the cache once less.
   */
  async advance(owner: WorkloadOwner, pod: KubeObject, target: PodUpdateTarget): Promise<PodUpdateStep> {
    const step = await this.advanceOnce(owner, pod, target);
    if (step.action !== 'leaveService' || !step.written) return step;
    const next = nextPodUpdateStep(step.written, target, this.now());
    if (next.action !== 'patch') return step;
    return this.advanceOnce(owner, step.written, target, next);
  }

  private async advanceOnce(owner: WorkloadOwner, pod: KubeObject, target: PodUpdateTarget, planned?: PodUpdateStep): Promise<PodUpdateStep & { written?: KubeObject }> {
    if (pod.metadata?.deletionTimestamp) return { action: 'none' };
    const step = planned ?? nextPodUpdateStep(pod, target, this.now());
    const name = pod.metadata!.name!;
    switch (step.action) {
      case 'leaveService':
      case 'returnToService': {
        const written = await this.write(owner, pod, `set InPlaceUpdateReady ${step.action === 'leaveService' ? 'False' : 'True'}`, () =>
          this.writer.patch('v1', 'Pod', podKey(pod), step.statusPatch, { contentType: STRATEGIC_MERGE_PATCH, status: true, purpose: step.action }),
        );
        return { ...step, written };
      }
      case 'patch': {
        const hot = step.method === 'HotPatch';
        const what = hot ? 'hot-patch' : 'in-place';
        let written: KubeObject | undefined;
        try {
          written = await this.write(owner, pod, `${what} update`, () => this.writer.patch('v1', 'Pod', podKey(pod), step.patch, { contentType: STRATEGIC_MERGE_PATCH, purpose: hot ? 'hotPatch' : step.nextContainer ? 'inPlaceNextContainer' : 'inPlace' }));
        } catch (err) {
          this.recorder.event(owner, 'Warning', hot ? 'FailedUpdatePodHotPatch' : 'FailedUpdatePodInPlace', `failed to update pod ${name} ${what}(revision ${target.revision}): ${(err as Error).message}`);
          throw err;
        }
        // The next container of a container-by-container update: the update was counted and
        // announced with its first patch (as Kruise's Refresh, which patches later batches silently).
        if (!written || step.nextContainer) break;
        this.metrics?.podUpdated(owner.kind, step.method);
        this.recorder.event(
          owner,
          'Normal',
          hot ? 'SuccessfulUpdatePodHotPatch' : 'SuccessfulUpdatePodInPlace',
          this.successMessage(hot ? 'hot-patch' : 'in-place', name, target.revision),
        );
        break;
      }
      case 'prepareUpdate': {
        const written = await this.write(owner, pod, 'mark PreparingUpdate', () => this.writer.patch('v1', 'Pod', podKey(pod), step.patch, { purpose: 'preUpdate' }));
        if (written && step.statusPatch) await this.markPodNotReady(owner, pod, step.statusPatch);
        if (written) this.recorder.event(owner, 'Normal', 'PreUpdate', `pod ${name} is PreUpdate: held by ${step.holding.join(', ')} (spec.lifecycle.inPlaceUpdate) until the game releases it`);
        break;
      }
      case 'callOffUpdate':
        await this.write(owner, pod, 'call off PreparingUpdate', () => this.writer.patch('v1', 'Pod', podKey(pod), step.patch, { purpose: 'preUpdateCalledOff' }));
        break;
      case 'confirm':
        await this.write(owner, pod, 'confirm hot-patch', () => this.writer.patch('v1', 'Pod', podKey(pod), step.patch, { contentType: STRATEGIC_MERGE_PATCH, purpose: 'confirmHotPatch' }));
        break;
      case 'recreate': {
        // spec.lifecycle.preDelete holds a recreate as it holds a scale-down (as Kruise's do).
        const gated = await this.deletePodGated(owner, pod, target.preDelete, 'recreate');
        if (!gated.deleted) {
          if (gated.wrote) this.recorder.event(owner, 'Normal', 'PreDelete', `pod ${name} is PreDelete: held by ${gated.holding.join(', ')} (spec.lifecycle.preDelete) until the game releases it, then recreated`);
          break;
        }
        this.metrics?.podUpdated(owner.kind, 'ReCreate');
        this.recorder.event(owner, 'Normal', 'SuccessfulUpdatePodReCreate', `${this.successMessage('recreate', name, target.revision)}: ${step.reason}`);
        break;
      }
      default:
        // none, waitGrace, waitNode, refuse, failed: nothing to write. The caller reads waits,
        // refusals and failures: a failure lasts until a newer revision replaces it, so the
        // caller reports it once (ProblemEvents), not on every pass.
        break;
    }
    return step;
  }

  /**
   * A new pod carries the readiness gate, and the pod cannot be Ready until its condition
   * exists: write InPlaceUpdateReady=True once (pods/status; a create cannot set status).
   */
  async markInService(owner: WorkloadOwner, pod: KubeObject): Promise<boolean> {
    if (!needsReadinessCondition(pod)) return false;
    const now = rfc3339(this.now());
    return undefined !== await this.write(owner, pod, 'set InPlaceUpdateReady True', () =>
      this.writer.patch('v1', 'Pod', podKey(pod), finishInPlacePatch(now), { contentType: STRATEGIC_MERGE_PATCH, status: true, purpose: 'markInService' }),
    );
  }

  /**
   * Deletes the pod unless a preDelete hook holds it (spec.lifecycle.preDelete): a held pod is
   * marked PreparingDelete once, then waits for the game to release it. `wrote`: a write went
   * out; `holding`: what holds the pod, when it waits.
   */
  async deletePodGated(owner: WorkloadOwner, pod: KubeObject, hook: LifecycleHook | undefined, purpose: string): Promise<{ wrote: boolean; deleted: boolean; holding: string[] }> {
    const gate = preDeleteGate(hook, pod);
    if (gate.kind === 'delete') {
      const deleted = await this.deletePod(owner, pod, purpose);
      return { wrote: deleted, deleted, holding: [] };
    }
    if (gate.kind === 'wait') return { wrote: false, deleted: false, holding: gate.holding };
    const written = await this.patchMetadata(owner, pod, { labels: gate.labels }, 'preDelete');
    // markPodNotReady: out of service while it waits to be deleted.
    if (written && hook?.markPodNotReady) await this.markPodNotReady(owner, pod, startInPlacePatch(rfc3339(this.now())));
    return { wrote: written, deleted: false, holding: gate.holding };
  }

  /** A lifecycle hook's markPodNotReady: InPlaceUpdateReady False (pods/status) while the pod is held. */
  private async markPodNotReady(owner: WorkloadOwner, pod: KubeObject, statusPatch: Record<string, unknown>): Promise<void> {
    await this.write(owner, pod, 'set InPlaceUpdateReady False', () =>
      this.writer.patch('v1', 'Pod', podKey(pod), statusPatch, { contentType: STRATEGIC_MERGE_PATCH, status: true, purpose: 'markPodNotReady' }),
    );
  }

  /** Merges labels and annotations onto the pod (null removes one); false if the pod was gone. */
  async patchMetadata(owner: WorkloadOwner, pod: KubeObject, metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> }, purpose: string): Promise<boolean> {
    const written = await this.write(owner, pod, purpose, () => this.writer.patch('v1', 'Pod', podKey(pod), { metadata }, { purpose }));
    return written !== undefined;
  }

  /** Deletes the pod (uid precondition: never a newer pod of the same name); false if it was gone. */
  async deletePod(owner: WorkloadOwner, pod: KubeObject, purpose = 'deletePod'): Promise<boolean> {
    const key = ownerKey(owner);
    this.expectations.expectDelete(key, pod);
    try {
      await this.writer.delete('v1', 'Pod', podKey(pod), pod.metadata?.uid, { purpose });
      return true;
    } catch (err) {
      this.expectations.cancel(key, podKey(pod), 'delete');
      if (isNotFound(err)) return false;
      throw new Error(`pod ${podKey(pod).namespace}/${podKey(pod).name}: delete failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * One pod write whose answer the next reconcile must see in the cache before acting again;
   * returns the pod as written, or undefined when it was gone.
   */
  private async write(owner: WorkloadOwner, pod: KubeObject, what: string, send: () => Promise<KubeObject>): Promise<KubeObject | undefined> {
    try {
      const written = await send();
      this.expectations.expectUpdate(ownerKey(owner), written);
      this.log.debug({ pod: podKey(pod), what, resourceVersion: written.metadata?.resourceVersion }, 'pod written');
      return written;
    } catch (err) {
      // A pod deleted meanwhile needs nothing more; the next reconcile sees it gone.
      if (isNotFound(err)) return undefined;
      throw new Error(`pod ${podKey(pod).namespace}/${podKey(pod).name}: ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

function podKey(pod: KubeObject): { namespace: string; name: string } {
  return { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
}
