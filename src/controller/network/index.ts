// Network plugins for GameServerSets, as OpenKruiseGame's (its cloud-independent `Kubernetes`
// provider): Kubernetes-HostPort, Kubernetes-NodePort and Kubernetes-Ingress. OKG runs them in
// a pod webhook (create, update, delete); hotpod, which makes the pods itself, runs them where
// it makes a pod (preparePod) and on each pass over a server's GameServer (pass), and sends
// the writes they ask for through the API, so the same code runs on a real cluster. See
// ../README.md (Network plugins).

import type { Logger } from 'pino';
import { isAlreadyExists, isNotFound, keyString, type EventRecorder, type Informer, type KubeObject, type ObjectKey } from '../../kube/index.js';
import { Expectations } from '../runtime/index.js';
import type { ApiWriter } from '../workload/index.js';
import { OWNER_GSS_LABEL } from '../gameserverset/labels.js';
import { DEFAULT_HOST_PORT_RANGE, HostPortAllocator, HostPortPlugin, type PortRange } from './host-port.js';
import { IngressPlugin } from './ingress.js';
import { NETWORK_CONF_ANNOTATION, NETWORK_STATUS_ANNOTATION, NETWORK_TYPE_ANNOTATION } from './names.js';
import { NodePortPlugin } from './node-port.js';
import { parseNetworkConf, PluginError, type NetworkPlugin, type NetworkView, type ObjectWrite } from './plugin.js';
import { decodeNetworkStatus, encodeNetworkStatus, type NetworkStatus } from './status.js';

export { DEFAULT_HOST_PORT_RANGE, parsePortRange, type PortRange } from './host-port.js';
export { DEFAULT_NETWORK_WAIT, gameServerNetworkStatus, networkWait, networkWaitFromEnv, type NetworkStatus, type NetworkWaitConfig } from './status.js';
export * from './names.js';
export { PluginError } from './plugin.js';
export { inPlaceUpdateHook } from './allow-not-ready.js';

export interface NetworkOptions {
  pods: Informer;
  services: Informer;
  ingresses: Informer;
  nodes: Informer;
  sets: Informer;
  writer: ApiWriter;
  recorder: EventRecorder;
  logger: Logger;
  /** Kubernetes-HostPort's range (default 8000-9000, OKG's). */
  hostPortRange?: PortRange;
}

/** A server's network after one pass. */
export interface NetworkOutcome {
  /** The pod's network-type annotation (undefined: the server has no network). */
  type: string | undefined;
  /** Whether hotpod has the plugin (else nothing acts on the network: no address). */
  hasPlugin: boolean;
  /** The pod's finding after this pass. */
  status: NetworkStatus | undefined;
  /** Pod annotations to write with the pass's pod patch (the new finding). */
  annotations: Record<string, string>;
  /** Pod labels to write with it (what the plugin sets and the pod lacks). */
  labels: Record<string, string>;
  /** A write of the plugin's the API server refused (the pass is retried with backoff). */
  failed?: Error;
}

/** The pod annotations a set's template gives its pods for its network (OKG's GetNewAstsFromGss). */
export function networkAnnotations(network: { networkType?: string; networkConf?: unknown[] } | undefined): Record<string, string> {
  if (!network) return {};
  // Go marshals a nil list as null, and so OKG writes a network without parameters.
  return { [NETWORK_CONF_ANNOTATION]: JSON.stringify(network.networkConf ?? null), [NETWORK_TYPE_ANNOTATION]: network.networkType ?? '' };
}

export class Network {
  private readonly plugins = new Map<string, NetworkPlugin>();
  private readonly serviceExpectations: Expectations;
  private readonly ingressExpectations: Expectations;
  /** Per GameServer key: the last plugin error reported (one Warning Event per new one). */
  private readonly reported = new Map<string, string>();
  readonly hostPorts: HostPortAllocator;

  constructor(private readonly o: NetworkOptions) {
    this.hostPorts = new HostPortAllocator(o.pods, o.hostPortRange ?? DEFAULT_HOST_PORT_RANGE);
    for (const p of [new HostPortPlugin(this.hostPorts), new NodePortPlugin(), new IngressPlugin()]) this.plugins.set(p.name, p);
    const onTimeout = (owner: string, p: { key: string; kind: string }) => o.logger.warn({ owner, child: p.key, kind: p.kind }, 'expected network write never showed in the cache; acting again');
    this.serviceExpectations = new Expectations({ cache: o.services.cache, onTimeout });
    this.ingressExpectations = new Expectations({ cache: o.ingresses.cache, onTimeout });
  }

  /**
   * Gives a new pod what its plugin adds (host ports), in place. `release` gives it back if the
   * pod is not created. Throws a PluginError when the plugin refuses the pod.
   */
  preparePod(pod: KubeObject): { release(): void } {
    const plugin = this.plugins.get(pod.metadata?.annotations?.[NETWORK_TYPE_ANNOTATION] ?? '');
    const key = keyString({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' });
    plugin?.onPodAdded?.(pod, parseNetworkConf(pod.metadata?.annotations?.[NETWORK_CONF_ANNOTATION]));
    return { release: () => this.hostPorts.release(key) };
  }

  /** Whether the caches show the network writes made for this GameServer. */
  satisfied(gsKey: string): boolean {
    return this.serviceExpectations.satisfied(gsKey) && this.ingressExpectations.satisfied(gsKey);
  }

  forget(gsKey: string): void {
    this.serviceExpectations.forget(gsKey);
    this.ingressExpectations.forget(gsKey);
    this.reported.delete(gsKey);
  }

  /**
   * One pass over a server's network: its plugin says what the network is and what to write
   * (sent here); a terminating pod's plugin releases what it holds. `disabled`: the GameServer's
   * networkDisabled (what the pod's label says once mirrored).
   */
  async pass(gsKey: string, pod: KubeObject, disabled: boolean): Promise<NetworkOutcome> {
    const annotations = pod.metadata?.annotations ?? {};
    const type = annotations[NETWORK_TYPE_ANNOTATION] || undefined;
    const plugin = type ? this.plugins.get(type) : undefined;
    const status = decodeNetworkStatus(annotations[NETWORK_STATUS_ANNOTATION]);
    const outcome: NetworkOutcome = { type, hasPlugin: !!plugin, status, annotations: {}, labels: {} };
    if (!plugin) return outcome;
    const view = this.view(pod, disabled, status);
    if (pod.metadata?.deletionTimestamp) {
      outcome.failed = await this.send(gsKey, plugin.onPodDeleted?.(view) ?? []);
      this.report(gsKey, pod, outcome.failed && new PluginError('apiCallError', outcome.failed.message));
      return outcome;
    }
    const result = plugin.onPodUpdated(view);
    outcome.failed = await this.send(gsKey, result.writes ?? []);
    this.report(gsKey, pod, result.error ?? (outcome.failed && new PluginError('apiCallError', outcome.failed.message)));
    // A write the API server refused: as OKG's webhook denying the pod update, the finding stays.
    if (outcome.failed) return outcome;
    for (const [k, v] of Object.entries(result.podLabels ?? {})) if (pod.metadata?.labels?.[k] !== v) outcome.labels[k] = v;
    if (result.status) {
      const text = encodeNetworkStatus(result.status);
      if (text !== annotations[NETWORK_STATUS_ANNOTATION]) outcome.annotations[NETWORK_STATUS_ANNOTATION] = text;
      outcome.status = decodeNetworkStatus(text);
    }
    return outcome;
  }

  private view(pod: KubeObject, disabled: boolean, status: NetworkStatus | undefined): NetworkView {
    const namespace = pod.metadata?.namespace ?? '';
    const nodeName = pod.spec?.nodeName as string | undefined;
    const setName = pod.metadata?.labels?.[OWNER_GSS_LABEL];
    return {
      pod,
      conf: parseNetworkConf(pod.metadata?.annotations?.[NETWORK_CONF_ANNOTATION]),
      disabled,
      status,
      node: nodeName ? this.o.nodes.cache.get(nodeName) : undefined,
      set: setName ? this.o.sets.cache.get({ namespace, name: setName }) : undefined,
      service: (name) => this.o.services.cache.get({ namespace, name }),
      ingress: (name) => this.o.ingresses.cache.get({ namespace, name }),
    };
  }

  /** OKG's Warning Event on the pod for a plugin's error (parameters, a refused write); once per new message. */
  private report(gsKey: string, pod: KubeObject, error: PluginError | undefined): void {
    const message = error ? `Failed to UPDATE pod ${pod.metadata?.namespace}/${pod.metadata?.name} ,because of ${error.message}` : undefined;
    if (message === this.reported.get(gsKey)) return;
    if (message === undefined) {
      this.reported.delete(gsKey);
      return;
    }
    this.reported.set(gsKey, message);
    this.o.recorder.event({ apiVersion: 'v1', kind: 'Pod', ...pod }, 'Warning', error!.type, message);
  }

  /**
   * The plugin's writes, each awaited in the cache before the GameServer's next pass. A refused
   * one ends them, and is returned for the caller to retry with backoff once the rest of its
   * pass is done (and to report: OKG's Warning Event on the pod, apiCallError).
   */
  private async send(gsKey: string, writes: ObjectWrite[]): Promise<Error | undefined> {
    try {
      await this.write(gsKey, writes);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  private async write(gsKey: string, writes: ObjectWrite[]): Promise<void> {
    for (const w of writes) {
      const kind = w.verb === 'create' ? w.object.kind! : w.kind;
      const expectations = kind === 'Ingress' ? this.ingressExpectations : this.serviceExpectations;
      const key: ObjectKey = w.verb === 'patch' ? w.key : { namespace: w.object.metadata!.namespace!, name: w.object.metadata!.name! };
      try {
        if (w.verb === 'create') {
          expectations.expectCreate(gsKey, key);
          await this.o.writer.create(w.object, { purpose: 'network' });
        } else if (w.verb === 'patch') {
          const written = await this.o.writer.patch(w.apiVersion, w.kind, w.key, w.patch, { purpose: 'network' });
          expectations.expectUpdate(gsKey, written);
        } else {
          expectations.expectDelete(gsKey, w.object);
          await this.o.writer.delete(w.apiVersion, w.kind, key, w.object.metadata?.uid, { purpose: 'network' });
        }
      } catch (err) {
        if (w.verb !== 'patch') expectations.cancel(gsKey, key, w.verb);
        // Made meanwhile (the cache is behind), or gone already: the next pass sees it.
        if (isAlreadyExists(err) || isNotFound(err)) continue;
        throw new Error(`${kind} ${keyString(key)}: network ${w.verb} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}
