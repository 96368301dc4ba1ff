// OpenKruiseGame's GameServerSet and GameServer on the shared workload layer: two controllers,
// one per kind. See ../README.md.

import { Controller, Expectations } from '../runtime/index.js';
import { controllerRef, keyOf, type KubeObject, type ObjectKey } from '../../kube/index.js';
import { PodUpdater, Revisions, type WorkloadContext } from '../workload/index.js';
import { GameServerReconciler } from './gameserver-reconciler.js';
import { ServiceQualityRunner } from './quality-runner.js';
import { GS_KIND, GSS_API_VERSION, GSS_KIND, OWNER_GSS_LABEL } from './labels.js';
import { GameServerSetReconciler } from './set-reconciler.js';
import { GAME_KRUISE_GROUP } from '../../util/vocabulary.js';
import { deepEqual } from '../../util/equal.js';
import { INGRESS_HASH_ANNOTATION, Network, SERVICE_HASH_ANNOTATION, type NetworkWaitConfig, type PortRange } from '../network/index.js';

export { GameServerSetReconciler, IN_PLACE_UPDATE_BLOCKED } from './set-reconciler.js';
export { GameServerReconciler } from './gameserver-reconciler.js';
export * from './labels.js';

export interface GameServerSetControllerOptions {
  /** See GameServerReconcilerOptions.transientStateDelayMs. */
  transientStateDelayMs?: number;
  /** Kubernetes-HostPort's range of host ports (default 8000-9000). */
  hostPortRange?: PortRange;
  /** How long and how often a server's network is looked at again while it differs from the desired state. */
  networkWait?: NetworkWaitConfig;
}

/** The GameServerSet and GameServer controllers, wired to the context's informers (not started). */
export function gameServerSetControllers(ctx: WorkloadContext, opts: GameServerSetControllerOptions = {}): Controller[] {
  const log = ctx.logger;
  const sets = ctx.factory.informerFor({ apiVersion: GSS_API_VERSION, kind: GSS_KIND });
  const gameServers = ctx.factory.informerFor({ apiVersion: GSS_API_VERSION, kind: GS_KIND });
  const onTimeout = (owner: string, p: { key: string; kind: string; ageMs: number }) =>
    log.warn({ owner, child: p.key, kind: p.kind, ageMs: p.ageMs }, 'expected write never showed in the cache; acting again');
  const podExpectations = new Expectations({ cache: ctx.pods.cache, onTimeout });
  // Every claim (one informer per kind): the sets' own (volumeClaimTemplates) and any other a pod
  // mounts, which PersistentVolumeNormal looks at too.
  const claims = ctx.factory.informerFor({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
  // The network plugins' objects (a Service, an Ingress per server) and the nodes whose addresses players reach.
  const services = ctx.factory.informerFor({ apiVersion: 'v1', kind: 'Service' });
  const ingresses = ctx.factory.informerFor({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
  const nodes = ctx.factory.informerFor({ apiVersion: 'v1', kind: 'Node' });
  const network = new Network({ pods: ctx.pods, services, ingresses, nodes, sets, writer: ctx.writer, recorder: ctx.recorder, logger: log, hostPortRange: opts.hostPortRange });
  const setReconciler = new GameServerSetReconciler({
    sets,
    gameServers,
    pods: ctx.pods,
    claims,
    writer: ctx.writer,
    recorder: ctx.recorder,
    revisions: new Revisions(ctx.writer, ctx.revisions.cache),
    updater: new PodUpdater({ metrics: ctx.manager.metrics, writer: ctx.writer, expectations: podExpectations, recorder: ctx.recorder, logger: log }),
    podExpectations,
    gameServerExpectations: new Expectations({ cache: gameServers.cache, onTimeout }),
    claimExpectations: new Expectations({ cache: claims.cache, onTimeout }),
    network,
    logger: log,
  });
  const setOwner = { apiVersion: GSS_API_VERSION, kind: GSS_KIND };
  const setController = new Controller({ name: 'gameserverset', reconciler: setReconciler, workers: ctx.workers, logger: log })
    .watchObjects(sets)
    .watchOwned(ctx.pods, setOwner)
    // A GameServer is controlled by its set or (reclaimPolicy Cascade) by its pod: the label names the set.
    .watchMapped(gameServers, setOfGameServer)
    .watchOwned(ctx.revisions, setOwner)
    .watchMapped(claims, setOfClaim);

  const serverReconciler = new GameServerReconciler({
    gameServers,
    gameServerSets: sets,
    nodes,
    claims,
    volumes: ctx.factory.informerFor({ apiVersion: 'v1', kind: 'PersistentVolume' }),
    qualityRunner: new ServiceQualityRunner({ client: ctx.client, writer: ctx.writer, logger: log, pods: ctx.pods }),
    recorder: ctx.recorder,
    pods: ctx.pods,
    writer: ctx.writer,
    podExpectations: new Expectations({ cache: ctx.pods.cache, onTimeout }),
    gameServerExpectations: new Expectations({ cache: gameServers.cache, onTimeout }),
    transientStateDelayMs: opts.transientStateDelayMs,
    network,
    networkWait: opts.networkWait,
    logger: log,
  });
  const serverController = new Controller({ name: 'gameserver', reconciler: serverReconciler, workers: ctx.workers, logger: log })
    .watchObjects(gameServers)
    .watchMapped(ctx.pods, gameServerOfPod)
    .watchMapped(claims, gameServerOfClaim)
    // A plugin's Service or Ingress is named as its server (the API server allocating a node port, say).
    .watchMapped(services, (svc) => gameServerOfNetworkObject(svc, SERVICE_HASH_ANNOTATION))
    .watchMapped(ingresses, (ing) => gameServerOfNetworkObject(ing, INGRESS_HASH_ANNOTATION))
    // A set's serviceQualities reach its pods through their GameServers.
    .watchMapped(sets, (set) => gameServers.cache.byLabel(OWNER_GSS_LABEL, set.metadata?.name ?? '').filter((gs) => gs.metadata?.namespace === set.metadata?.namespace).map(keyOf));
  // A node's conditions make its GameServers' NodeNormal condition (OKG watches them too), and
  // its addresses their network's external address.
  if (!ctx.pods.cache.hasIndex(POD_NODE_INDEX)) ctx.pods.cache.addIndexer(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName as string] : []));
  serverController.watch(nodes, {
    onAdd: (node) => {
      for (const pod of ctx.pods.cache.byIndex(POD_NODE_INDEX, node.metadata?.name ?? '')) for (const key of gameServerOfPod(pod)) serverController.enqueue(key);
    },
    onUpdate: (old, now) => {
      if (deepEqual(conditionsOf(old), conditionsOf(now)) && deepEqual(old.status?.addresses, now.status?.addresses)) return;
      for (const pod of ctx.pods.cache.byIndex(POD_NODE_INDEX, now.metadata?.name ?? '')) for (const key of gameServerOfPod(pod)) serverController.enqueue(key);
    },
  });
  return [setController, serverController];
}

const POD_NODE_INDEX = 'gameserver-pod-node';

/** A node's conditions without their heartbeat times (which change without anything else changing). */
function conditionsOf(node: KubeObject): unknown[] {
  return ((node.status?.conditions ?? []) as Record<string, unknown>[]).map(({ lastHeartbeatTime: _, ...rest }) => rest);
}

function setOfGameServer(gs: KubeObject): ObjectKey[] {
  const set = gs.metadata?.labels?.[OWNER_GSS_LABEL];
  return set ? [{ namespace: gs.metadata?.namespace ?? '', name: set }] : [];
}

/** A pod of a GameServerSet has a GameServer of the same name. */
function gameServerOfPod(pod: KubeObject): ObjectKey[] {
  const ref = controllerRef(pod);
  if (ref?.kind !== GSS_KIND || !ref.apiVersion.startsWith(`${GAME_KRUISE_GROUP}/`)) return [];
  return [{ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' }];
}

/** A network plugin's Service or Ingress (it carries the plugin's hash) belongs to the GameServer of its name. */
function gameServerOfNetworkObject(obj: KubeObject, hashAnnotation: string): ObjectKey[] {
  if (obj.metadata?.annotations?.[hashAnnotation] === undefined) return [];
  return [{ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' }];
}

/** A claim of a set's volumeClaimTemplates names its set in a label (it may have no owner at all). */
function setOfClaim(claim: KubeObject): ObjectKey[] {
  const set = claim.metadata?.labels?.[OWNER_GSS_LABEL];
  return set ? [{ namespace: claim.metadata?.namespace ?? '', name: set }] : [];
}

/** A claim of a set's volumeClaimTemplates (`<template>-<set>-<ordinal>`) belongs to GameServer `<set>-<ordinal>`. */
function gameServerOfClaim(claim: KubeObject): ObjectKey[] {
  const set = claim.metadata?.labels?.[OWNER_GSS_LABEL];
  const name = claim.metadata?.name ?? '';
  const at = set ? name.lastIndexOf(`-${set}-`) : -1;
  return at < 0 ? [] : [{ namespace: claim.metadata?.namespace ?? '', name: name.slice(at + 1) }];
}
