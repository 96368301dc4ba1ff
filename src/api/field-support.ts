// What hotpod does with every field of the kinds it serves: honoured (as upstream), partial
// (acted on, with the difference named), or not acted on. A not-acted-on spec field that a
// manifest sets is named by the controller in a Warning Event and the FieldsNotActedOn
// condition (fieldsNotActedOn below), so nothing is stored and silently ignored.
// docs/fields.md is generated from this list (`npm run gen:crds`); test/api/field-support.test.ts
// fails when a field of a CRD has no entry here, or an entry names a field the CRD lacks.

import { fieldPaths, valuesAt } from './field-paths.js';
import { NETWORK_TYPES } from './gameserverset.js';
import type { ResourceDefinition } from './resource.js';

export type FieldVerdict = 'honoured' | 'partial' | 'not-acted-on';

export interface FieldSupport {
  verdict: FieldVerdict;
  /** What hotpod does with the field; for partial and not-acted-on, what the user does not get. */
  note: string;
  /** The entry speaks for every field below its path (a pod template, a condition list). */
  subtree?: true;
  /**
   * Which values ask for what hotpod does not do, given the whole object: they are named in
   * FieldsNotActedOn. Default: for not-acted-on, any value set; for the others, none.
   */
  asks?: (value: unknown, object: Record<string, any>) => boolean;
  /** What FieldsNotActedOn says of a value that asks (default: the note). */
  says?: (value: unknown, object: Record<string, any>) => string;
}

const honoured = (note: string, more: Partial<FieldSupport> = {}): FieldSupport => ({ verdict: 'honoured', note, ...more });
const partial = (note: string, more: Partial<FieldSupport> = {}): FieldSupport => ({ verdict: 'partial', note, ...more });
const notActedOn = (note: string, more: Partial<FieldSupport> = {}): FieldSupport => ({ verdict: 'not-acted-on', note, ...more });

const IN_PLACE_TYPES = new Set(['InplaceUpdate', 'HotPatchUpdate']);
/** 0, 0%, or the 25% default every GameDeployment carries: nothing the user chose. */
const isZeroOrDefault = (v: unknown) => v === undefined || v === 0 || (typeof v === 'string' && (/^0+%?$/.test(v.trim()) || v.trim() === '25%'));

/** OpenKruiseGame's cloud providers: their plugins' networkTypes start with the provider's name. */
const CLOUD_PROVIDER_PREFIX = /^(AlibabaCloud|AmazonWebServices|HwCloud|JdCloud|TencentCloud|Volcengine)-/;
const isNetworkTypeWithoutPlugin = (v: unknown) => typeof v === 'string' && v !== '' && !(NETWORK_TYPES as readonly string[]).includes(v);
const networkTypeWithoutPlugin = (v: unknown) =>
  CLOUD_PROVIDER_PREFIX.test(String(v))
    ? `networkType ${String(v)} is a cloud provider's plugin hotpod does not have; no address is given`
    : `networkType ${String(v)} is no network plugin hotpod has (it has ${NETWORK_TYPES.join(', ')}); no address is given`;

const written = (note = 'written by the controller as upstream') => honoured(note);
const conditions = honoured('written by the controller (type, status, reason, message, times)', { subtree: true });

const hookStep = (when: string): Record<string, FieldSupport> => ({
  templateName: honoured(`the HookTemplate whose metrics a HookRun measures ${when}`),
  'args[]': honoured('arguments of the HookRun, as BCS passes them (with PodName, PodNamespace, PodIP, PodContainer… for pod hooks)', { subtree: true }),
});

const prefixed = (prefix: string, entries: Record<string, FieldSupport>): Record<string, FieldSupport> =>
  Object.fromEntries(Object.entries(entries).map(([k, v]) => [`${prefix}.${k}`, v]));

const hookMetrics: Record<string, FieldSupport> = {
  'spec.metrics[].name': honoured('names the metric and its metricResults entry'),
  'spec.metrics[].interval': honoured('time between measurements'),
  'spec.metrics[].initialDelay': honoured('wait before the first measurement'),
  'spec.metrics[].count': honoured('measurements to take (0: until a limit is reached)'),
  'spec.metrics[].successCondition': honoured('expression over result (BCS syntax; checked at admission)'),
  'spec.metrics[].failureCondition': honoured('expression over result (BCS syntax; checked at admission)'),
  'spec.metrics[].failureLimit': honoured('failed measurements before the metric Fails'),
  'spec.metrics[].successfulLimit': honoured('successful measurements before the metric is Successful'),
  'spec.metrics[].inconclusiveLimit': honoured('inconclusive measurements before the metric is Inconclusive'),
  'spec.metrics[].consecutiveErrorLimit': honoured('consecutive errors before the metric is Error (default 4)'),
  'spec.metrics[].consecutiveSuccessfulLimit': honoured('consecutive successes before the metric is Successful'),
  'spec.metrics[].provider.web.url': honoured('GET from the controller, `{{ args.X }}` templated; only to --hook-networks (default loopback), redirects not followed'),
  'spec.metrics[].provider.web.headers[]': honoured('request headers', { subtree: true }),
  'spec.metrics[].provider.web.timeoutSeconds': honoured('request timeout'),
  'spec.metrics[].provider.web.jsonPath': honoured('the value of the JSON answer the conditions read'),
  'spec.metrics[].provider.prometheus.address': honoured('Prometheus HTTP API address; only to --hook-networks'),
  'spec.metrics[].provider.prometheus.query': honoured('instant query; its value is the result'),
  'spec.metrics[].provider.kubernetes.fields[]': honoured('annotation paths read (get) or written (patch) on the pod or the object the args name', { subtree: true }),
  'spec.metrics[].provider.kubernetes.function': honoured('get or patch'),
  'spec.metrics[].provider.exec.container': honoured('the container of the run\'s pod the command runs in (pods/exec)'),
  'spec.metrics[].provider.exec.command': honoured('the command; exit 0 is a success, or the conditions read its output'),
  'spec.args[]': honoured('declared arguments, filled from the HookRun', { subtree: true }),
  'spec.policy': honoured('Parallel (every metric at once) or Ordered (one after another)'),
};

const SUPPORT: Record<string, Record<string, FieldSupport>> = {
  GameServerSet: {
    'spec.replicas': honoured('the number of GameServers; scale subresource'),
    'spec.gameServerTemplate.metadata': honoured('labels and annotations copied onto every pod and updated in place', { subtree: true }),
    'spec.gameServerTemplate.spec': honoured('the pod spec of every GameServer; the InPlaceUpdateReady readiness gate is added as OpenKruiseGame does', { subtree: true }),
    'spec.gameServerTemplate.volumeClaimTemplates': honoured('one PersistentVolumeClaim per GameServer, <claim>-<set>-<ordinal>, made before its pod and reused by later pods; the pod gets the volume. Not part of the revision: changing the templates rolls no pod'),
    'spec.gameServerTemplate.reclaimPolicy': honoured('Cascade (default): the GameServer is owned by its pod and goes with it (a recreated pod gets a fresh GameServer); Delete: owned by the set, it outlives its pods and goes only when the set scales down'),
    'spec.serviceName': honoured('pod subdomain, with hostname = pod name (stable network identity <pod>.<serviceName>)'),
    'spec.reserveGameServerIds': honoured('ordinals (ints or "a-b" ranges) never created; members on them removed'),
    'spec.serviceQualities[].name': honoured('names the probe and the pod condition game.kruise.io/<name>'),
    'spec.serviceQualities[].containerName': honoured('the container an exec probe runs in'),
    'spec.serviceQualities[].permanent': honoured('a permanent quality acts once'),
    'spec.serviceQualities[].serviceQualityAction[].state': honoured('whether the probe passed'),
    'spec.serviceQualities[].serviceQualityAction[].result': honoured('the probe output the action matches'),
    'spec.serviceQualities[].serviceQualityAction[].opsState': honoured('written to the GameServer (Go template over .Result)'),
    'spec.serviceQualities[].serviceQualityAction[].updatePriority': honoured('written to the GameServer (Go template over .Result)'),
    'spec.serviceQualities[].serviceQualityAction[].deletionPriority': honoured('written to the GameServer (Go template over .Result)'),
    'spec.serviceQualities[].serviceQualityAction[].networkDisabled': honoured('written to the GameServer'),
    'spec.serviceQualities[].serviceQualityAction[].labels': honoured('written to the GameServer'),
    'spec.serviceQualities[].serviceQualityAction[].annotations': honoured('written to the GameServer'),
    'spec.serviceQualities[].serviceQualityAction[].containers[]': notActedOn("an action's containers are not applied to the GameServer (OpenKruiseGame does not apply them either)", { subtree: true }),
    'spec.serviceQualities[].exec': honoured('run in the container by the node agent, or through pods/exec', { subtree: true }),
    'spec.serviceQualities[].httpGet': honoured('GET to the pod IP (or host), with httpHeaders; 200-399 passes'),
    'spec.serviceQualities[].tcpSocket': honoured('connect to the pod IP'),
    'spec.serviceQualities[].grpc': honoured('grpc.health.v1 Health/Check of `service` on the pod IP and `port`, as kubelet probes: SERVING passes'),
    'spec.serviceQualities[].initialDelaySeconds': honoured('as a probe'),
    'spec.serviceQualities[].timeoutSeconds': honoured('as a probe'),
    'spec.serviceQualities[].periodSeconds': honoured('as a probe'),
    'spec.serviceQualities[].successThreshold': honoured('as a probe'),
    'spec.serviceQualities[].failureThreshold': honoured('as a probe'),
    'spec.serviceQualities[].terminationGracePeriodSeconds': honoured('no effect, as upstream: a service quality never restarts a container'),
    'spec.updateStrategy.type': partial('RollingUpdate, or OnDelete (pods take the update only when deleted). OnDelete is honoured even with rollingUpdate set, where OpenKruiseGame rolls'),
    'spec.updateStrategy.rollingUpdate.partition': honoured('GameServers kept on the old revision'),
    'spec.updateStrategy.rollingUpdate.maxUnavailable': honoured('unavailable pods allowed during the update (percent rounds down, at least 1)'),
    'spec.updateStrategy.rollingUpdate.podUpdatePolicy': partial('ReCreate, InPlaceIfPossible, InPlaceOnly; in place covers images and metadata (Kruise also restarts for env from changed metadata and may resize resources)'),
    'spec.updateStrategy.rollingUpdate.paused': honoured('stops the rollout'),
    'spec.updateStrategy.rollingUpdate.inPlaceUpdateStrategy.gracePeriodSeconds': honoured('pod out of service for this long before its images change'),
    'spec.updateStrategy.rollingUpdate.minReadySeconds': honoured('ready this long before available'),
    'spec.scaleStrategy.maxUnavailable': honoured('caps creations while pods are unavailable'),
    'spec.scaleStrategy.scaleDownStrategyType': honoured('General, or ReserveIds (removed ordinals written into reserveGameServerIds)'),
    'spec.network.networkType': honoured(
      `${NETWORK_TYPES.join(', ')} as OpenKruiseGame's plugins: pod annotations game.kruise.io/network-type and network-conf, the plugin's host ports or objects, GameServer status.networkStatus; cannot be changed. Any other type (a cloud provider's plugin) is stored, its servers are made without an address, and FieldsNotActedOn names it`,
      { asks: isNetworkTypeWithoutPlugin, says: networkTypeWithoutPlugin },
    ),
    'spec.network.networkConf[]': honoured(
      "the plugin's parameters, read from the pod annotation game.kruise.io/network-conf: a change reaches the pods by the rollout (it is in their template, as OpenKruiseGame's) and Services and Ingresses by their hash annotations. AllowNotReadyContainers as upstream: its inPlaceUpdate hook label, acted on by Kubernetes-NodePort (publishNotReadyAddresses while such a container restarts)",
      { subtree: true },
    ),
    'spec.lifecycle.preDelete': honoured('finalizersHandler / labelsHandler hold a deletion in PreDelete; markPodNotReady', { subtree: true }),
    'spec.lifecycle.inPlaceUpdate': honoured('handlers hold an in-place update in PreUpdate; markPodNotReady', { subtree: true }),
    'spec.lifecycle.preNormal': honoured('handlers hold a new pod in PreparingNormal; markPodNotReady', { subtree: true }),
    'spec.persistentVolumeClaimRetentionPolicy.whenDeleted': honoured('Delete: the claims are owned by the set and go with it; Retain (default) keeps them'),
    'spec.persistentVolumeClaimRetentionPolicy.whenScaled': honoured("Delete: a scaled-down server's claims are owned by its pod and go with it; Retain (default) keeps them for a later scale-up"),
    'status.observedGeneration': written(),
    'status.replicas': partial('pods that exist (OpenKruiseGame writes spec.replicas); the scale subresource reads it'),
    'status.currentReplicas': written(),
    'status.readyReplicas': written(),
    'status.availableReplicas': written(),
    'status.updatedReplicas': written(),
    'status.updatedReadyReplicas': written(),
    'status.maintainingReplicas': written(),
    'status.waitToBeDeletedReplicas': written(),
    'status.preDeleteReplicas': written(),
    'status.labelSelector': written('game.kruise.io/owner-gss=<name>, for the scale subresource'),
    'status.updateRevision': written('hotpod addition: the revision pods are updated to'),
    'status.conditions[]': conditions,
  },

  GameServer: {
    'spec.opsState': honoured('scale-down order, Kill, status counts, pod label game.kruise.io/gs-opsState; any string (unknown ones rank as None)'),
    'spec.updatePriority': honoured('update order; pod label'),
    'spec.deletionPriority': honoured('scale-down order; pod label'),
    'spec.networkDisabled': honoured(
      'pod label game.kruise.io/network-disabled and desiredNetworkState NotReady; Kubernetes-NodePort takes the server out of its Service (selector key game.kruise.io/svc-selector-disabled); Kubernetes-HostPort and Kubernetes-Ingress do not isolate a server, as upstream',
    ),
    'spec.containers[].name': honoured('the pod container the entry changes'),
    'spec.containers[].image': honoured('applied to the pod at once and at pod creation'),
    'spec.containers[].resources': honoured('requests and limits of the named container, applied when its pod is created (as upstream, not to a running pod); on a Cascade GameServer, whose pod is made first, named in FieldsNotActedOn'),
    'status.desiredState': written(),
    'status.currentState': written('Creating, Ready, NotReady, Crash, Updating, Deleting, PreDelete, PreUpdate, Unknown from the pod'),
    'status.networkStatus': honoured('written as OpenKruiseGame writes it: networkType, internal and external addresses from the plugin, current and desired network state, createTime, lastTransitionTime (moves with the desired state)', { subtree: true }),
    'status.podStatus': written('the whole pod status, as upstream'),
    'status.serviceQualitiesConditions[]': honoured('written from the probes as upstream', { subtree: true }),
    'status.conditions[]': honoured('PodNormal, NodeNormal and PersistentVolumeNormal as upstream (a Warning Event when one turns False), and FieldsNotActedOn', { subtree: true }),
    'status.updatePriority': written(),
    'status.deletionPriority': written(),
    'status.lastTransitionTime': written(),
  },

  GameDeployment: {
    'spec.replicas': honoured('number of pods'),
    'spec.selector': partial('status.labelSelector and revision labels; pods are found by ownerReference (no adoption)', { subtree: true }),
    'spec.template': honoured('the pod template; revisions hash it', { subtree: true }),
    'spec.scaleStrategy.podsToDelete': honoured('deleted (through the pre-delete hook) whatever the budget; replaced unless replicas dropped'),
    'spec.scaleStrategy.createBatch': partial('at most this many pods (a percent of replicas rounds up, at least 1) starting at once; the next batch once they run with containers ready. Applied to every creation, where BCS says "when first created"'),
    'spec.updateStrategy.type': honoured('RollingUpdate, InplaceUpdate, HotPatchUpdate, OnDelete'),
    'spec.updateStrategy.partition': honoured('pods kept on the old revision (percent rounds up)'),
    'spec.updateStrategy.maxUnavailable': honoured('unavailable pods allowed during an update (default 25%; percent rounds up, down when maxSurge is set)'),
    'spec.updateStrategy.maxSurge': partial('extra pods during a RollingUpdate only (default 25%): an InplaceUpdate or HotPatchUpdate keeps its pods and makes no surge pods', {
      asks: (v, gd) => IN_PLACE_TYPES.has(gd.spec?.updateStrategy?.type) && !isZeroOrDefault(v),
    }),
    'spec.updateStrategy.paused': honoured('stops the rollout; canary pauses write it'),
    'spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds': honoured('pod out of service for this long before its images change'),
    'spec.updateStrategy.inPlaceUpdateStrategy.policy': honoured('DisOrdered (all containers at once), OrderedReady (one by one in template order, each once the previous runs its new image and is ready), OrderedUpdated (once the previous runs its new image); no effect on a hot-patch, which restarts nothing'),
    'spec.updateStrategy.canary.steps[].partition': honoured('a canary step: the partition to reach'),
    'spec.updateStrategy.canary.steps[].pause': honoured('a canary step: pause (duration seconds, or until resumed)', { subtree: true }),
    'spec.updateStrategy.canary.steps[].hook': honoured('a canary step: a HookRun; Successful goes on, else PausedByStepBasedHook', { subtree: true }),
    ...prefixed('spec.preDeleteUpdateStrategy.hook', hookStep('before a pod is deleted')),
    'spec.preDeleteUpdateStrategy.retry': honoured('a finished run that did not succeed is made again'),
    ...prefixed('spec.preInplaceUpdateStrategy.hook', hookStep('before a pod is updated in place or hot-patched')),
    'spec.preInplaceUpdateStrategy.retry': honoured('a finished run that did not succeed is made again'),
    ...prefixed('spec.postInplaceUpdateStrategy.hook', hookStep('after a pod is updated in place')),
    'spec.postInplaceUpdateStrategy.retry': honoured('a finished run that did not succeed is made again'),
    'spec.revisionHistoryLimit': honoured('ControllerRevisions kept'),
    'spec.minReadySeconds': honoured('ready this long before available'),
    'spec.disableReadinessGate': partial('true: pods get no InPlaceUpdateReady readiness gate, so an update no longer turns Ready False; the condition itself is still written during an update (it is how the engine tracks one)'),
    'status.observedGeneration': written(),
    'status.replicas': written(),
    'status.readyReplicas': written(),
    'status.availableReplicas': written(),
    'status.updatedReplicas': written(),
    'status.updatedReadyReplicas': written('hot-patched pods count once their node confirms the patch'),
    'status.updateRevision': written(),
    'status.currentRevision': written('the oldest revision pods still run (old partition pods are recreated from it); the update revision once none runs an older one'),
    'status.collisionCount': partial('always 0: revision names do not collide in hotpod'),
    'status.labelSelector': written(),
    'status.conditions[]': conditions,
    'status.pauseConditions[]': honoured('written by canary pauses', { subtree: true }),
    'status.currentStepIndex': written(),
    'status.currentStepHash': written(),
    'status.canary': honoured('revision, pause start and the current step HookRun', { subtree: true }),
    'status.preDeleteHookCondition[]': honoured('each pod waiting on or done with its pre-delete hook', { subtree: true }),
    'status.preInplaceHookCondition[]': honoured('each pod waiting on or done with its pre-inplace hook', { subtree: true }),
    'status.postInplaceHookCondition[]': honoured('each pod with its post-inplace hook', { subtree: true }),
  },

  HookTemplate: {
    ...hookMetrics,
    status: honoured('unused, as upstream', { subtree: true }),
  },

  HookRun: {
    ...hookMetrics,
    'spec.terminate': honoured('stops the run: running metrics end, the run is Successful'),
    'status.phase': written(),
    'status.message': written(),
    'status.metricResults[]': honoured('each metric with its measurements and counters, as BCS writes them', { subtree: true }),
    'status.startedAt': written(),
  },
};

/** The entry that speaks for a path: its own, or a subtree entry above it. */
export function supportOf(kind: string, path: string): FieldSupport | undefined {
  const entries = SUPPORT[kind] ?? {};
  if (entries[path]) return entries[path];
  for (let p = parentOf(path); p; p = parentOf(p)) if (entries[p]?.subtree) return entries[p];
  return undefined;
}

function parentOf(path: string): string | undefined {
  if (/(\[\]|\{\})$/.test(path)) return path.slice(0, -2);
  const dot = path.lastIndexOf('.');
  return dot > 0 ? path.slice(0, dot) : undefined;
}

export function supportEntries(kind: string): ReadonlyArray<[string, FieldSupport]> {
  return Object.entries(SUPPORT[kind] ?? {});
}

/** Fields of the object's spec that ask for what hotpod does not do: `<path>: <why>`, one each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fieldsNotActedOn(kind: string, object: unknown): string[] {
  const out: string[] = [];
  for (const [path, entry] of supportEntries(kind)) {
    const asks = entry.asks ?? (entry.verdict === 'not-acted-on' ? isSet : undefined);
    if (!asks || !path.startsWith('spec.')) continue;
    const asking = valuesAt(object, path).find((v) => asks(v, object as Record<string, any>));
    if (asking !== undefined) out.push(`${path}: ${entry.says ? entry.says(asking, object as Record<string, any>) : entry.note}`);
  }
  return out;
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Paths of the kind's schema with no entry (own or subtree), and entries naming no schema path. */
export function supportGaps(def: ResourceDefinition): { missing: string[]; unknown: string[] } {
  const paths = fieldPaths(def);
  const known = new Set(paths.map((p) => p.path));
  const missing = paths.filter((p) => p.leaf && !supportOf(def.kind, p.path)).map((p) => p.path);
  const unknown = supportEntries(def.kind).map(([p]) => p).filter((p) => !known.has(p));
  return { missing, unknown };
}
