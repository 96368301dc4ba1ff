// client-go's token bucket: `burst` tokens at once, then `qps` per second. The controller's
// work queue and API client use it, and the embedded kubelets' event rate (eventRecordQPS,
// eventBurst).

import { realClock, type Clock } from './clock.js';

/**
 * A token bucket that hands out reservations: each call takes one token now or in the future
 * and says how long to wait for it, so callers never spin and the long-run rate holds.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`token bucket needs qps > 0 and burst >= 1 (got qps ${qps}, burst ${burst})`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token; returns the ms to wait before using it (0 when one was available). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** How long until a token is available (0: now), without taking one. */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }

  /** Takes a token only if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Resolves when a token is ours. */
  take(): Promise<void> {
    const wait = this.reserve();
    if (wait === 0) return Promise.resolve();
    return new Promise((res) => this.clock.setTimeout(res, wait));
  }
}
