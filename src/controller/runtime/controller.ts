// A controller: informer events → keys in a work queue → N workers → reconcile(key). The
// reconcile contract is controller-runtime's: given only a key, read the caches, write the
// difference, and either return (done), return { requeueAfterMs } (look again later), or throw
// (retried with per-key exponential backoff). Level-triggered, so a missed or merged event only
// delays a reconcile, never loses one.

import { pino, type Logger } from 'pino';
import { enqueueController, enqueueMapped, enqueueObject, type OwnerKind } from './event-handlers.js';
import type { Informer, ResourceEventHandler } from '../../kube/informer.js';
import { errorCode, isConflict } from '../../kube/errors.js';
import type { ControllerMetrics } from './metrics.js';
import { keyString, parseKey, type KubeObject, type ObjectKey } from '../../kube/objects.js';
import type { RateLimiter } from '../../kube/rate-limit.js';
import { WorkQueue } from '../../kube/work-queue.js';

export interface ReconcileResult {
  /** look at this key again after this long, even if nothing changes (0/absent: don't) */
  requeueAfterMs?: number;
  /** look again soon, with the same backoff as an error, without logging one */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** the controller's logger with `namespace` and `name` of the key bound */
  log: Logger;
}

export interface Reconciler {
  /** `ctx` is always given by Controller; optional so a test may call a reconciler with a key alone. */
  reconcile(key: ObjectKey, ctx?: ReconcileContext): Promise<ReconcileResult | void>;
}

export interface ControllerOptions {
  /** names the controller in logs, e.g. `gameserverset` */
  name: string;
  reconciler: Reconciler;
  /** parallel reconciles (of different keys: one key is never reconciled twice at once) */
  workers?: number;
  logger?: Logger;
  rateLimiter?: RateLimiter;
  /** how long start() waits for the informers' initial lists */
  cacheSyncTimeoutMs?: number;
}

export interface ControllerStats {
  reconciles: number;
  errors: number;
  requeuesAfter: number;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly stats: ControllerStats = { reconciles: 0, errors: 0, requeuesAfter: 0 };
  private readonly reconciler: Reconciler;
  private readonly workers: number;
  private readonly log: Logger;
  private readonly cacheSyncTimeoutMs: number;
  private readonly informers = new Set<Informer<KubeObject>>();
  private readonly removeHandlers: (() => void)[] = [];
  private running: Promise<void>[] = [];
  private started = false;
  private metrics?: ControllerMetrics;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconciler = opts.reconciler;
    this.workers = Math.max(1, opts.workers ?? 2);
    this.log = (opts.logger ?? pino({ level: 'warn' }, pino.destination(2))).child({ controller: opts.name });
    this.cacheSyncTimeoutMs = opts.cacheSyncTimeoutMs ?? 120_000;
    this.queue = new WorkQueue({ rateLimiter: opts.rateLimiter });
  }

  /** Counts reconciles, errors and durations, and shows the queue depth, in these metrics. */
  instrument(metrics: ControllerMetrics): this {
    this.metrics = metrics;
    metrics.registerController(this.name, () => this.queue.len());
    return this;
  }

  /** Reconcile an object when it changes (the controller's own kind). */
  watchObjects<T extends KubeObject>(informer: Informer<T>): this {
    return this.watch(informer, enqueueObject<T>(this.queue));
  }

  /**
   * Reconcile an object's controlling owner when the object changes (pods → their set), except
   * while the owner waits out a failed reconcile's backoff: a set whose pod creates fail would
   * otherwise be retried every time one of its GameServers changes.
   */
  watchOwned<T extends KubeObject>(informer: Informer<T>, owner: OwnerKind): this {
    return this.watch(informer, enqueueController<T>({ add: (key) => this.queue.addUnlessRetrying(key) }, owner));
  }

  /** Reconcile the keys `map` returns when an object changes. */
  watchMapped<T extends KubeObject>(informer: Informer<T>, map: (obj: T) => ObjectKey[]): this {
    return this.watch(informer, enqueueMapped<T>(this.queue, map));
  }

  /** Any handler; start() waits for this informer's sync. */
  watch<T extends KubeObject>(informer: Informer<T>, handler: ResourceEventHandler<T>): this {
    this.informers.add(informer as unknown as Informer<KubeObject>);
    this.removeHandlers.push(informer.addEventHandler(handler));
    return this;
  }

  enqueue(key: ObjectKey | string): void {
    this.queue.add(typeof key === 'string' ? key : keyString(key));
  }

  /**
   * Starts the watched informers (if not yet), waits for their caches (a reconcile that reads a
   * half-filled cache would delete what it cannot see), then starts the workers.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`controller ${this.name}: already started`);
    this.started = true;
    for (const inf of this.informers) inf.start();
    await Promise.all([...this.informers].map((i) => i.waitForSync(this.cacheSyncTimeoutMs)));
    this.log.info({ workers: this.workers }, 'caches synced, starting workers');
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Stops taking keys, lets running reconciles finish, and resolves when they have. */
  async stop(): Promise<void> {
    for (const remove of this.removeHandlers.splice(0)) remove();
    await this.queue.shutDownWithDrain();
    await Promise.all(this.running);
    this.running = [];
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processKey(key);
    }
  }

  private async processKey(key: string): Promise<void> {
    const started = performance.now();
    const objectKey = parseKey(key);
    const log = this.log.child({ namespace: objectKey.namespace, name: objectKey.name });
    this.stats.reconciles++;
    let result: 'success' | 'requeue' | 'requeue_after' | 'error' = 'success';
    try {
      const r = (await this.reconciler.reconcile(objectKey, { log })) ?? {};
      if (r.requeueAfterMs && r.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, r.requeueAfterMs);
        this.stats.requeuesAfter++;
        result = 'requeue_after';
      } else if (r.requeue) {
        this.queue.addRateLimited(key);
        result = 'requeue';
      } else {
        this.queue.forget(key);
      }
      log.debug({ ms: Math.round(performance.now() - started) }, 'reconciled');
    } catch (err) {
      result = 'error';
      this.stats.errors++;
      const retries = this.queue.numRequeues(key);
      this.queue.addRateLimited(key);
      // A conflict means the cache was behind the server: routine, retried, not worth an error line.
      const level = isConflict(err) ? 'debug' : errorCode(err) === 404 ? 'info' : 'error';
      log[level]({ retries, err: err instanceof Error ? err.message : String(err), ms: Math.round(performance.now() - started) }, `reconcile ${key} failed, retrying`);
    } finally {
      this.queue.done(key);
      this.metrics?.reconciled(this.name, result, (performance.now() - started) / 1000);
    }
  }
}
