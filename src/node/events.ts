// Kubernetes Events as kubelet and kube-scheduler record them (`kubectl describe pod` and
// `kubectl get events` show them). A repeat of an event (same object, container, reason,
// message) bumps the count of the first one, as client-go's event correlator does, so
// `describe` shows `(x4 over 10s)` instead of four lines. Best effort: an event that cannot be
// written is dropped, never retried, and never delays the work that caused it.
//
// Like kubelet's, a recorder may have a rate (kubelet's eventRecordQPS 50, eventBurst 100):
// past the burst, events wait in a queue of at most 1,000 (client-go's broadcaster queue; more
// are dropped) and go out at that rate. A burst of a thousand pods, six events each, then costs
// the API server a steady trickle rather than thousands of writes in the seconds the pods start.

import { TokenBucket } from '../util/token-bucket.js';
import type { KubeClient } from './kube-client.js';
import { rfc3339 } from '../util/time.js';

type Json = Record<string, any>;

/** Events waiting for an answer; past this, new ones are dropped rather than queued. */
const MAX_IN_FLIGHT = 16;
/** Recent events remembered for counting repeats. */
const MAX_REMEMBERED = 4096;

/** Events per second after a burst, as kubelet's eventRecordQPS and eventBurst. */
export interface EventRate {
  qps: number;
  burst: number;
}

/** KubeletConfiguration's defaults. */
export const KUBELET_EVENT_RATE: EventRate = { qps: 50, burst: 100 };

/** client-go's broadcaster queue: events past it are dropped. */
const MAX_QUEUED = 1000;

type Pending = { method: string; path: string; body: Json; contentType?: string };

/** Wall-clock nanoseconds read from the monotonic clock, strictly increasing in this process. */
const clockBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNanos = 0n;

/**
 * client-go names events `<object>.<unix nanoseconds in hex>`, so `kubectl get events` (in name
 * order) lists an object's events as they happened. One clock for the scheduler and every
 * kubelet of the process keeps their names for the same pod distinct.
 */
export function eventNanos(): bigint {
  const now = clockBase + process.hrtime.bigint();
  lastNanos = now > lastNanos ? now : lastNanos + 1n;
  return lastNanos;
}

export class EventRecorder {
  private inFlight = 0;
  private readonly seen = new Map<string, { name: string; namespace: string; count: number }>();
  private readonly bucket?: TokenBucket;
  private readonly queue: Pending[] = [];
  private drainTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: KubeClient,
    private readonly source: { component: string; host?: string },
    private readonly rate?: EventRate,
  ) {
    if (rate) this.bucket = new TokenBucket(rate.qps, rate.burst);
  }

  /** Drops the events still queued (the node is stopping). */
  close(): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.queue.length = 0;
  }

  /**
   * `fieldPath` names a container: `spec.containers{app}`. `at` (from eventNanos()) names the
   * event by when its cause happened, for an event recorded once a request about it returns.
   */
  pod(pod: Json, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string, at?: bigint): void {
    if (this.inFlight >= MAX_IN_FLIGHT && !this.rate) return;
    if (this.rate && this.queue.length >= MAX_QUEUED) return;
    const now = rfc3339();
    const namespace: string = pod.metadata?.namespace ?? 'default';
    const key = [pod.metadata?.uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const repeat = this.seen.get(key);
    if (repeat) {
      repeat.count++;
      this.seen.delete(key);
      this.seen.set(key, repeat);
      this.send('PATCH', `/api/v1/namespaces/${namespace}/events/${repeat.name}`, { count: repeat.count, lastTimestamp: now }, 'application/merge-patch+json');
      return;
    }
    const name = `${pod.metadata?.name}.${(at ?? eventNanos()).toString(16)}`;
    this.seen.set(key, { name, namespace, count: 1 });
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    const event: Json = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace,
        name: pod.metadata?.name,
        uid: pod.metadata?.uid,
        resourceVersion: pod.metadata?.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: this.source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    this.send('POST', `/api/v1/namespaces/${namespace}/events`, event);
  }

  private send(method: string, path: string, body: Json, contentType?: string): void {
    if (this.bucket) {
      this.queue.push({ method, path, body, contentType });
      this.drain();
      return;
    }
    this.write({ method, path, body, contentType });
  }

  /** Sends queued events while there are tokens, and looks again when the next one is due. */
  private drain(): void {
    const bucket = this.bucket!;
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT && bucket.tryTake()) this.write(this.queue.shift()!);
    if (this.queue.length > 0 && !this.drainTimer) {
      // No token yet, or a token but every request slot busy: look again when either may change.
      const waitMs = bucket.msUntilToken() || 10;
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        this.drain();
      }, waitMs);
      this.drainTimer.unref();
    }
  }

  private write({ method, path, body, contentType }: Pending): void {
    this.inFlight++;
    this.client
      .request(method, path, body, { contentType, ignoreAnswer: true })
      .catch(() => undefined)
      .finally(() => this.inFlight--);
  }
}

export function containerField(name: string, init = false): string {
  return `spec.${init ? 'initContainers' : 'containers'}{${name}}`;
}
