// Writes core/v1 Events about objects, as client-go's record.EventRecorder does, so that
// `kubectl describe` and `kubectl get events` show what the controller, the scheduler and the
// kubelets did. The same event (same object, container, type, reason and message) repeated is
// one Event whose count and lastTimestamp are patched, which `kubectl describe` prints as
// "(x3 over 2m)", instead of a new Event each time. Recording never blocks or fails the work
// that caused it: writes happen in the background and failures are logged.
//
// A recorder may have a rate, as kubelet's eventRecordQPS and eventBurst: past the burst, events
// wait in a queue of at most 1,000 (client-go's broadcaster queue; more are dropped), so a burst
// of a thousand pods starting costs the API server a steady trickle of writes.

import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { realClock, type Clock } from '../util/clock.js';
import { MERGE_PATCH, type KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import type { KubeObject } from './objects.js';
import { TokenBucket } from '../util/token-bucket.js';
import { rfc3339 } from '../util/time.js';

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
  /** Event writes per second after a burst (kubelet's eventRecordQPS 50, eventBurst 100); absent: no limit */
  rate?: { qps: number; burst: number };
}

/** Where an event points inside its object, and when its cause happened. */
export interface EventDetail {
  /** a container: `spec.containers{app}` (see containerField) */
  fieldPath?: string;
  /** from eventNanos(), for an event recorded once a request about it returns: names it by its cause */
  at?: bigint;
}

/** client-go's broadcaster queue: events past it are dropped. */
const MAX_QUEUED = 1000;

/** Wall-clock nanoseconds read from the monotonic clock, strictly increasing in this process. */
const clockBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNanos = 0n;

/**
 * client-go names events `<object>.<unix nanoseconds in hex>`, so `kubectl get events` (in name
 * order) lists an object's events as they happened. One clock for every recorder of the process
 * (the controller's, the scheduler's, each kubelet's) keeps their names for one object distinct.
 */
export function eventNanos(): bigint {
  const now = clockBase + process.hrtime.bigint();
  lastNanos = now > lastNanos ? now : lastNanos + 1n;
  return lastNanos;
}

export function containerField(name: string, init = false): string {
  return `spec.${init ? 'initContainers' : 'containers'}{${name}}`;
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
  fieldPath?: string;
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
  private readonly rate?: TokenBucket;
  /** correlation key → the Event written for it (a Map keeps insertion order: an LRU) */
  private readonly recorded = new Map<string, Recorded>();
  private readonly spamBuckets = new Map<string, TokenBucket>();
  /** per correlation key, the last write: a repeat waits for the create it counts on */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private active = 0;
  private seq = 0;
  private closed = false;
  private readonly slots: (() => void)[] = [];
  readonly stats = { created: 0, patched: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly client: KubeClient,
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
    if (opts.rate) this.rate = new TokenBucket(opts.rate.qps, opts.rate.burst);
  }

  /** Records an event about `obj` (it needs apiVersion, kind, name; namespace and uid if it has them). */
  event(obj: KubeObject, type: EventType, reason: string, message: string, detail: EventDetail = {}): void {
    if (this.pending.size >= MAX_QUEUED) {
      this.stats.dropped++;
      return;
    }
    const involved: InvolvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata?.name,
      namespace: obj.metadata?.namespace,
      uid: obj.metadata?.uid,
      resourceVersion: obj.metadata?.resourceVersion,
      fieldPath: detail.fieldPath,
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
    const correlation = [objectId, detail.fieldPath ?? '', type, reason, message].join('\u0000');
    const at = this.timestamp();
    const name = `${involved.name}.${this.nameSuffix(detail.at)}`;
    const prev = this.chains.get(correlation) ?? Promise.resolve();
    const next = prev.then(() => this.write(correlation, involved, type, reason, message, at, name));
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

  /** Drops the events not yet written (the process is stopping). */
  close(): void {
    this.closed = true;
  }

  private async write(correlation: string, involved: InvolvedObject, type: EventType, reason: string, message: string, at: string, name: string): Promise<void> {
    await this.slot();
    try {
      const wait = this.rate?.reserve() ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      if (this.closed) return;
      const known = this.recorded.get(correlation);
      if (known) {
        known.count++;
        // Refresh its place in the LRU.
        this.recorded.delete(correlation);
        this.recorded.set(correlation, known);
        try {
          await this.client.request('PATCH', `/api/v1/namespaces/${known.namespace}/events/${known.name}`, { body: { count: known.count, lastTimestamp: at }, contentType: MERGE_PATCH, ignoreAnswer: true });
          this.stats.patched++;
          return;
        } catch (err) {
          // Events expire (an hour by default on real clusters) or get deleted; start a new one
          // that keeps the count, as client-go does.
          if (!isNotFound(err)) throw err;
        }
        await this.create(correlation, involved, type, reason, message, known.firstTimestamp, at, known.count, name);
        return;
      }
      await this.create(correlation, involved, type, reason, message, at, at, 1, name);
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
    name: string,
  ): Promise<void> {
    // Cluster-scoped objects' events go to `default`, as client-go's.
    const namespace = involved.namespace || 'default';
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
    await this.client.request('POST', `/api/v1/namespaces/${namespace}/events`, { body: event, ignoreAnswer: true });
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

  /** The process's event clock; a test's clock gives nanoseconds of its own, kept unique by a sequence. */
  private nameSuffix(at: bigint | undefined): string {
    if (at !== undefined) return at.toString(16);
    if (this.clock === realClock) return eventNanos().toString(16);
    return (BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
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
