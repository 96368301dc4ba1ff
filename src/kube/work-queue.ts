// The work queue between event handlers and workers, with client-go's guarantees:
// - a key waiting in the queue is stored once, however many events asked for it (dedup);
// - a key being processed is never handed to a second worker; if it is added meanwhile, it is
//   queued again when the first worker calls done(), so the change is not lost;
// - failures are retried after a per-key backoff (see rate-limit.ts), requeue-after via addAfter;
// - addUnlessRetrying does not cut a failure's backoff short (events of a set's children, which
//   a failing reconcile may itself cause, would otherwise retry it at the children's pace).

import { realClock, type Clock } from '../util/clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limit.js';

export interface WorkQueueOptions {
  rateLimiter?: RateLimiter;
  clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  /** keys that need processing (queued, or re-added while processing) */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** keys held back by addAfter, with when they are due */
  private readonly waiting = new Map<string, { at: number; timer: unknown }>();
  /** keys of `waiting` held back by a failure's backoff (addRateLimited) */
  private readonly retrying = new Set<string>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  readonly rateLimiter: RateLimiter;
  private readonly clock: Clock;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  add(key: string): void {
    this.retrying.delete(key);
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it again
    this.push(key);
  }

  /** Adds the key once `ms` have passed; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const w = this.waiting.get(key);
    if (w && w.at <= at) return;
    if (w) this.clock.clearTimeout(w.timer);
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.retrying.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Adds the key after the rate limiter's delay for it (a failed reconcile). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.addAfter(key, this.rateLimiter.when(key));
    if (this.waiting.has(key)) this.retrying.add(key);
  }

  /** add(), except while the key waits out a failure's backoff: the retry comes then. */
  addUnlessRetrying(key: string): void {
    if (this.retrying.has(key)) return;
    this.add(key);
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key to process, marked as processing until done(key). Resolves undefined once the
   * queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.shift();
    if (key !== undefined) return Promise.resolve(this.start(key));
    return new Promise((res) => this.getters.push(res));
  }

  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0 && this.shuttingDown) this.releaseDrainWaiters();
  }

  /** Keys waiting to be handed out (not counting ones held back by addAfter). */
  len(): number {
    return this.queue.length - this.head;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  stats(): { queued: number; processing: number; waiting: number } {
    return { queued: this.len(), processing: this.processing.size, waiting: this.waiting.size };
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops handing out keys and accepting new ones. Queued and delayed keys are dropped: the
   * controller is level-triggered, so whoever runs next re-lists and reconciles every object.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    this.retrying.clear();
    this.queue.length = 0;
    this.head = 0;
    for (const key of this.dirty) if (!this.processing.has(key)) this.dirty.delete(key);
    for (const g of this.getters.splice(0)) g(undefined);
    if (this.processing.size === 0) this.releaseDrainWaiters();
  }

  /** shutDown(), then resolves once every key being processed has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((res) => this.drainWaiters.push(res));
  }

  private push(key: string): void {
    const g = this.getters.shift();
    if (g) g(this.start(key));
    else this.queue.push(key);
  }

  private shift(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    // Compact now and then instead of shifting the array on every get.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return key;
  }

  private start(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private releaseDrainWaiters(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

/**
 * `workers` loops that take keys from the queue and hand each to `handle`, until the queue shuts
 * down. A failure is `handle`'s to deal with (log it, add the key again later).
 */
export function processQueue(queue: WorkQueue, workers: number, handle: (key: string) => Promise<void>): Promise<void> {
  const loop = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await handle(key);
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, workers) }, loop)).then(() => undefined);
}
