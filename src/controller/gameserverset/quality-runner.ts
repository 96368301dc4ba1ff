// Service-quality probes run by the controller, for GameServer pods on nodes whose agent does
// not run them (a cluster without hotpod's node agents; hotpod's embedded nodes do, and carry
// hotpod.dev/runs-service-qualities=true). Exec probes go through pods/exec (the API server to
// the node's kubelet), httpGet, tcpSocket and grpc to the pod's IP. Each result is written as the pod
// condition game.kruise.io/<name> only when it changes, as a node would write it; after a
// restart the conditions on the pods are where the probers start from, so nothing is written
// twice. Why the controller and not a DaemonSet: see src/controller/README.md.

import type { Logger } from 'pino';
import { keyString, STRATEGIC_MERGE_PATCH, type Informer, type KubeClient, type KubeObject } from '../../kube/index.js';
import type { ApiWriter } from '../workload/index.js';
import { dialProbe } from '../../util/network-probes.js';
import { QualityProber, type QualityProbe, type QualityResult } from '../../util/quality-prober.js';
import { serviceQualityConditionType } from './service-quality.js';

type Json = Record<string, any>;

export class ServiceQualityRunner {
  private readonly probers = new Map<string, QualityProber>();

  constructor(private readonly o: { client: KubeClient; writer: ApiWriter; logger: Logger; pods: Informer }) {}

  /** Probes the pod's qualities from here (`key`: their JSON, so a change restarts them). */
  ensure(pod: KubeObject, probes: QualityProbe[], key: string): void {
    const k = keyString({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name! });
    const running = this.probers.get(k);
    if (running?.key === key) return;
    running?.stop();
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const seed = new Map<string, QualityResult>();
    for (const c of (pod.status?.conditions ?? []) as Json[]) {
      const q = probes.find((p) => serviceQualityConditionType(p.name) === c.type);
      if (q) seed.set(q.name, { status: c.status, message: c.message ?? '', lastProbeTime: c.lastProbeTime ?? '' });
    }
    const containers = (pod.spec?.containers ?? []) as Json[];
    const prober: QualityProber = new QualityProber(
      key,
      probes,
      (container) => {
        const c = container ?? containers[0]?.name;
        if (!c) return undefined;
        return {
          exec: async (command, timeoutMs) => {
            const r = await this.o.client.exec(ns, name, c, command, { timeoutMs });
            return { exitCode: r.exitCode, stdout: r.stdout };
          },
          check: (probe, timeoutMs) => dialProbe(probe, { podIP: pod.status?.podIP, ports: containers.find((x) => x.name === c)?.ports }, timeoutMs),
        };
      },
      () => void this.report(ns, name, prober).catch((err: Error) => this.o.logger.warn({ pod: k, err: err.message }, 'service-quality result not written')),
      seed,
    );
    this.probers.set(k, prober);
    prober.start();
  }

  forget(key: string): void {
    this.probers.get(key)?.stop();
    this.probers.delete(key);
  }

  private async report(ns: string, name: string, prober: QualityProber): Promise<void> {
    // The pod as it is now (not as it was when probing began): a transition time moves only when the status does.
    const existing = (this.o.pods.cache.get({ namespace: ns, name })?.status?.conditions ?? []) as Json[];
    const conditions = [...prober.results].map(([q, r]) => {
      const type = serviceQualityConditionType(q);
      const prev = existing.find((c) => c.type === type);
      return { type, status: r.status, message: r.message, lastProbeTime: r.lastProbeTime, lastTransitionTime: prev?.status === r.status && prev?.lastTransitionTime ? prev.lastTransitionTime : r.lastProbeTime };
    });
    // Conditions merge by type: the node's own and the others stay as they are.
    await this.o.writer.patch('v1', 'Pod', { namespace: ns, name }, { status: { conditions } }, { contentType: STRATEGIC_MERGE_PATCH, status: true, purpose: 'serviceQualityProbe' });
  }
}
