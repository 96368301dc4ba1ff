// The controller process's shared parts in one place (controller-runtime's Manager): one
// connection, one informer per resource, one event recorder, the metrics registry, leader
// election, and the order things start and stop in. `hotpod controller` and `hotpod up` build
// one, add their controllers, and start it.

import { pino, type Logger } from 'pino';
import { KubeClient, type KubeClientOptions } from '../../kube/client.js';
import type { Controller } from './controller.js';
import { EventRecorder } from '../../kube/event-recorder.js';
import { InformerFactory, type FactoryDefaults } from '../../kube/informer-factory.js';
import { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
import { ControllerMetrics } from './metrics.js';

export interface ManagerOptions extends KubeClientOptions {
  logger?: Logger;
  /** Events' source.component (default `hotpod`) */
  component?: string;
  informerDefaults?: FactoryDefaults;
  /** how long start() waits for the initial lists before giving up */
  cacheSyncTimeoutMs?: number;
  /** an existing client instead of one built from the kubeconfig options */
  client?: KubeClient;
  /** where the counters go (default: a new registry; pass one to count the clients' requests too) */
  metrics?: ControllerMetrics;
  /**
   * Reconcile only while holding this Lease. Standbys fill their caches (and are ready) but run
   * no controller until they lead.
   */
  leaderElection?: LeaderElectionConfig;
  /**
   * The Lease was lost while leading. The process must stop acting at once (another one may
   * lead by now); the default logs and exits with code 1, as controller-runtime does.
   */
  onLeadershipLost?: () => void;
}

export class Manager {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  readonly recorder: EventRecorder;
  readonly metrics: ControllerMetrics;
  readonly log: Logger;
  readonly elector?: LeaderElector;
  private readonly controllers: Controller[] = [];
  private readonly cacheSyncTimeoutMs: number;
  private readonly onLeadershipLost: () => void;
  private started = false;
  private stopping = false;
  private synced = false;
  private leading = false;
  private controllersStarted?: Promise<void>;
  private leadWaiters: (() => void)[] = [];

  constructor(opts: ManagerOptions = {}) {
    this.log = opts.logger ?? pino({ level: 'info' }, pino.destination(2));
    this.metrics = opts.metrics ?? new ControllerMetrics();
    this.client = opts.client ?? new KubeClient({ ...opts, onResponse: opts.onResponse ?? ((r) => this.metrics.apiRequest(r.verb, r.resource, r.code)) });
    this.informers = new InformerFactory(this.client, { logger: this.log, defaults: opts.informerDefaults });
    this.recorder = new EventRecorder(this.client, { component: opts.component ?? 'hotpod', logger: this.log });
    this.cacheSyncTimeoutMs = opts.cacheSyncTimeoutMs ?? 120_000;
    if (opts.leaderElection) {
      // Its own connection, as controller-runtime's: renewals must not queue behind a rollout's
      // writes in the shared rate limit and miss the renew deadline.
      const own = new KubeClient({ kubeConfig: this.client.kubeConfig, onRequest: opts.onRequest, onResponse: (r) => this.metrics.apiRequest(r.verb, r.resource, r.code) });
      this.elector = new LeaderElector(own, opts.leaderElection, { logger: this.log });
    }
    this.onLeadershipLost =
      opts.onLeadershipLost ??
      (() => {
        this.log.fatal('leader election lost, exiting');
        this.log.flush?.();
        process.exit(1);
      });
    this.metrics.setLeader(false);
  }

  add(controller: Controller): this {
    if (this.started) throw new Error(`controller ${controller.name} added after the manager started`);
    controller.instrument(this.metrics);
    this.controllers.push(controller);
    return this;
  }

  /**
   * Starts every informer and waits until all caches are filled; then starts the controllers,
   * at once or, with leader election, once the Lease is ours (in the background: start()
   * resolves when the caches are filled).
   */
  async start(): Promise<void> {
    this.started = true;
    this.log.info({ server: this.client.server }, 'starting informers');
    for (const inf of this.informers.list()) this.metrics.addInformer({ resource: () => inf.resource, lists: () => inf.stats.lists });
    this.informers.start();
    await this.informers.waitForSync(this.cacheSyncTimeoutMs);
    this.synced = true;
    if (!this.elector) {
      await this.lead();
      return;
    }
    this.elector.start({
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => {
        this.leading = false;
        this.metrics.setLeader(false);
        this.onLeadershipLost();
      },
    });
  }

  /** Caches filled: the process is ready (a standby too). */
  isReady(): boolean {
    return this.synced;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this process leads and its controllers run. */
  waitForLeadership(): Promise<void> {
    if (this.leading) return Promise.resolve();
    return new Promise((res) => this.leadWaiters.push(res));
  }

  /**
   * Lets running reconciles finish, writes pending Events, releases the Lease (a standby takes
   * over at its next retry), then closes the watches. The leader keeps renewing while its
   * workers drain (as controller-runtime's does), so no standby starts while it still writes.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.elector?.isLeader()) await this.elector?.stop();
    await this.controllersStarted?.catch(() => undefined);
    await Promise.all(this.controllers.map((c) => c.stop()));
    await this.recorder.flush();
    await this.elector?.release();
    this.leading = false;
    this.metrics.setLeader(false);
    await this.informers.stop();
  }

  private async lead(): Promise<void> {
    // The Lease came while stopping: release() gives it back, nothing starts.
    if (this.stopping) return;
    this.leading = true;
    this.metrics.setLeader(true);
    this.controllersStarted = Promise.all(this.controllers.map((c) => c.start())).then(() => undefined);
    await this.controllersStarted;
    this.log.info({ controllers: this.controllers.map((c) => c.name) }, 'controllers running');
    for (const w of this.leadWaiters.splice(0)) w();
  }
}
