// GameServer reconcile: the GameServer and its pod (same name) mirror each other.
// - GameServer → pod: labels gs-opsState, gs-update-priority, gs-delete-priority,
//   network-disabled, gs-state, and every label and annotation prefixed gs-sync/ (set, never
//   removed: the template may have put it there).
// - pod → GameServer: status.currentState (see gameserver-state.ts), desiredState, the
//   priorities in effect (the DP and UP columns), the whole pod status, the conditions PodNormal
//   and NodeNormal (gameserver-conditions.ts), and the label game.kruise.io/node-name.
// - OKG's Events on the GameServer: "State turn from A to B " and the other "turn from" ones,
//   and a Warning for a condition that turns False.
// - the set's serviceQualities: a probe result that changed (the pod's game.kruise.io/<name>
//   condition) runs its actions on the GameServer, and status.serviceQualitiesConditions
//   records it (service-quality.ts).
// - the network: the pod's plugin runs each pass (../network: its Service or Ingress, the pod's
//   network-status annotation), status.networkStatus follows its finding, and a server whose
//   network is not yet what it should be is looked at again (OKG's wait).
// The GameServerSet reconcile creates and deletes GameServers (gameserver-ownership.ts: who owns
// one, by reclaimPolicy); this one only keeps them in sync, and leaves a Cascade one whose pod is
// gone alone.

import type { Logger } from 'pino';
import { defaultGameServer, type GameServer, type GameServerState } from '../../api/index.js';
import { deepEqual } from '../../util/equal.js';
import { type Expectations, type Reconciler, type ReconcileResult } from '../runtime/index.js';
import { controllerRef, isNotFound, keyString, MERGE_PATCH, type EventRecorder, type Informer, type KubeObject, type ObjectKey } from '../../kube/index.js';
import { qualityProbesAnnotation, syncServiceQualities, type ServiceQuality, type ServiceQualityCondition } from './service-quality.js';
import { SERVICE_QUALITY_NODE_LABEL, SERVICE_QUALITY_PROBES_ANNOTATION } from '../../util/vocabulary.js';

import { ServiceQualityRunner } from './quality-runner.js';
import type { QualityProbe } from '../../util/quality-prober.js';
import type { ApiWriter } from '../workload/index.js';
import { desiredStatus, mirrorEvents, observedState, podMirrorPatch, stateEvent, stateToReport } from './gameserver-state.js';
import { nodeNormalCondition, notActedOnCondition, podNormalCondition, syncConditions, type ConditionBuilder, type GameServerCondition } from './gameserver-conditions.js';
import { GS_KIND, GS_NODE_NAME_LABEL, GS_OPS_STATE_CHANGED_ANNOTATION, GS_OPS_STATE_LABEL, GS_STATE_CHANGED_ANNOTATION, GS_STATE_LABEL, GSS_API_VERSION, OWNER_GSS_LABEL } from './labels.js';
import { orphanedByPod, ownedByPod } from './gameserver-ownership.js';
import { rfc3339 } from '../../util/time.js';
import { persistentVolumeCondition } from './volume-condition.js';
import { fieldsNotActedOn } from '../../api/field-support.js';
import { DEFAULT_NETWORK_WAIT, gameServerNetworkStatus, NETWORK_STATE_REASON, networkWait, type Network, type NetworkOutcome, type NetworkWaitConfig } from '../network/index.js';
import { goDuration } from '../../util/duration.js';

type Json = Record<string, any>;

interface GameServerReconcilerOptions {
  gameServers: Informer;
  gameServerSets: Informer;
  pods: Informer;
  /** Whether a pod's node runs service-quality probes (SERVICE_QUALITY_NODE_LABEL). */
  nodes: Informer;
  /** PersistentVolumeClaims and PersistentVolumes, for the PersistentVolumeNormal condition. */
  claims: Informer;
  volumes: Informer;
  /** Runs the probes of pods whose node does not. */
  qualityRunner: ServiceQualityRunner;
  recorder: EventRecorder;
  writer: ApiWriter;
  /** Pod label writes, keyed by GameServer. */
  podExpectations: Expectations;
  /** GameServer status writes, keyed by GameServer. */
  gameServerExpectations: Expectations;
  /**
   * How long a transient state (Creating, Updating, Deleting, NotReady) must last before it is reported.
   * Default 1000 ms: a fast in-place update then changes no state and writes no pod label.
   */
  transientStateDelayMs?: number;
  /** The network plugins: each pass over a server runs its plugin (status.networkStatus). */
  network?: Network;
  /** How long and how often a server whose network differs from the desired state is looked at again (OKG's). */
  networkWait?: NetworkWaitConfig;
  logger: Logger;
  now?: () => number;
}

export class GameServerReconciler implements Reconciler {
  private readonly o: GameServerReconcilerOptions;
  private readonly now: () => number;
  private readonly delayMs: number;
  /** GameServer key → the state its pod was first seen in, and when (for the transient delay). */
  private readonly firstSeen = new Map<string, { state: GameServerState; at: number }>();
  /** GameServer key → the network lastTransitionTime whose wait timed out (one Warning Event each). */
  private readonly networkTimedOut = new Map<string, string>();

  constructor(opts: GameServerReconcilerOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.delayMs = opts.transientStateDelayMs ?? 1000;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const k = keyString(key);
    const cached = this.o.gameServers.cache.get(key);
    if (!cached) {
      this.o.qualityRunner.forget(k);
      this.firstSeen.delete(k);
      this.o.podExpectations.forget(k);
      this.o.gameServerExpectations.forget(k);
      this.o.network?.forget(k);
      this.networkTimedOut.delete(k);
      return;
    }
    if (cached.metadata?.deletionTimestamp) return;
    const networkSeen = this.o.network?.satisfied(k) ?? true;
    if (!this.o.podExpectations.satisfied(k) || !this.o.gameServerExpectations.satisfied(k) || !networkSeen) return { requeueAfterMs: 1000 };

    const gs = defaultGameServer(structuredClone(cached) as unknown as GameServer);
    let pod: KubeObject | undefined = this.o.pods.cache.get(key);
    // A Cascade GameServer whose pod is gone is on its way out (the set reconciler and the
    // garbage collector delete it): nothing to mirror, and never onto a new pod of the same name.
    if (orphanedByPod(cached, pod)) return;
    // Same name is not enough: the pod must belong to the GameServer's set (or be its owner).
    if (pod && !ownedByPod(cached) && controllerRef(pod)?.uid !== controllerRef(cached)?.uid) pod = undefined;

    const now = this.now();
    const qualities = this.serviceQualities(cached);
    const quality = qualities.length && pod ? syncServiceQualities(qualities, (pod.status?.conditions ?? []) as never[], (gs.status?.serviceQualitiesConditions ?? []) as ServiceQualityCondition[], rfc3339(now)) : undefined;
    if (quality) await this.applyActions(key, gs, quality);
    const observed = observedState(pod);
    let seen = this.firstSeen.get(k);
    if (!seen || seen.state !== observed) this.firstSeen.set(k, (seen = { state: observed, at: now }));
    const report = stateToReport(gs.status?.currentState, observed, seen.at, now, this.delayMs);

    // Decided for every pod, so that a terminating or vanished one stops being probed from here.
    const probes = this.probeRunner(k, qualities, pod);
    const disabled = gs.spec.networkDisabled ?? false;
    const network = pod && this.o.network ? await this.o.network.pass(k, pod, disabled) : undefined;
    if (pod && !pod.metadata?.deletionTimestamp) {
      const mirror: { labels: Record<string, string>; annotations: Record<string, string | null> } = podMirrorPatch(gs, report.state, pod);
      Object.assign(mirror.annotations, network?.annotations ?? {});
      Object.assign(mirror.labels, network?.labels ?? {});
      if ((pod.metadata?.annotations?.[SERVICE_QUALITY_PROBES_ANNOTATION] ?? '') !== probes) mirror.annotations[SERVICE_QUALITY_PROBES_ANNOTATION] = probes || null;
      const events = mirrorEvents(pod.metadata?.labels, mirror.labels);
      // When the game's opsState and the server's state last changed, on the pod (OKG's annotations).
      if (mirror.labels[GS_OPS_STATE_LABEL] !== undefined) mirror.annotations[GS_OPS_STATE_CHANGED_ANNOTATION] = rfc3339(now);
      if (mirror.labels[GS_STATE_LABEL] !== undefined && pod.metadata?.labels?.[GS_STATE_LABEL]) mirror.annotations[GS_STATE_CHANGED_ANNOTATION] = rfc3339(now);
      if (Object.keys(mirror.labels).length || Object.keys(mirror.annotations).length) {
        const metadata: Json = {};
        if (Object.keys(mirror.labels).length) metadata.labels = mirror.labels;
        if (Object.keys(mirror.annotations).length) metadata.annotations = mirror.annotations;
        try {
          const written = await this.o.writer.patch('v1', 'Pod', key, { metadata }, { contentType: MERGE_PATCH, purpose: 'mirrorGameServer' });
          this.o.podExpectations.expectUpdate(k, written);
          for (const e of events) this.o.recorder.event(cached, e.type, e.reason, e.message);
        } catch (err) {
          if (!isNotFound(err)) throw new Error(`pod ${k}: mirroring GameServer labels failed: ${(err as Error).message}`, { cause: err });
        }
      }
    }

    if (pod) await this.syncNodeNameLabel(key, gs, pod);
    const nowIso = rfc3339(now);
    const want = desiredStatus(gs.spec, gs.status, report.state, pod, nowIso);
    if (quality) want.serviceQualitiesConditions = quality.conditions;
    const have = (gs.status ?? {}) as Json;
    // Conditions speak of the pod (and its node): without one, the last ones stay (OKG writes nothing then).
    const conditions = pod ? syncConditions(this.conditionBuilders(cached, pod), have.conditions as GameServerCondition[] | undefined, nowIso) : undefined;
    if (conditions) want.conditions = conditions.conditions.length ? conditions.conditions : undefined;
    // Without a pod the network stays as it was last seen.
    if (network) want.networkStatus = gameServerNetworkStatus(have.networkStatus, { ...network, disabled }, nowIso);
    const networkGone = network && have.networkStatus && !want.networkStatus;
    if (Object.keys(want).some((f) => !deepEqual(want[f], have[f])) || (have.podStatus && !want.podStatus) || networkGone) {
      // A merge patch keeps keys it does not name: spell out the podStatus keys that went away.
      const podStatus = want.podStatus ? { ...nulls(have.podStatus), ...want.podStatus } : null;
      const patch: Json = { ...want, podStatus };
      if (network) patch.networkStatus = want.networkStatus ? { ...nulls(have.networkStatus), ...want.networkStatus } : null;
      try {
        const written = await this.o.writer.patch(GSS_API_VERSION, GS_KIND, key, { status: patch }, { status: true, purpose: 'gameServerStatus' });
        this.o.gameServerExpectations.expectUpdate(k, written);
        for (const w of conditions?.warnings ?? []) this.o.recorder.event(cached, 'Warning', w.reason, w.message);
        const turned = stateEvent(have.currentState, want.currentState);
        if (turned) this.o.recorder.event(cached, turned.type, turned.reason, turned.message);
      } catch (err) {
        if (!isNotFound(err)) throw new Error(`GameServer ${k}: status update failed: ${(err as Error).message}`, { cause: err });
      }
    }
    if (network?.failed) throw new Error(`GameServer ${k}: network: ${network.failed.message}`, { cause: network.failed });
    const recheck = [report.recheckInMs, this.networkRecheck(cached, k, network, want.networkStatus)].filter((ms): ms is number => ms !== undefined);
    return recheck.length ? { requeueAfterMs: Math.min(...recheck) } : undefined;
  }

  /**
   * OKG's wait for the network: while its current state is not the desired one, the server is
   * looked at again every interval, up to the total wait since lastTransitionTime; then one
   * Warning Event. Nothing to wait for without a plugin (no one changes the state).
   */
  private networkRecheck(gs: KubeObject, k: string, network: NetworkOutcome | undefined, status: Json | undefined): number | undefined {
    if (!network?.hasPlugin) return undefined;
    const config = this.o.networkWait ?? DEFAULT_NETWORK_WAIT;
    const wait = networkWait(status, this.now(), config);
    if (wait.timedOutAfterMs === undefined) return wait.recheckInMs;
    const since = String(status?.lastTransitionTime);
    if (this.networkTimedOut.get(k) !== since) {
      this.networkTimedOut.set(k, since);
      this.o.recorder.event(gs, 'Warning', NETWORK_STATE_REASON, `Network wait timeout: waited ${goDuration(wait.timedOutAfterMs)}, max ${goDuration(config.totalWaitMs)}`);
    }
    return undefined;
  }

  /** status.conditions, one builder each, in OKG's order. */
  private conditionBuilders(gs: KubeObject, pod: KubeObject): ConditionBuilder[] {
    const nodeName = pod.spec?.nodeName as string | undefined;
    const node = nodeName ? this.o.nodes.cache.get(nodeName) : undefined;
    return [
      () => podNormalCondition(pod),
      // An unscheduled pod has no node to speak of; a node not (yet) in the cache is left out.
      () => (node ? nodeNormalCondition(node) : undefined),
      () => {
        const namespace = pod.metadata?.namespace ?? '';
        return persistentVolumeCondition(pod, { claim: (name) => this.o.claims.cache.get({ namespace, name }), volume: (name) => this.o.volumes.cache.get(name) });
      },
      () => notActedOnCondition([...unusedResources(gs), ...fieldsNotActedOn('GameServer', gs), ...this.networkNotActedOn(gs)]),
    ];
  }

  /** What the set asks of each server's network that hotpod does not do (a plugin it lacks): every server goes without. */
  private networkNotActedOn(gs: KubeObject): string[] {
    const network = (this.setOf(gs)?.spec as Json | undefined)?.network;
    return network ? fieldsNotActedOn('GameServerSet', { spec: { network } }) : [];
  }

  /** The `game.kruise.io/node-name` label: the pod's node (OKG's), once it has one. */
  private async syncNodeNameLabel(key: ObjectKey, gs: GameServer, pod: KubeObject): Promise<void> {
    const node = pod.spec?.nodeName as string | undefined;
    if (!node || gs.metadata?.labels?.[GS_NODE_NAME_LABEL] === node) return;
    try {
      const written = await this.o.writer.patch(GSS_API_VERSION, GS_KIND, key, { metadata: { labels: { [GS_NODE_NAME_LABEL]: node } } }, { contentType: MERGE_PATCH, purpose: 'gameServerNodeName' });
      this.o.gameServerExpectations.expectUpdate(keyString(key), written);
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`GameServer ${keyString(key)}: ${GS_NODE_NAME_LABEL} label failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Who probes the qualities: a node whose agent runs them (SERVICE_QUALITY_NODE_LABEL) gets them
   * in the pod's annotation; on any other node this controller runs them (quality-runner.ts).
   */
  private probeRunner(k: string, qualities: ServiceQuality[], pod: KubeObject | undefined): string {
    const node = pod?.spec?.nodeName as string | undefined;
    const nodeRuns = !!node && this.o.nodes.cache.get(node)?.metadata?.labels?.[SERVICE_QUALITY_NODE_LABEL] === 'true';
    const probes = qualityProbesAnnotation(qualities);
    const running = pod && !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running';
    if (probes && running && node && !nodeRuns) this.o.qualityRunner.ensure(pod, JSON.parse(probes) as QualityProbe[], `${pod.metadata?.uid}/${probes}`);
    else this.o.qualityRunner.forget(k);
    return nodeRuns ? probes : '';
  }

  /** The serviceQualities of the GameServer's set. */
  private serviceQualities(gs: KubeObject): ServiceQuality[] {
    const set = this.setOf(gs);
    return ((set?.spec as Json | undefined)?.serviceQualities ?? []) as ServiceQuality[];
  }

  /** The GameServer's set: its owner-gss label names it (the controller may be the set or, Cascade, the pod). */
  private setOf(gs: KubeObject): KubeObject | undefined {
    const name = gs.metadata?.labels?.[OWNER_GSS_LABEL] ?? (ownedByPod(gs) ? undefined : controllerRef(gs)?.name);
    return name ? this.o.gameServerSets.cache.get({ namespace: gs.metadata?.namespace ?? '', name }) : undefined;
  }

  /** What the actions of changed probe results set on the GameServer: one patch, and the copy in hand updated. */
  private async applyActions(key: ObjectKey, gs: GameServer, q: ReturnType<typeof syncServiceQualities>): Promise<void> {
    const k = keyString(key);
    for (const w of q.warnings) this.o.recorder.event(gs as unknown as KubeObject, 'Warning', w.reason, w.message);
    const spec = differs(q.spec, gs.spec as Json) ? q.spec : undefined;
    const labels = differs(q.labels, gs.metadata?.labels) ? q.labels : undefined;
    const annotations = differs(q.annotations, gs.metadata?.annotations) ? q.annotations : undefined;
    if (!spec && !labels && !annotations) return;
    const patch: Json = {};
    if (spec) patch.spec = spec;
    if (labels || annotations) patch.metadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
    try {
      const written = await this.o.writer.patch(GSS_API_VERSION, GS_KIND, key, patch, { contentType: MERGE_PATCH, purpose: 'serviceQualityAction' });
      this.o.gameServerExpectations.expectUpdate(k, written);
      Object.assign(gs.spec as Json, spec ?? {});
      gs.metadata = { ...gs.metadata, labels: { ...(gs.metadata?.labels ?? {}), ...(labels ?? {}) }, annotations: { ...(gs.metadata?.annotations ?? {}), ...(annotations ?? {}) } } as typeof gs.metadata;
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`GameServer ${k}: service-quality action failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * spec.containers[].resources reach a pod only when it is made (OKG's pod webhook). A Cascade
 * GameServer is made after its pod, and a new pod gets a new GameServer: its resources never
 * reach one.
 */
function unusedResources(gs: KubeObject): string[] {
  if (!ownedByPod(gs)) return [];
  const containers = ((gs.spec as Json | undefined)?.containers ?? []) as Json[];
  const named = containers.filter((c) => Object.keys(c.resources?.limits ?? {}).length || Object.keys(c.resources?.requests ?? {}).length).map((c) => c.name as string);
  if (!named.length) return [];
  return [
    `spec.containers[${named.join(', ')}].resources: applied only when a pod is made, and with reclaimPolicy Cascade a new pod gets a new GameServer (use reclaimPolicy Delete to keep a GameServer's resources across its pods)`,
  ];
}

function differs(want: Record<string, unknown>, have: Record<string, unknown> | undefined): boolean {
  return Object.entries(want).some(([k, v]) => !deepEqual(v, have?.[k]));
}

function nulls(o: Json | undefined): Json {
  const out: Json = {};
  for (const key of Object.keys(o ?? {})) out[key] = null;
  return out;
}
