// Rate limiters for the work queue (client-go's workqueue.DefaultControllerRateLimiter: the
// larger of a per-key exponential backoff and an overall token bucket). The token bucket
// (src/util/token-bucket.ts) also throttles client requests (client-go's QPS/burst).

import { realClock, type Clock } from '../util/clock.js';
import { TokenBucket } from '../util/token-bucket.js';

/** How long to hold an item back before it is retried; the queue asks on every failure. */
export interface RateLimiter {
  when(item: string): number;
  /** The item succeeded: its backoff starts over. */
  forget(item: string): void;
  numRequeues(item: string): number;
}

/** base·2^failures per item, capped (client-go: 5 ms doubling up to 1000 s). */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(item: string): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    // 2^n overflows to Infinity long before n does; the cap keeps it finite.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(item: string): void {
    this.failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.failures.get(item) ?? 0;
  }
}

/** One bucket for all items: bounds the retry rate of the whole controller. */
export class BucketRateLimiter implements RateLimiter {
  readonly bucket: TokenBucket;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    this.bucket = new TokenBucket(qps, burst, clock);
  }

  when(): number {
    return this.bucket.reserve();
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: string): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's default for controllers: 5 ms → 1000 s per key, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, clock));
}
