// Writes core/v1 Events about objects, as client-go's record.EventRecorder does, so that
// `kubectl describe` and `kubectl get events` show what the controller did. The same event
// (same object, type, reason and message) repeated is one Event whose count and lastTimestamp
// are patched, which `kubectl describe` prints as "(x3 over 2m)", instead of a new Event each
// time. Recording never blocks or fails a reconcile: writes happen in the background and
// failures are logged.

import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { realClock, type Clock } from '../../util/clock.js';
import { isNotFound, MERGE_PATCH, type ObjectClient } from './object-client.js';
import type { KubeObject } from './objects.js';
import { TokenBucket } from './rate-limit.js';
import { rfc3339 } from '../../util/time.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** source.component and reportingComponent, e.g. `hotpod` */
  component: string;
  /** source.host (client-go leaves it empty for controllers) */
  host?: string;
  /** reportingInstance; default `<component>-<hostname>` */
  instance?: string;
  logger?: Logger;
  clock?: Clock;
  /** how many distinct events are remembered for counting (client-go: 4096) */
  cacheSize?: number;
  /**
   * Per involved object, at most `burst` events and then one per `refillSeconds` (client-go's
   * spam filter: 25, then one per 5 minutes), so a hot loop cannot flood the API server.
   */
  spam?: { burst: number; refillSeconds: number };
  /** concurrent Event writes */
  concurrency?: number;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export class EventRecorder {
  private readonly component: string;
  private readonly host?: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly cacheSize: number;
  private readonly spam: { burst: number; refillSeconds: number };
  private readonly concurrency: number;
  /** correlation key → the Event written for it (a Map keeps insertion order: an LRU) */
  private readonly recorded = new Map<string, Recorded>();
  private readonly spamBuckets = new Map<string, TokenBucket>();
  /** per correlation key, the last write: a repeat waits for the create it counts on */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private active = 0;
  private readonly slots: (() => void)[] = [];
  private seq = 0;
  readonly stats = { created: 0, patched: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly objects: ObjectClient,
    opts: EventRecorderOptions,
  ) {
    this.component = opts.component;
    this.host = opts.host;
    this.instance = opts.instance ?? `${opts.component}-${hostname()}`;
    this.log = (opts.logger ?? pino({ level: 'warn' }, pino.destination(2))).child({ component: 'event-recorder' });
    this.clock = opts.clock ?? realClock;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.spam = opts.spam ?? { burst: 25, refillSeconds: 300 };
    this.concurrency = opts.concurrency ?? 8;
  }

  /** Records an event about `obj` (it needs apiVersion, kind, name; namespace and uid if it has them). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const involved: InvolvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata?.name,
      namespace: obj.metadata?.namespace,
      uid: obj.metadata?.uid,
      resourceVersion: obj.metadata?.resourceVersion,
    };
    if (!involved.kind || !involved.name) {
      this.log.warn({ reason, message }, 'event about an object without kind or name dropped');
      this.stats.dropped++;
      return;
    }
    const objectId = [this.component, this.host ?? '', involved.apiVersion, involved.kind, involved.namespace ?? '', involved.name, involved.uid ?? ''].join('\u0000');
    if (!this.allow(objectId)) {
      this.stats.dropped++;
      this.log.debug({ involved, reason }, 'event dropped by the spam filter');
      return;
    }
    const correlation = [objectId, type, reason, message].join('\u0000');
    const at = this.timestamp();
    const prev = this.chains.get(correlation) ?? Promise.resolve();
    const next = prev.then(() => this.write(correlation, involved, type, reason, message, at));
    this.chains.set(correlation, next);
    this.pending.add(next);
    void next.finally(() => {
      this.pending.delete(next);
      if (this.chains.get(correlation) === next) this.chains.delete(correlation);
    });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async write(correlation: string, involved: InvolvedObject, type: EventType, reason: string, message: string, at: string): Promise<void> {
    await this.slot();
    try {
      const known = this.recorded.get(correlation);
      if (known) {
        known.count++;
        // Refresh its place in the LRU.
        this.recorded.delete(correlation);
        this.recorded.set(correlation, known);
        try {
          await this.objects.patchObject('v1', 'Event', { namespace: known.namespace, name: known.name }, { count: known.count, lastTimestamp: at }, { contentType: MERGE_PATCH });
          this.stats.patched++;
          return;
        } catch (err) {
          // Events expire (an hour by default on real clusters) or get deleted; start a new one
          // that keeps the count, as client-go does.
          if (!isNotFound(err)) throw err;
        }
        await this.create(correlation, involved, type, reason, message, known.firstTimestamp, at, known.count);
        return;
      }
      await this.create(correlation, involved, type, reason, message, at, at, 1);
    } catch (err) {
      this.stats.failed++;
      this.log.warn({ err: err instanceof Error ? err.message : String(err), involved, reason }, 'could not write event');
    } finally {
      this.release();
    }
  }

  private async create(
    correlation: string,
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    firstTimestamp: string,
    lastTimestamp: string,
    count: number,
  ): Promise<void> {
    // Cluster-scoped objects' events go to `default`, as client-go's.
    const namespace = involved.namespace || 'default';
    const name = `${involved.name}.${this.uniqueSuffix()}`;
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: dropUndefined({ ...involved }),
      reason,
      message,
      type,
      source: dropUndefined({ component: this.component, host: this.host }),
      firstTimestamp,
      lastTimestamp,
      count,
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
    await this.objects.createObject(event);
    this.stats.created++;
    this.recorded.set(correlation, { name, namespace, count, firstTimestamp });
    while (this.recorded.size > this.cacheSize) this.recorded.delete(this.recorded.keys().next().value!);
  }

  private allow(objectId: string): boolean {
    let bucket = this.spamBuckets.get(objectId);
    if (!bucket) {
      bucket = new TokenBucket(1 / this.spam.refillSeconds, this.spam.burst, this.clock);
      this.spamBuckets.set(objectId, bucket);
      // Bounded like the correlation cache; a forgotten object simply starts with a full bucket.
      if (this.spamBuckets.size > this.cacheSize) this.spamBuckets.delete(this.spamBuckets.keys().next().value!);
    }
    return bucket.tryTake();
  }

  /** client-go names events `<object>.<unix nanoseconds in hex>`; the sequence keeps them unique within a millisecond. */
  private uniqueSuffix(): string {
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return nanos.toString(16);
  }

  /** metav1.Time: RFC 3339 in whole seconds. */
  private timestamp(): string {
    return rfc3339(this.clock.now());
  }

  private slot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((res) => this.slots.push(res));
  }

  private release(): void {
    const next = this.slots.shift();
    if (next) next();
    else this.active--;
  }
}

function dropUndefined<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined || v === '') delete (o as Record<string, unknown>)[k];
  return o;
}
