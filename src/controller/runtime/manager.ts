// The controller process's shared parts in one place (controller-runtime's Manager): one
// connection, one informer per resource, one event recorder, and the order things start and
// stop in. `hotpod controller` and `hotpod up` build one, add their controllers, and start it.

import { pino, type Logger } from 'pino';
import { createClients, type ClientOptions, type Clients } from './client.js';
import type { Controller } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { InformerFactory, type FactoryDefaults } from './informer-factory.js';

export interface ManagerOptions extends ClientOptions {
  logger?: Logger;
  /** Events' source.component (default `hotpod`) */
  component?: string;
  informerDefaults?: FactoryDefaults;
  /** how long start() waits for the initial lists before giving up */
  cacheSyncTimeoutMs?: number;
  /** an existing connection instead of one built from the kubeconfig options */
  clients?: Clients;
}

export class Manager {
  readonly clients: Clients;
  readonly informers: InformerFactory;
  readonly recorder: EventRecorder;
  readonly log: Logger;
  private readonly controllers: Controller[] = [];
  private readonly cacheSyncTimeoutMs: number;
  private started = false;

  constructor(opts: ManagerOptions = {}) {
    this.log = opts.logger ?? pino({ level: 'info' }, pino.destination(2));
    this.clients = opts.clients ?? createClients(opts);
    this.informers = new InformerFactory(this.clients, { logger: this.log, defaults: opts.informerDefaults });
    this.recorder = new EventRecorder(this.clients.objects, { component: opts.component ?? 'hotpod', logger: this.log });
    this.cacheSyncTimeoutMs = opts.cacheSyncTimeoutMs ?? 120_000;
  }

  add(controller: Controller): this {
    if (this.started) throw new Error(`controller ${controller.name} added after the manager started`);
    this.controllers.push(controller);
    return this;
  }

  /** Starts every informer, waits until all caches are filled, then starts the controllers. */
  async start(): Promise<void> {
    this.started = true;
    this.log.info({ server: this.clients.server }, 'starting informers');
    this.informers.start();
    await this.informers.waitForSync(this.cacheSyncTimeoutMs);
    await Promise.all(this.controllers.map((c) => c.start()));
    this.log.info({ controllers: this.controllers.map((c) => c.name) }, 'controllers running');
  }

  /** Lets running reconciles finish, writes pending Events, then closes the watches. */
  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    await this.recorder.flush();
    await this.informers.stop();
  }
}
