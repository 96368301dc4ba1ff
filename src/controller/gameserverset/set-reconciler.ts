// GameServerSet reconcile: given a set's key, make its pods and GameServers what the spec says.
// Each pass, in this order, and only when the caches show every write of the passes before
// (expectations):
//
//   1. revision   the template's ControllerRevision (the update revision)
//   2. kill       GameServers with opsState Kill lower spec.replicas (once; see replicasAfterKill)
//   3. scale      remove members on reserved ordinals or beyond replicas, add the lowest free
//                 ordinals, give every member its GameServer, its claims and its pod (with
//                 what its network plugin adds: host ports); the claims' ownerReferences
//                 follow persistentVolumeClaimRetentionPolicy
//   4. in service new pods get InPlaceUpdateReady=True (their readiness gate)
//   5. rollout    planRollout picks the pods to move to the update revision now; every pod is
//                 advanced one step towards its target by the shared PodUpdater
//   6. status     counts, observedGeneration, labelSelector, the InPlaceUpdateBlocked condition
//
// Reads come from the informer caches only; writes go through the ApiWriter.

import type { Logger } from 'pino';
import {
  defaultGameServer,
  defaultGameServerSet,
  fieldsNotActedOn,
  priorityValue,
  reservedOrdinals,
  validateGameServerSet,
  type GameServerSet,
  type GameServerSpec,
} from '../../api/index.js';
import { podIsAvailable, podIsUpdating, scaledValue } from '../../update/availability.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import { podImages, podRevision, templateImages, type PodUpdatePolicy, type PodUpdateTarget } from '../../update/pod-update-step.js';
import { planRollout, type PodState } from '../../update/rollout-plan.js';
import { initialLifecycleLabels, isHeldForUpdate, lifecycleState, preNormalGate } from '../../update/lifecycle.js';
import { allocatedUpdateConfig, allocatedVerdict, allocatedWaitingMessage, deadlineEnds, pendingMarksPatch, UPDATE_PENDING_ANNOTATION, UPDATE_PENDING_SINCE_ANNOTATION, type AllocatedVerdict } from '../../update/allocation-gate.js';
import { deepEqual } from '../../util/equal.js';
import { type Expectations, type Reconciler, type ReconcileResult } from '../runtime/index.js';
import { isConflict, isNotFound, keyString, MERGE_PATCH, type EventRecorder, type Informer, type KubeObject, type ObjectKey, type OwnerReference } from '../../kube/index.js';
import {
  asOwner,
  CONDITION_FAILED_UPDATE,
  conditionProblems,
  controllerRefTo,
  forEachLimit,
  invalidSpecMessage,
  nextAvailableInMs,
  ownerKey,
  PodCreator,
  podFromTemplate,
  ProblemEvents,
  REASON_INVALID_SPEC,
  reportInvalidSpec,
  slowStart,
  type ApiWriter,
  type ContainerResources,
  type PodUpdater,
  type Revisions,
  type WorkloadOwner,
} from '../workload/index.js';
import { gameServerMetadataPatch, mirrorLabels, templateMetadata } from './gameserver-state.js';
import { belongsToSet, gameServerOwner, orphanedByPod } from './gameserver-ownership.js';
import { GS_KIND, GSS_API_VERSION, GSS_KIND, OWNER_GSS_LABEL, POD_NAME_LABEL, ordinalOf, serverName } from './labels.js';
import { updateOrder } from './ordering.js';
import { planScale, replicasAfterKill, reserveIdsWith, type Member } from './scale-plan.js';
import { setStatus, type SetCondition } from './set-status.js';
import { claimIsStale, claimNamesOf, claimOwnerRefs, claimTemplates, newClaim, retentionPolicy, withClaimVolumes } from './claims.js';
import { rfc3339 } from '../../util/time.js';
import { inPlaceUpdateHook, NETWORK_TYPE_ANNOTATION, networkAnnotations, PluginError, type Network } from '../network/index.js';

type Json = Record<string, any>;

/** Condition type on the set when InPlaceOnly meets a change that needs a recreate. */
export const IN_PLACE_UPDATE_BLOCKED = 'InPlaceUpdateBlocked';
/** A condition saying how many servers' updates wait for them to leave Allocated. */
const ALLOCATED_UPDATE_WAITING = 'AllocatedUpdateWaiting';
/** A condition naming what the set asks that hotpod stores but does not act on. */
const NOT_ACTED_ON = 'FieldsNotActedOn';
/** Unconfirmed writes are looked at again this often (an event normally comes much sooner). */
const EXPECTATIONS_RECHECK_MS = 5_000;

interface GameServerSetReconcilerOptions {
  sets: Informer;
  gameServers: Informer;
  pods: Informer;
  /** Every PersistentVolumeClaim (a set's own carry game.kruise.io/owner-gss). */
  claims: Informer;
  writer: ApiWriter;
  recorder: EventRecorder;
  revisions: Revisions;
  updater: PodUpdater;
  /** Pod writes, keyed by set (the updater records into the same). */
  podExpectations: Expectations;
  /** GameServer creates and deletes, keyed by set. */
  gameServerExpectations: Expectations;
  /** PersistentVolumeClaim creates, updates and deletes, keyed by set. */
  claimExpectations: Expectations;
  /** The network plugins, which may add to a new pod (host ports). */
  network?: Network;
  logger: Logger;
  /** Concurrent writes within one reconcile. Default 32. */
  writeConcurrency?: number;
  now?: () => number;
}

/** What a pass sees of one set. */
interface SetView {
  owner: WorkloadOwner;
  gss: GameServerSet;
  /** Pods the set controls, by ordinal (terminating ones included). */
  pods: Map<number, KubeObject>;
  /** GameServers of the set's members, by ordinal (being deleted ones included). */
  gameServers: Map<number, KubeObject>;
  /** reclaimPolicy Cascade GameServers whose pod is gone: deleted, and their ordinal waits for it. */
  orphans: Map<number, KubeObject>;
  members: Member[];
}

export class GameServerSetReconciler implements Reconciler {
  private readonly o: GameServerSetReconcilerOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly problems: ProblemEvents;
  private readonly notActedOnEvents: ProblemEvents;
  private readonly creator: PodCreator;

  constructor(opts: GameServerSetReconcilerOptions) {
    this.o = opts;
    this.log = opts.logger.child({ reconciler: 'gameserverset' });
    this.now = opts.now ?? Date.now;
    this.concurrency = opts.writeConcurrency ?? 32;
    this.problems = new ProblemEvents(opts.recorder);
    this.notActedOnEvents = new ProblemEvents(opts.recorder);
    this.creator = new PodCreator({
      writer: opts.writer,
      expectations: opts.podExpectations,
      recorder: opts.recorder,
      nameTaken: 'fail',
      created: (owner, pod) => `create Pod ${pod} in GameServerSet ${owner.metadata.name} successful`,
      failed: (owner, pod, why) => `create Pod ${pod} in GameServerSet ${owner.metadata.name} failed error: ${why}`,
    });
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const cached = this.o.sets.cache.get(key);
    if (!cached) {
      this.o.podExpectations.forget(key);
      this.o.gameServerExpectations.forget(key);
      this.o.claimExpectations.forget(key);
      this.problems.forget(keyString(key));
      this.notActedOnEvents.forget(keyString(key));
      return;
    }
    if (cached.metadata?.deletionTimestamp) return;
    // A write of an earlier pass not yet in the cache: acting now could repeat it.
    if (!this.o.podExpectations.satisfied(key) || !this.o.gameServerExpectations.satisfied(key) || !this.o.claimExpectations.satisfied(key)) {
      return { requeueAfterMs: EXPECTATIONS_RECHECK_MS };
    }
    const owner = asOwner(cached);
    const gss = defaultGameServerSet(structuredClone(cached) as unknown as GameServerSet);
    const causes = validateGameServerSet(gss);
    if (causes.length) return this.refuseInvalidSpec(owner, gss, invalidSpecMessage(causes));

    const template = templateOf(gss);
    const updateRevision = await this.o.revisions.ensure(owner, template, { [OWNER_GSS_LABEL]: owner.metadata.name });
    const view = this.observe(owner, gss);

    if (await this.applyKill(view)) return;
    const { wrote: scaled, removing } = await this.scale(view, updateRevision);
    await this.markNewPodsInService(view);
    await this.syncGameServerMetadata(view, serverTemplateOf(gss));
    let requeueAfterMs: number | undefined;
    const blocked: string[] = [];
    let waiting: string[] | undefined;
    if (!scaled) {
      const rollout = await this.rollout(view, updateRevision, template, removing);
      requeueAfterMs = rollout.requeueAfterMs;
      blocked.push(...rollout.refused);
      waiting = rollout.waiting;
      await this.pruneRevisions(view, updateRevision);
    }
    await this.writeStatus(view, updateRevision, scaled ? undefined : blocked, waiting);
    return requeueAfterMs ? { requeueAfterMs } : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // what is there

  private observe(owner: WorkloadOwner, gss: GameServerSet): SetView {
    const name = owner.metadata.name;
    const pods = new Map<number, KubeObject>();
    for (const pod of this.o.pods.cache.byController(owner.metadata.uid)) {
      const ordinal = ordinalOf(name, pod.metadata?.name);
      if (ordinal !== undefined) pods.set(ordinal, pod);
    }
    const gameServers = new Map<number, KubeObject>();
    const orphans = new Map<number, KubeObject>();
    for (const gs of this.o.gameServers.cache.byLabel(OWNER_GSS_LABEL, name)) {
      const ordinal = ordinalOf(name, gs.metadata?.name);
      if (ordinal === undefined || !belongsToSet(gs, owner, OWNER_GSS_LABEL)) continue;
      if (orphanedByPod(gs, pods.get(ordinal))) orphans.set(ordinal, gs);
      else gameServers.set(ordinal, gs);
    }
    const members: Member[] = [];
    const ordinals = new Set([...gameServers.keys(), ...pods.keys(), ...orphans.keys()]);
    for (const ordinal of ordinals) {
      const gs = gameServers.get(ordinal);
      const pod = pods.get(ordinal);
      const orphan = orphans.get(ordinal);
      const gsLive = gs && !gs.metadata?.deletionTimestamp;
      const podLive = pod && !pod.metadata?.deletionTimestamp;
      // The GameServer is the durable record of an ordinal (with reclaimPolicy Delete it outlives
      // its pod); a live pod whose GameServer is missing, and an orphan GameServer on its way
      // out with its pod, still hold the ordinal (a new GameServer is made below).
      if (!gsLive && !(podLive && !gs) && !(orphan && !orphan.metadata?.deletionTimestamp)) continue;
      const spec = gsSpec(gs ?? orphan);
      members.push({
        name: serverName(name, ordinal),
        ordinal,
        opsState: spec.opsState ?? 'None',
        preparingDelete: pod !== undefined && lifecycleState(pod) === 'PreparingDelete',
        deletionPriority: priorityValue(spec.deletionPriority),
        updatePriority: priorityValue(spec.updatePriority),
      });
    }
    members.sort((a, b) => a.ordinal - b.ordinal);
    return { owner, gss, pods, gameServers, orphans, members };
  }

  /** Copies the template's labels and annotations onto GameServers that lack its latest (OKG's metadata sync). */
  private async syncGameServerMetadata(view: SetView, template: PodTemplate): Promise<void> {
    const key = ownerKey(view.owner);
    const want = templateMetadata(template);
    const stale = [...view.gameServers.values()].flatMap((gs) => {
      const patch = gs.metadata?.deletionTimestamp ? undefined : gameServerMetadataPatch(want, gs);
      return patch ? [{ gs, patch }] : [];
    });
    await forEachLimit(stale, this.concurrency, async ({ gs, patch }) => {
      const child = { namespace: view.owner.metadata.namespace, name: gs.metadata!.name! };
      try {
        const written = await this.o.writer.patch(GSS_API_VERSION, GS_KIND, child, patch, { contentType: MERGE_PATCH, purpose: 'gameServerMetadata' });
        this.o.gameServerExpectations.expectUpdate(key, written);
      } catch (err) {
        if (!isNotFound(err)) throw new Error(`GameServer ${child.namespace}/${child.name}: metadata sync failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // kill

  /** Lowers spec.replicas for Kill servers; true when it did (the set's update event brings the next pass). */
  private async applyKill(view: SetView): Promise<boolean> {
    const settling =
      [...view.pods.values()].some((p) => p.metadata?.deletionTimestamp) || [...view.gameServers.values()].some((g) => g.metadata?.deletionTimestamp);
    const replicas = replicasAfterKill({ replicas: view.gss.spec.replicas, members: view.members, settling });
    if (replicas === undefined) return false;
    const killed = view.members.filter((m) => m.opsState === 'Kill').map((m) => m.name);
    await this.patchSpec(view, { replicas });
    this.o.recorder.event(view.owner, 'Normal', 'KillGameServer', `scale to ${replicas} replicas: GameServer ${killed.join(', ')} has opsState Kill and is not replaced`);
    return true;
  }

  /** A spec change of the set itself, only if nobody changed the set since we read it. */
  private async patchSpec(view: SetView, spec: Json): Promise<void> {
    const m = view.owner.metadata;
    try {
      await this.o.writer.patch(GSS_API_VERSION, GSS_KIND, { namespace: m.namespace, name: m.name }, { metadata: { resourceVersion: m.resourceVersion }, spec });
    } catch (err) {
      if (isConflict(err)) throw Object.assign(new Error(`GameServerSet ${m.namespace}/${m.name} changed meanwhile; retrying`), { code: 409, cause: err });
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // scale

  /**
   * Adds and removes members, and gives each member its GameServer and pod. `wrote`: it wrote;
   * `removing`: the ordinals it removes (some may wait in PreDelete), which the rollout leaves alone.
   */
  private async scale(view: SetView, updateRevision: string): Promise<{ wrote: boolean; removing: Set<number> }> {
    const { gss } = view;
    const reserved = new Set(reservedOrdinals(gss));
    const plan = planScale({
      members: view.members,
      replicas: gss.spec.replicas,
      reserved,
      maxCreate: this.createBudget(view),
      allocatedLast: allocatedUpdateConfig(gss.metadata?.annotations).policy === 'Wait',
    });

    const scaledDown = plan.remove.filter((r) => r.reason === 'scaleDown').map((r) => r.member.ordinal);
    if (scaledDown.length && gss.spec.scaleStrategy?.scaleDownStrategyType === 'ReserveIds') {
      // Reserve first: the pass this patch triggers removes them as reserved ordinals, and a
      // crash in between loses nothing.
      await this.patchSpec(view, { reserveGameServerIds: reserveIdsWith(gss.spec.reserveGameServerIds, scaledDown) });
      return { wrote: true, removing: new Set(scaledDown) };
    }

    const removed = new Set(plan.remove.map((r) => r.member.ordinal));
    let wrote = await this.syncClaimOwners(view, removed);
    if (await this.deleteOrphans(view)) wrote = true;
    await forEachLimit(plan.remove, this.concurrency, async ({ member }) => {
      if (await this.removeMember(view, member.ordinal)) wrote = true;
    });

    const keep = view.members.filter((m) => !removed.has(m.ordinal)).map((m) => m.ordinal);
    const todo = [...keep, ...plan.create].filter((o) => this.needsCreate(view, o));
    if (todo.length === 0) return { wrote, removing: removed };
    const revisions = this.revisionsForNewPods(view, updateRevision, todo);
    await slowStart(todo, this.concurrency, async (ordinal) => {
      await this.createMember(view, ordinal, revisions.get(ordinal)!);
    });
    return { wrote: true, removing: removed };
  }

  /** scaleStrategy.maxUnavailable: new pods only while fewer than that many are unavailable. */
  private createBudget(view: SetView): number | undefined {
    const max = view.gss.spec.scaleStrategy?.maxUnavailable;
    if (max === undefined) return undefined;
    const limit = Math.max(1, scaledValue(max, view.gss.spec.replicas, false, 1));
    const ru = view.gss.spec.updateStrategy?.rollingUpdate;
    const now = this.now();
    const unavailable = view.members.filter((m) => {
      const pod = view.pods.get(m.ordinal);
      return !pod || !podIsAvailable(pod, ru?.minReadySeconds ?? 0, now);
    }).length;
    return Math.max(0, limit - unavailable);
  }

  private needsCreate(view: SetView, ordinal: number): boolean {
    const gs = view.gameServers.get(ordinal);
    // A GameServer being deleted (an orphan included), or a pod still terminating, holds the name: wait for it.
    const pod = view.pods.get(ordinal);
    if (gs?.metadata?.deletionTimestamp || view.orphans.has(ordinal) || pod?.metadata?.deletionTimestamp) return false;
    return !gs || !pod;
  }

  /**
   * New pods go to the update revision, except while the partition is already met: then to the
   * revision most of the old pods carry, so a pod deleted by hand comes back as it was.
   */
  private revisionsForNewPods(view: SetView, updateRevision: string, ordinals: number[]): Map<number, string> {
    const out = new Map<number, string>();
    const { gss } = view;
    const ru = gss.spec.updateStrategy?.rollingUpdate;
    let oldRevision: string | undefined;
    let updated = 0;
    if (gss.spec.updateStrategy?.type !== 'OnDelete') {
      const counts = new Map<string, number>();
      for (const pod of view.pods.values()) {
        if (pod.metadata?.deletionTimestamp) continue;
        const rev = podRevision(pod);
        if (rev === updateRevision) updated++;
        else if (rev && this.o.revisions.templateOf(view.owner, rev)) counts.set(rev, (counts.get(rev) ?? 0) + 1);
      }
      oldRevision = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    }
    const target = Math.max(0, gss.spec.replicas - (ru?.partition ?? 0));
    for (const ordinal of ordinals) {
      const existing = view.pods.get(ordinal);
      if (existing) continue;
      if (oldRevision && updated >= target) out.set(ordinal, oldRevision);
      else {
        out.set(ordinal, updateRevision);
        updated++;
      }
    }
    for (const ordinal of ordinals) if (!out.has(ordinal)) out.set(ordinal, updateRevision);
    return out;
  }

  /**
   * The GameServer (if missing) and the pod (if missing) of one ordinal. reclaimPolicy Delete:
   * the GameServer first (the pod is made from its spec); Cascade: the pod first, as the
   * GameServer's owner, and a new pod always has a new GameServer (OKG makes it from the pod).
   */
  private async createMember(view: SetView, ordinal: number, revision: string): Promise<void> {
    const policy = view.gss.spec.gameServerTemplate?.reclaimPolicy ?? 'Cascade';
    let gs = view.gameServers.get(ordinal);
    let pod = view.pods.get(ordinal);
    if (!gs && policy === 'Delete') gs = await this.createGameServer(view, ordinal, gameServerOwner(policy, view.owner, undefined));
    // The claims come before the pod that mounts them; while one is on its way out the pod waits.
    if (!pod && !(await this.ensureClaims(view, ordinal))) return;
    if (!pod) pod = await this.createPod(view, ordinal, revision, gs);
    if (!gs && pod) await this.createGameServer(view, ordinal, gameServerOwner(policy, view.owner, pod));
  }

  /** A GameServer as OKG's InitGameServer makes it: the template's labels and annotations, and its owner. */
  private async createGameServer(view: SetView, ordinal: number, ownerRef: OwnerReference): Promise<KubeObject> {
    const { owner } = view;
    const name = serverName(owner.metadata.name, ordinal);
    const key = ownerKey(owner);
    const child = { namespace: owner.metadata.namespace, name };
    const meta = templateMetadata(serverTemplateOf(view.gss));
    const fresh: KubeObject = {
      apiVersion: GSS_API_VERSION,
      kind: GS_KIND,
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: { ...meta.labels, [OWNER_GSS_LABEL]: owner.metadata.name },
        annotations: meta.annotations,
        ownerReferences: [ownerRef],
      },
      spec: {},
    };
    this.o.gameServerExpectations.expectCreate(key, child);
    try {
      return await this.o.writer.create(fresh);
    } catch (err) {
      this.o.gameServerExpectations.cancel(key, child, 'create');
      this.o.recorder.event(owner, 'Warning', 'FailedCreate', `create GameServer ${name} in GameServerSet ${owner.metadata.name} failed error: ${(err as Error).message}`);
      throw new Error(`GameServer ${child.namespace}/${name}: create failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The pod of an ordinal, with its GameServer's labels and image overrides (the defaults when it has none yet). */
  private async createPod(view: SetView, ordinal: number, revision: string, gs: KubeObject | undefined): Promise<KubeObject | undefined> {
    const { owner } = view;
    const name = serverName(owner.metadata.name, ordinal);
    const tpl = this.o.revisions.templateOf(owner, revision) ?? templateOf(view.gss);
    const spec = gsSpec(gs);
    const pod = podFromTemplate({
      owner,
      name,
      template: { ...tpl, spec: withClaimVolumes(tpl.spec ?? {}, view.gss, ordinal) },
      revision,
      labels: { [OWNER_GSS_LABEL]: owner.metadata.name, [POD_NAME_LABEL]: name, ...mirrorLabels(spec), ...initialLifecycleLabels(view.gss.spec.lifecycle?.preNormal) },
      images: overrideImages(spec),
      resources: overrideResources(spec),
      spec: {
        // StatefulSet's stable network identity: <pod>.<serviceName>.
        ...(tpl.spec?.hostname ? {} : { hostname: name }),
        ...(view.gss.spec.serviceName && !tpl.spec?.subdomain ? { subdomain: view.gss.spec.serviceName } : {}),
      },
    });
    const network = this.prepareNetwork(owner, pod);
    try {
      const created = await this.creator.create(owner, pod);
      if (!created) network.release();
      return created;
    } catch (err) {
      network.release();
      throw err;
    }
  }

  /** What the pod's network plugin adds to it (host ports); a refusal is the pod's FailedCreate. */
  private prepareNetwork(owner: WorkloadOwner, pod: KubeObject): { release(): void } {
    try {
      return this.o.network?.preparePod(pod) ?? { release: () => undefined };
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      const name = pod.metadata!.name!;
      this.o.recorder.event(owner, 'Warning', 'FailedCreate', `create Pod ${name} in GameServerSet ${owner.metadata.name} failed error: ${err.message}`);
      throw new Error(`pod ${owner.metadata.namespace}/${name}: network ${pod.metadata?.annotations?.[NETWORK_TYPE_ANNOTATION]}: ${err.message}`, { cause: err });
    }
  }

  /** Deletes reclaimPolicy Cascade GameServers whose pod is gone (the garbage collector would too, later). True if it wrote. */
  private async deleteOrphans(view: SetView): Promise<boolean> {
    const key = ownerKey(view.owner);
    const orphans = [...view.orphans.values()].filter((gs) => !gs.metadata?.deletionTimestamp);
    await forEachLimit(orphans, this.concurrency, async (gs) => {
      const child = { namespace: view.owner.metadata.namespace, name: gs.metadata!.name! };
      this.o.gameServerExpectations.expectDelete(key, gs);
      try {
        await this.o.writer.delete(GSS_API_VERSION, GS_KIND, child, gs.metadata?.uid);
      } catch (err) {
        this.o.gameServerExpectations.cancel(key, child, 'delete');
        if (!isNotFound(err) && !isConflict(err)) throw new Error(`GameServer ${child.namespace}/${child.name}: delete failed: ${(err as Error).message}`, { cause: err });
      }
    });
    return orphans.length > 0;
  }

  // -------------------------------------------------------------------------------------------
  // claims

  /**
   * The ordinal's claims, made where missing (an existing one is reused, as StatefulSet does).
   * False while one of them is on its way out (being deleted, or still owned by an earlier pod
   * under whenScaled Delete): the pod waits for it to go, and is made with a fresh claim after.
   */
  private async ensureClaims(view: SetView, ordinal: number): Promise<boolean> {
    const { owner, gss } = view;
    const policy = retentionPolicy(gss);
    const namespace = owner.metadata.namespace;
    const podName = serverName(owner.metadata.name, ordinal);
    let ready = true;
    for (const template of claimTemplates(gss)) {
      const claim = newClaim(owner, gss, template, ordinal);
      const child = { namespace, name: claim.metadata!.name! };
      const existing = this.o.claims.cache.get(child);
      if (existing) {
        if (existing.metadata?.deletionTimestamp || claimIsStale(existing, policy, podName, undefined)) ready = false;
        continue;
      }
      const key = ownerKey(owner);
      this.o.claimExpectations.expectCreate(key, child);
      try {
        await this.o.writer.create(claim, { purpose: 'volumeClaim' });
        this.o.recorder.event(owner, 'Normal', 'SuccessfulCreate', `create Claim ${child.name} Pod ${podName} in GameServerSet ${owner.metadata.name} success`);
      } catch (err) {
        this.o.claimExpectations.cancel(key, child, 'create');
        // Made by someone else meanwhile (or before the cache saw it): it is reused.
        if ((err as { code?: number }).code === 409) continue;
        this.o.recorder.event(owner, 'Warning', 'FailedCreate', `create Claim ${child.name} for Pod ${podName} in GameServerSet ${owner.metadata.name} failed error: ${(err as Error).message}`);
        throw new Error(`PersistentVolumeClaim ${namespace}/${child.name}: create failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return ready;
  }

  /**
   * persistentVolumeClaimRetentionPolicy on the claims of every member: ownerReferences to the
   * set (whenDeleted Delete) and, for the ordinals this scale-down removes (`condemned`), to their
   * pod (whenScaled Delete), so the garbage collector deletes them with it; a condemned ordinal
   * whose pod is already gone has its claims deleted here. True if it wrote.
   */
  private async syncClaimOwners(view: SetView, condemned: Set<number>): Promise<boolean> {
    const { owner, gss } = view;
    if (!claimTemplates(gss).length) return false;
    const policy = retentionPolicy(gss);
    const key = ownerKey(owner);
    const namespace = owner.metadata.namespace;
    const work: { claim: KubeObject; refs?: OwnerReference[]; remove: boolean }[] = [];
    for (const m of view.members) {
      const pod = view.pods.get(m.ordinal);
      const leaving = condemned.has(m.ordinal);
      for (const name of claimNamesOf(gss, m.ordinal)) {
        const claim = this.o.claims.cache.get({ namespace, name });
        if (!claim || claim.metadata?.deletionTimestamp) continue;
        if (leaving && !pod && policy.whenScaled === 'Delete') {
          work.push({ claim, remove: true });
          continue;
        }
        const refs = claimOwnerRefs(claim, policy, owner, pod?.metadata?.uid ? pod : undefined, leaving);
        if (refs) work.push({ claim, refs, remove: false });
      }
    }
    await forEachLimit(work, this.concurrency, async ({ claim, refs, remove }) => {
      const child = { namespace, name: claim.metadata!.name! };
      try {
        if (remove) {
          this.o.claimExpectations.expectDelete(key, claim);
          await this.o.writer.delete('v1', 'PersistentVolumeClaim', child, claim.metadata?.uid, { purpose: 'volumeClaimRetention' });
          this.o.recorder.event(owner, 'Normal', 'SuccessfulDelete', `delete Claim ${child.name} in GameServerSet ${owner.metadata.name} successful`);
        } else {
          const written = await this.o.writer.patch('v1', 'PersistentVolumeClaim', child, { metadata: { resourceVersion: claim.metadata?.resourceVersion, ownerReferences: refs } }, { purpose: 'volumeClaimRetention' });
          this.o.claimExpectations.expectUpdate(key, written);
        }
      } catch (err) {
        if (remove) this.o.claimExpectations.cancel(key, child, 'delete');
        if (isNotFound(err)) return;
        if (isConflict(err)) throw Object.assign(new Error(`PersistentVolumeClaim ${namespace}/${child.name} changed meanwhile; retrying`), { code: 409, cause: err });
        throw new Error(`PersistentVolumeClaim ${namespace}/${child.name}: retention policy: ${(err as Error).message}`, { cause: err });
      }
    });
    return work.length > 0;
  }

  /** Deletes the pod, then the GameServer, of a member leaving the set. True if it wrote. */
  private async removeMember(view: SetView, ordinal: number): Promise<boolean> {
    const { owner } = view;
    const name = serverName(owner.metadata.name, ordinal);
    let wrote = false;
    const pod = view.pods.get(ordinal);
    if (pod && !pod.metadata?.deletionTimestamp) {
      const gated = await this.o.updater.deletePodGated(owner, pod, view.gss.spec.lifecycle?.preDelete, 'scaleDown');
      wrote = gated.wrote;
      if (gated.deleted) this.o.recorder.event(owner, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in GameServerSet ${owner.metadata.name} successful`);
      else {
        // Held by spec.lifecycle.preDelete: the GameServer stays (PreDelete) until released.
        if (gated.wrote) this.o.recorder.event(owner, 'Normal', 'PreDelete', `GameServer ${name} is PreDelete: held by ${gated.holding.join(', ')} (spec.lifecycle.preDelete) until the game releases it`);
        return wrote;
      }
    }
    const gs = view.gameServers.get(ordinal);
    if (gs && !gs.metadata?.deletionTimestamp) {
      const key = ownerKey(owner);
      this.o.gameServerExpectations.expectDelete(key, gs);
      try {
        await this.o.writer.delete(GSS_API_VERSION, GS_KIND, { namespace: owner.metadata.namespace, name }, gs.metadata?.uid);
        wrote = true;
      } catch (err) {
        this.o.gameServerExpectations.cancel(key, { namespace: owner.metadata.namespace, name }, 'delete');
        if (!isNotFound(err)) {
          this.o.recorder.event(owner, 'Warning', 'FailedDelete', `delete GameServer ${name} in GameServerSet ${owner.metadata.name} failed error: ${(err as Error).message}`);
          throw new Error(`GameServer ${owner.metadata.namespace}/${name}: delete failed: ${(err as Error).message}`, { cause: err });
        }
      }
    }
    return wrote;
  }

  // -------------------------------------------------------------------------------------------
  // in service

  private async markNewPodsInService(view: SetView): Promise<void> {
    const fresh = [...view.pods.values()];
    const preNormal = view.gss.spec.lifecycle?.preNormal;
    await forEachLimit(fresh, this.concurrency, async (pod) => {
      const normal = preNormalGate(preNormal, pod);
      // markPodNotReady: a new pod comes into service only once Normal (its readiness gate waits).
      const outOfService = preNormal?.markPodNotReady && lifecycleState(pod) === 'PreparingNormal' && !normal;
      if (!outOfService) await this.o.updater.markInService(view.owner, pod);
      if (normal) await this.o.updater.patchMetadata(view.owner, pod, { labels: normal }, 'preNormal');
    });
  }

  // -------------------------------------------------------------------------------------------
  // rollout

  private async rollout(view: SetView, updateRevision: string, template: PodTemplate, removing: Set<number>): Promise<{ requeueAfterMs?: number; refused: string[]; waiting: string[] }> {
    const { gss, owner } = view;
    const allocated = allocatedUpdateConfig(gss.metadata?.annotations);
    const ru = gss.spec.updateStrategy?.rollingUpdate ?? {};
    const now = this.now();
    const minReady = ru.minReadySeconds ?? 0;
    const policy = (ru.podUpdatePolicy ?? 'ReCreate') as PodUpdatePolicy;
    const live: { pod: KubeObject; rank: Member; allocated: AllocatedVerdict }[] = [];
    for (const m of view.members) {
      const pod = view.pods.get(m.ordinal);
      // A pod a scale-down removes is leaving: no update, and no return to service (markPodNotReady).
      if (!pod || pod.metadata?.deletionTimestamp || removing.has(m.ordinal)) continue;
      live.push({ pod, rank: m, allocated: allocatedVerdict(allocated, m.opsState, pod.metadata?.annotations?.[UPDATE_PENDING_SINCE_ANNOTATION], now) });
    }

    const frozen = gss.spec.updateStrategy?.type === 'OnDelete' || ru.paused === true;
    const selected = new Set<string>();
    if (!frozen) {
      type Candidate = PodState & Member;
      const states: Candidate[] = live.map(({ pod, rank, allocated: verdict }) => ({
        ...rank,
        name: pod.metadata!.name!,
        updated: podRevision(pod) === updateRevision,
        available: podIsAvailable(pod, minReady, now),
        terminating: false,
        // Held in service (a lifecycle hook, or an Allocated server that waits): no budget.
        held: isHeldForUpdate(lifecycleOf(gss), pod) || (verdict.kind === 'hold' && !podIsUpdating(pod)),
      }));
      const plan = planRollout<Candidate>({
        pods: states,
        replicas: gss.spec.replicas,
        partition: ru.partition ?? 0,
        // maxUnavailable 0 would never start; Kruise treats it as 1 as well.
        maxUnavailable: Math.max(1, scaledValue(ru.maxUnavailable, gss.spec.replicas, false, 1)),
        order: updateOrder,
      });
      for (const p of plan.update) selected.add(p.name);
    }

    const refused = new Set<string>();
    const waiting: string[] = [];
    let wait: number | undefined = nextAvailableInMs(live.map((l) => l.pod), minReady, now);
    await forEachLimit(live, this.concurrency, async ({ pod, allocated: verdict }) => {
      const name = pod.metadata!.name!;
      const due = selected.has(name) || podRevision(pod) === updateRevision;
      // PreDelete for a recreate: only its update moves it on (back to service would undo markPodNotReady).
      if (!due && lifecycleState(pod) === 'PreparingDelete') return;
      const target = due
        ? { ...this.rolloutTarget(view, pod, updateRevision, template, policy), holdDisruption: verdict.kind === 'hold' ? verdict.reason : undefined }
        : this.stayTarget(view, pod);
      if (!target) return;
      const step = await this.o.updater.advance(owner, pod, target);
      const held = step.action === 'holdUpdate';
      if (held) {
        waiting.push(name);
        if (verdict.kind === 'hold' && verdict.wakeAt !== undefined) wait = Math.min(wait ?? Infinity, Math.max(0, verdict.wakeAt - now));
      }
      if (deadlineEnds(verdict, step.action)) this.o.recorder.event(owner, 'Warning', 'AllocatedUpdateDeadline', `GameServer ${name} ${verdict.message}`);
      await this.markUpdatePending(view, pod, verdict, held ? updateRevision : undefined, podRevision(pod) === updateRevision);
      if (step.action === 'refuse') {
        refused.add(`pods of revision ${podRevision(pod) ?? '(none)'} cannot be updated to ${updateRevision} in place: ${step.reason}`);
      } else if (step.action === 'waitGrace') {
        wait = wait === undefined ? step.ms : Math.min(wait, step.ms);
      }
    });
    return { requeueAfterMs: wait, refused: [...refused].sort(), waiting: waiting.sort() };
  }

  /**
   * `hotpod.dev/update-pending: <revision>` on the server's pod and GameServer while its update
   * waits for it to leave Allocated (the game reads it through the downward API and drains), and
   * removed once it does not wait.
   */
  private async markUpdatePending(view: SetView, pod: KubeObject, verdict: AllocatedVerdict, waitingFor: string | undefined, atUpdateRevision: boolean): Promise<void> {
    const marks = pendingMarksPatch(pod.metadata?.annotations, verdict, waitingFor, atUpdateRevision, rfc3339(this.now()));
    if (marks) await this.o.updater.patchMetadata(view.owner, pod, { annotations: marks }, 'updatePending');
    const value = (marks ? marks[UPDATE_PENDING_ANNOTATION] : pod.metadata?.annotations?.[UPDATE_PENDING_ANNOTATION]) ?? null;
    const gs = this.gameServerOf(view, pod);
    if (!gs || gs.metadata?.deletionTimestamp || (gs.metadata?.annotations?.[UPDATE_PENDING_ANNOTATION] ?? null) === value) return;
    const child = { namespace: view.owner.metadata.namespace, name: gs.metadata!.name! };
    try {
      const written = await this.o.writer.patch(GSS_API_VERSION, GS_KIND, child, { metadata: { annotations: { [UPDATE_PENDING_ANNOTATION]: value } } }, { contentType: MERGE_PATCH, purpose: 'updatePending' });
      this.o.gameServerExpectations.expectUpdate(ownerKey(view.owner), written);
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`GameServer ${child.namespace}/${child.name}: ${UPDATE_PENDING_ANNOTATION} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Move to the update revision, with this server's image overrides. */
  private rolloutTarget(view: SetView, pod: KubeObject, updateRevision: string, template: PodTemplate, policy: PodUpdatePolicy): PodUpdateTarget {
    const ru = view.gss.spec.updateStrategy?.rollingUpdate;
    return {
      revision: updateRevision,
      to: template,
      from: this.o.revisions.templateOf(view.owner, podRevision(pod)),
      images: { ...templateImages(template), ...overrideImages(gsSpec(this.gameServerOf(view, pod)), template) },
      policy,
      gracePeriodSeconds: ru?.inPlaceUpdateStrategy?.gracePeriodSeconds,
      preUpdate: lifecycleOf(view.gss).inPlaceUpdate,
      preDelete: view.gss.spec.lifecycle?.preDelete,
      markers: 'kruise',
    };
  }

  /**
   * Stay on the pod's own revision: finishes an update under way, brings back into service a pod
   * that left it for an update it is no longer picked for, and applies image overrides in place.
   */
  private stayTarget(view: SetView, pod: KubeObject): PodUpdateTarget | undefined {
    const revision = podRevision(pod);
    if (!revision) return undefined;
    const own = this.o.revisions.templateOf(view.owner, revision);
    const base = own ? templateImages(own) : podImages(pod);
    return {
      revision,
      to: own ?? {},
      from: own,
      images: { ...base, ...overrideImages(gsSpec(this.gameServerOf(view, pod)), own) },
      // An override is always applied in place, whatever the set's policy (it changes images only).
      policy: 'InPlaceIfPossible',
      gracePeriodSeconds: view.gss.spec.updateStrategy?.rollingUpdate?.inPlaceUpdateStrategy?.gracePeriodSeconds,
      markers: 'kruise',
    };
  }

  private gameServerOf(view: SetView, pod: KubeObject): KubeObject | undefined {
    const ordinal = ordinalOf(view.owner.metadata.name, pod.metadata?.name);
    return ordinal === undefined ? undefined : view.gameServers.get(ordinal);
  }

  private async pruneRevisions(view: SetView, updateRevision: string): Promise<void> {
    const inUse = new Set([updateRevision]);
    for (const pod of view.pods.values()) {
      const rev = podRevision(pod);
      if (rev) inUse.add(rev);
    }
    await this.o.revisions.prune(view.owner, inUse);
  }

  // -------------------------------------------------------------------------------------------
  // status

  /**
   * A spec nothing can be made from: no writes but the FailedUpdate condition (the counts as they
   * were, so the status stays valid), and one Warning Event per new message. No retry:
   * only a change of the set can make it valid.
   */
  private async refuseInvalidSpec(owner: WorkloadOwner, gss: GameServerSet, message: string): Promise<void> {
    const previous = (gss.status ?? {}) as Json;
    const existing = (previous.conditions ?? []) as SetCondition[];
    const { conditions, isNew } = reportInvalidSpec(this.problems, owner, existing, message, rfc3339(this.now()));
    if (isNew) this.log.warn({ set: ownerKey(owner), message }, 'invalid GameServerSet, not reconciled');
    const status: Json = { observedGeneration: gss.metadata?.generation, conditions };
    for (const k of ['replicas', 'readyReplicas', 'availableReplicas', 'currentReplicas', 'updatedReplicas']) status[k] = previous[k] ?? 0;
    if (Object.keys(status).every((k) => deepEqual(status[k], previous[k]))) return;
    try {
      await this.o.writer.patch(GSS_API_VERSION, GSS_KIND, { namespace: owner.metadata.namespace, name: owner.metadata.name }, { status }, { status: true, purpose: 'setStatus' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** `blocked`: the refusals of this pass; undefined when no rollout ran (keep the condition as it is). */
  private async writeStatus(view: SetView, updateRevision: string, blocked: string[] | undefined, waiting?: string[]): Promise<void> {
    const { gss, owner } = view;
    const previous = (gss.status ?? {}) as Json;
    const conditions = this.conditions(view, previous.conditions ?? [], blocked, waiting);
    const pods = view.members.map((m) => view.pods.get(m.ordinal)).filter((p): p is KubeObject => p !== undefined);
    const opsStates = view.members.map((m) => m.opsState);
    const status = setStatus({ gss, pods, opsStates, updateRevision, now: this.now(), conditions });
    const changed = Object.keys(status).some((k) => !deepEqual((status as Json)[k], previous[k])) || (previous.conditions?.length && !status.conditions);
    if (!changed) return;
    const patch: Json = { status: { ...status, conditions: status.conditions ?? null } };
    try {
      await this.o.writer.patch(GSS_API_VERSION, GSS_KIND, { namespace: owner.metadata.namespace, name: owner.metadata.name }, patch, { status: true, purpose: 'setStatus' });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /** The set's conditions of this pass: FieldsNotActedOn, AllocatedUpdateWaiting, InPlaceUpdateBlocked. */
  private conditions(view: SetView, existing: SetCondition[], blocked: string[] | undefined, waiting: string[] | undefined): SetCondition[] {
    return this.blockedCondition(view, allocatedWaitCondition(this.notActedOnCondition(view, existing), waiting, this.now()), blocked);
  }

  /**
   * What the set asks that hotpod does not act on: a Warning Event when the list appears or
   * changes, and a condition for as long as it is not empty.
   */
  private notActedOnCondition(view: SetView, existing: SetCondition[]): SetCondition[] {
    const others = existing.filter((c) => c.type !== NOT_ACTED_ON);
    const ignored = notActedOn(view.gss);
    const message = ignored.join('; ');
    const problems = ignored.length ? [{ reason: NOT_ACTED_ON, message }] : [];
    this.notActedOnEvents.report(view.owner, problems, conditionProblems(existing, NOT_ACTED_ON));
    if (!ignored.length) return others;
    const current = existing.find((c) => c.type === NOT_ACTED_ON);
    if (current?.status === 'True' && current.message === message) return [...others, current];
    return [...others, { type: NOT_ACTED_ON, status: 'True', reason: 'NotActedOn', message, lastTransitionTime: rfc3339(this.now()) }];
  }

  /** Sets, changes or clears InPlaceUpdateBlocked, with a Warning Event when it appears or changes. */
  private blockedCondition(view: SetView, existing: SetCondition[], blocked: string[] | undefined): SetCondition[] {
    // The spec is valid again (this pass ran): its InvalidSpec condition goes.
    const others = existing.filter((c) => c.type !== IN_PLACE_UPDATE_BLOCKED && !(c.type === CONDITION_FAILED_UPDATE && c.reason === REASON_INVALID_SPEC));
    const current = existing.find((c) => c.type === IN_PLACE_UPDATE_BLOCKED);
    if (blocked === undefined) return current ? [...others, current] : others;
    const message = `podUpdatePolicy InPlaceOnly: ${blocked.join('; ')}`;
    const problems = blocked.length ? [{ reason: IN_PLACE_UPDATE_BLOCKED, message }] : [];
    this.problems.report(view.owner, problems, conditionProblems(existing, IN_PLACE_UPDATE_BLOCKED));
    if (blocked.length === 0) return others;
    if (current?.status === 'True' && current.message === message) return [...others, current];
    const now = rfc3339(this.now());
    return [...others, { type: IN_PLACE_UPDATE_BLOCKED, status: 'True', reason: 'NotInPlaceUpdatable', message, lastTransitionTime: now }];
  }
}

/**
 * `AllocatedUpdateWaiting`: how many servers' updates wait for them to leave Allocated
 * (`hotpod.dev/allocated-update: Wait`); gone when none. `waiting` undefined: this pass did not
 * roll out (a scale step), so the condition stays as it was.
 */
function allocatedWaitCondition(existing: SetCondition[], waiting: string[] | undefined, now: number): SetCondition[] {
  if (waiting === undefined) return existing;
  const others = existing.filter((c) => c.type !== ALLOCATED_UPDATE_WAITING);
  if (waiting.length === 0) return others;
  const message = allocatedWaitingMessage('GameServer', waiting);
  const current = existing.find((c) => c.type === ALLOCATED_UPDATE_WAITING);
  if (current?.message === message) return [...others, current];
  return [...others, { type: ALLOCATED_UPDATE_WAITING, status: 'True', reason: 'Allocated', message, lastTransitionTime: rfc3339(now) }];
}

/** What the set asks that hotpod does not do: annotation values it cannot read, fields it does not act on. */
function notActedOn(gss: GameServerSet): string[] {
  return [...allocatedUpdateConfig(gss.metadata?.annotations).invalid, ...fieldsNotActedOn('GameServerSet', gss)];
}

/** The pod template part of gameServerTemplate, as written (its metadata is what GameServers copy). */
function serverTemplateOf(gss: GameServerSet): PodTemplate {
  const t = gss.spec.gameServerTemplate ?? {};
  const out: PodTemplate = { spec: (t.spec ?? {}) as Json };
  if (t.metadata && Object.keys(t.metadata).length) out.metadata = t.metadata as PodTemplate['metadata'];
  return out;
}

/**
 * What revisions hash and pods are made from: the template, with the network annotations on the
 * pods (as OKG's Advanced StatefulSet template), so a changed networkConf reaches the pods by
 * the rollout, as upstream.
 */
function templateOf(gss: GameServerSet): PodTemplate {
  const out = serverTemplateOf(gss);
  const network = networkAnnotations(gss.spec.network);
  if (!Object.keys(network).length) return out;
  const metadata = (out.metadata ?? {}) as Record<string, any>;
  return { ...out, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), ...network } } as PodTemplate['metadata'] };
}

/**
 * spec.lifecycle as the pods are held by it: with AllowNotReadyContainers in the network, OKG's
 * inPlaceUpdate hook label too (the network plugin releases it once the Service keeps routing).
 */
function lifecycleOf(gss: GameServerSet): NonNullable<GameServerSet['spec']['lifecycle']> {
  const lifecycle = gss.spec.lifecycle ?? {};
  const inPlaceUpdate = inPlaceUpdateHook(lifecycle.inPlaceUpdate, gss.spec.network);
  return inPlaceUpdate ? { ...lifecycle, inPlaceUpdate } : lifecycle;
}

function gsSpec(gs: KubeObject | undefined): GameServerSpec {
  return defaultGameServer({ spec: structuredClone(gs?.spec ?? {}) } as never).spec;
}

/**
 * A GameServer's spec.containers resources, as OKG's pod webhook applies them when the pod is
 * made: the cpu and memory of requests and limits (other resource names are not taken).
 */
function overrideResources(spec: GameServerSpec): Record<string, ContainerResources> {
  const out: Record<string, ContainerResources> = {};
  for (const c of spec.containers ?? []) {
    const r = (c.resources ?? {}) as ContainerResources;
    const pick = (m: Record<string, string | number> | undefined) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => k === 'cpu' || k === 'memory'));
    const limits = pick(r.limits);
    const requests = pick(r.requests);
    if (Object.keys(limits).length || Object.keys(requests).length) out[c.name] = { limits, requests };
  }
  return out;
}

/** A GameServer's spec.containers images, for containers the template has (others are ignored). */
function overrideImages(spec: GameServerSpec, template?: PodTemplate): Record<string, string> {
  const names = template ? new Set(((template.spec?.containers ?? []) as Json[]).map((c) => c.name)) : undefined;
  const out: Record<string, string> = {};
  for (const c of spec.containers ?? []) if (c.image && (!names || names.has(c.name))) out[c.name] = c.image;
  return out;
}

