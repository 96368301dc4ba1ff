// The controller's Prometheus metrics, in one prom-client registry per process (not the global
// one: a test or a benchmark may run several managers side by side). What is cheap to count is
// counted where it happens; what the caches already know (queue depths, workload progress,
// informer lists) is read from them when /metrics is scraped, so a deleted workload's series
// disappears with it and no bookkeeping can drift.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type PodUpdatePolicy = 'ReCreate' | 'InPlace' | 'HotPatch';

/** A workload whose status the progress gauges show. */
export interface WorkloadSource {
  kind: string;
  /** the cached workloads of that kind (read at scrape time) */
  list(): Iterable<{ metadata?: { namespace?: string; name?: string }; status?: Record<string, unknown> }>;
}

export interface QueueSource {
  name: string;
  depth(): number;
}

export interface InformerSource {
  /** `pods`, `gameserversets`, …: the same resource label as hotpod_api_requests_total */
  resource(): string;
  lists(): number;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileDuration: Histogram<'controller'>;
  private readonly podsUpdated: Counter<'kind' | 'policy'>;
  private readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  private readonly leader: Gauge;
  private readonly queues: QueueSource[] = [];
  private readonly workloads: WorkloadSource[] = [];
  private readonly informers: InformerSource[] = [];

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.reconciles = new Counter({ name: 'hotpod_reconcile_total', help: 'Reconciles by controller and result (success, requeue, requeue_after, error).', labelNames: ['controller', 'result'], registers });
    this.reconcileErrors = new Counter({ name: 'hotpod_reconcile_errors_total', help: 'Reconciles that failed (and were retried with backoff).', labelNames: ['controller'], registers });
    this.reconcileDuration = new Histogram({
      name: 'hotpod_reconcile_duration_seconds',
      help: 'How long one reconcile took.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.podsUpdated = new Counter({ name: 'hotpod_pods_updated_total', help: 'Pod updates the controller performed: a ReCreate delete, an InPlace or a HotPatch image patch.', labelNames: ['kind', 'policy'], registers });
    this.apiRequests = new Counter({ name: 'hotpod_api_requests_total', help: "Requests the controller's client sent to the API server, by verb, resource and HTTP code (watches counted once when opened).", labelNames: ['verb', 'resource', 'code'], registers });
    this.leader = new Gauge({ name: 'hotpod_leader', help: '1 while this process holds the leader Lease (or runs without leader election), else 0.', registers });
    const queues = this.queues;
    new Gauge({
      name: 'hotpod_workqueue_depth',
      help: 'Keys waiting in a work queue (not counting ones being reconciled or held back by a delay).',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const q of queues) this.set({ name: q.name }, q.depth());
      },
    });
    const informers = this.informers;
    new Gauge({
      name: 'hotpod_informer_lists',
      help: "Lists (initial and re-lists) the informers made, by resource: the controller's only list requests.",
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        const byResource = new Map<string, number>();
        for (const i of informers) byResource.set(i.resource(), (byResource.get(i.resource()) ?? 0) + i.lists());
        for (const [resource, n] of byResource) this.set({ resource }, n);
      },
    });
    const workloads = this.workloads;
    const progress = (name: string, help: string, field: string) =>
      new Gauge({
        name,
        help,
        labelNames: ['kind', 'namespace', 'name'],
        registers,
        collect() {
          this.reset();
          for (const w of workloads) {
            for (const obj of w.list()) {
              const v = obj.status?.[field];
              this.set({ kind: w.kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' }, typeof v === 'number' ? v : 0);
            }
          }
        },
      });
    progress('hotpod_workload_replicas', "A workload's pods (status.replicas).", 'replicas');
    progress('hotpod_workload_updated_replicas', "A workload's pods at the update revision (status.updatedReplicas).", 'updatedReplicas');
    progress('hotpod_workload_updated_ready_replicas', "A workload's ready pods at the update revision (status.updatedReadyReplicas).", 'updatedReadyReplicas');
  }

  reconciled(controller: string, result: 'success' | 'requeue' | 'requeue_after' | 'error', seconds: number): void {
    this.reconciles.inc({ controller, result });
    if (result === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileDuration.observe({ controller }, seconds);
  }

  /** Creates the series at 0 so a scrape shows a controller that has not reconciled yet. */
  registerController(controller: string, queue: () => number): void {
    this.reconcileErrors.inc({ controller }, 0);
    this.queues.push({ name: controller, depth: queue });
  }

  podUpdated(kind: string, policy: PodUpdatePolicy): void {
    this.podsUpdated.inc({ kind, policy });
  }

  apiRequest(verb: string, resource: string, code: number | string): void {
    this.apiRequests.inc({ verb, resource, code: String(code) });
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  addWorkloads(source: WorkloadSource): void {
    this.workloads.push(source);
  }

  addInformer(source: InformerSource): void {
    this.informers.push(source);
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
