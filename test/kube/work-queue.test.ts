// The work queue's guarantees, on a fake clock: dedup, one worker per key, per-key backoff,
// the overall token bucket, addAfter, and a shutdown that drains.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/kube/work-queue.js';
import { FakeClock } from '../../src/util/clock.js';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from '../../src/kube/rate-limit.js';
import { Backoff } from '../../src/kube/backoff.js';
import { TokenBucket } from '../../src/util/token-bucket.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Keys handed out right now, without waiting. */
async function drainNow(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) out.push((await q.get())!);
  return out;
}

describe('WorkQueue', () => {
  it('stores a key once however often it is added, in first-added order', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    assert.equal(q.len(), 3);
    assert.deepEqual(await drainNow(q), ['a', 'b', 'c']);
  });

  it('never hands a key being processed to a second worker, and re-queues it after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a'); // changed again while the first worker is on it
    q.add('b');
    assert.equal(q.len(), 1, 'only b is available: a is being processed');
    assert.equal(await q.get(), 'b');
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await tick();
    assert.equal(second, undefined, 'a is not handed out while still processing');
    q.done('a');
    await tick();
    assert.equal(second, 'a', 'a comes back once the first worker is done');
  });

  it('runs no key in two workers at once under concurrent load', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const active = new Set<string>();
    let overlaps = 0;
    let processed = 0;
    const worker = async () => {
      for (;;) {
        const k = await q.get();
        if (k === undefined) return;
        if (active.has(k)) overlaps++;
        active.add(k);
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        active.delete(k);
        processed++;
        q.done(k);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 400; i++) {
      q.add(`k${i % 5}`);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    while (q.len() > 0 || q.stats().processing > 0) await new Promise((r) => setTimeout(r, 2));
    await q.shutDownWithDrain();
    await Promise.all(workers);
    assert.equal(overlaps, 0);
    assert.ok(processed >= 5 && processed < 400, `dedup merged adds (processed ${processed})`);
  });

  it('backs off per key exponentially from 5 ms up to 1000 s, and forget() starts over', () => {
    const clock = new FakeClock();
    const limiter = new ItemExponentialRateLimiter(5, 1_000_000);
    const q = new WorkQueue({ clock, rateLimiter: limiter });
    const delays = Array.from({ length: 20 }, () => limiter.when('a'));
    assert.deepEqual(delays.slice(0, 6), [5, 10, 20, 40, 80, 160]);
    assert.equal(delays[17], 655_360);
    assert.equal(delays[18], 1_000_000);
    assert.equal(delays[19], 1_000_000);
    assert.equal(limiter.when('b'), 5, 'other keys have their own backoff');
    assert.equal(q.numRequeues('a'), 20);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    assert.equal(limiter.when('a'), 5);
    for (let i = 0; i < 2000; i++) limiter.when('c');
    assert.equal(limiter.when('c'), 1_000_000, 'no overflow to Infinity after many failures');
  });

  it('addRateLimited holds a failing key back for its backoff', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1_000_000) });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      const t0 = clock.now();
      assert.equal(q.len(), 0, 'not available immediately');
      // Step the clock 1 ms at a time until it shows up.
      while (q.len() === 0) clock.advance(1);
      seen.push(clock.now() - t0);
      const k = await q.get();
      q.done(k!);
    }
    assert.deepEqual(seen, [5, 10, 20, 40]);
  });

  it('addUnlessRetrying leaves a failing key to its backoff; add and a due retry still queue it', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(1000, 1_000_000) });
    q.addRateLimited('a');
    q.addUnlessRetrying('a');
    assert.equal(q.len(), 0, 'a child event does not cut the backoff short');
    clock.advance(1000);
    assert.deepEqual(await drainNow(q), ['a'], 'the retry comes when due');
    q.done('a');
    q.addUnlessRetrying('a');
    assert.deepEqual(await drainNow(q), ['a'], 'not backing off: queued at once');
    q.done('a');
    q.addRateLimited('a');
    q.add('a');
    assert.deepEqual(await drainNow(q), ['a'], 'a change of the object itself is not held back');
    q.done('a');
    q.addUnlessRetrying('a');
    assert.deepEqual(await drainNow(q), ['a'], 'after add, the backoff no longer holds child events');
  });

  it('the overall token bucket spaces retries once its burst is used', () => {
    const clock = new FakeClock();
    const limiter = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, clock));
    const delays = Array.from({ length: 103 }, (_, i) => limiter.when(`key-${i}`));
    assert.ok(delays.slice(0, 100).every((d) => d === 5), 'burst of 100 keys: only their own 5 ms backoff');
    assert.deepEqual(delays.slice(100), [100, 200, 300], 'then 10 per second');
    clock.advance(10_000);
    assert.equal(limiter.when('later'), 5, 'the bucket refills');
    // The default is the same composition.
    const d = defaultControllerRateLimiter(new FakeClock());
    assert.equal(d.when('x'), 5);
    assert.equal(d.when('x'), 10);
  });

  it('addAfter delivers once after the delay, and the earliest pending time wins', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 5000); // later: ignored
    q.addAfter('b', 3000);
    q.addAfter('b', 500); // earlier: replaces
    assert.equal(q.len(), 0);
    clock.advance(499);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.deepEqual(await drainNow(q), ['b']);
    clock.advance(500);
    assert.deepEqual(await drainNow(q), ['a']);
    clock.advance(10_000);
    assert.equal(q.len(), 0, 'the ignored later time does not deliver a second time');
    q.addAfter('c', 0);
    assert.equal(q.len(), 1, 'no delay: added at once');
  });

  it('shutDownWithDrain waits for running keys, wakes idle workers and ignores new adds', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('running');
    q.add('queued');
    q.addAfter('delayed', 100);
    const k = await q.get();
    assert.equal(k, 'running');
    const idle = (async () => {
      await q.get(); // takes 'queued'
      return q.get(); // then waits: must be woken by the shutdown
    })();
    await tick();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    assert.equal(await idle, undefined, 'an idle worker is told to stop');
    q.add('late');
    clock.advance(1000);
    assert.equal(q.len(), 0, 'adds and delayed keys after shutdown are dropped');
    await tick();
    assert.equal(drained, false, 'still draining: two keys are being processed');
    q.done('queued');
    await tick();
    assert.equal(drained, false, 'still draining: one key is being processed');
    q.done('running');
    await drain;
    assert.equal(drained, true);
    assert.equal(await q.get(), undefined);
  });
});

describe('TokenBucket and Backoff', () => {
  it('the token bucket allows a burst, then its rate', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(2, 3, clock);
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [0, 0, 0]);
    assert.equal(b.reserve(), 500);
    assert.equal(b.tryTake(), false);
    clock.advance(1500);
    assert.equal(b.tryTake(), true);
  });

  it('reconnect backoff grows to its cap with bounded jitter and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 1);
    const ds = Array.from({ length: 6 }, () => b.next());
    assert.deepEqual(ds, [120, 240, 480, 960, 1000, 1000]);
    b.reset();
    assert.equal(new Backoff({ initialMs: 100, jitter: 0.2 }, () => 0).next(), 80);
    assert.equal(b.next(), 120);
  });
});
