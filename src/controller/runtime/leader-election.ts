// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm and semantics
// (tools/leaderelection), since client-node has none:
// - a candidate acquires the Lease when it is missing, released (no holder), or expired; expiry is
//   measured on this process's clock from when it last saw the Lease change (never from the
//   renewTime another machine wrote, so clock skew between machines does not matter);
// - every write is a PUT carrying the resourceVersion that was read: of two candidates racing
//   for an expired Lease, the server lets one through and answers 409 to the other;
// - the leader renews every retry period; if no renewal succeeds within the renew deadline it has
//   lost the Lease (someone may hold it by now) and must stop at once;
// - on a clean stop the leader releases the Lease (empty holder, duration 1 s), so a standby
//   takes over at its next retry instead of waiting out the lease duration.
// The decision (given the Lease and the time, what to write) is the pure function decideLease.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { InterruptibleSleep } from '../../kube/interruptible-sleep.js';
import { microTime } from '../../util/time.js';

export const LEASE_API_VERSION = 'coordination.k8s.io/v1';
export const LEASE_KIND = 'Lease';

/** coordination.k8s.io/v1 LeaseSpec, the fields leader election uses. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type LeaseDecision =
  /** no Lease yet: create it, held by us */
  | { action: 'create'; spec: LeaseSpec }
  /** renew ours, or take over a released or expired one */
  | { action: 'update'; spec: LeaseSpec }
  /** someone else holds it, for this much longer as far as we know */
  | { action: 'wait'; holder: string; expiresInMs: number };

export interface DecideLeaseInput {
  /** the Lease's spec as read; undefined when there is no Lease */
  current: LeaseSpec | undefined;
  /** when this process first saw `current` as it is now (ms since the epoch, this clock) */
  observedAtMs: number;
  identity: string;
  nowMs: number;
  leaseDurationSeconds: number;
}

/** client-go's tryAcquireOrRenew, without the I/O. */
export function decideLease(input: DecideLeaseInput): LeaseDecision {
  const now = microTime(input.nowMs);
  const { current, identity } = input;
  if (!current) {
    return { action: 'create', spec: { holderIdentity: identity, leaseDurationSeconds: input.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } };
  }
  const holder = current.holderIdentity ?? '';
  const ours = holder === identity;
  if (holder !== '' && !ours) {
    // The duration the holder wrote is the promise it made; ours may differ.
    const durationMs = (current.leaseDurationSeconds ?? input.leaseDurationSeconds) * 1000;
    const expiresInMs = input.observedAtMs + durationMs - input.nowMs;
    if (expiresInMs > 0) return { action: 'wait', holder, expiresInMs };
  }
  return {
    action: 'update',
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: input.leaseDurationSeconds,
      acquireTime: ours ? (current.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: ours ? (current.leaseTransitions ?? 0) : (current.leaseTransitions ?? 0) + 1,
    },
  };
}

/** What a released Lease holds (client-go: no holder, a 1 s duration, the same transitions). */
export function releasedLease(current: LeaseSpec, nowMs: number): LeaseSpec {
  const now = microTime(nowMs);
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.leaseTransitions ?? 0 };
}

/** `<hostname>_<random>`, as controller-runtime names its candidates. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(8).toString('hex')}`;
}

export interface LeaderElectionConfig {
  namespace: string;
  /** the Lease's name */
  name: string;
  identity?: string;
  /** how long a Lease holds without renewal (client-go default 15 s) */
  leaseDurationMs?: number;
  /** how long the leader keeps trying to renew before giving up (10 s) */
  renewDeadlineMs?: number;
  /** how often candidates try to acquire, and the leader renews (2 s) */
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  /** The Lease was lost (not released by stop()): the process must stop acting at once. */
  onStoppedLeading(): void;
  /** Someone (maybe us) holds the Lease now; called on every change of holder seen. */
  onNewLeader?(identity: string): void;
}

/** client-go's JitterFactor for the acquire loop. */
const JITTER = 1.2;

/** Throws on a configuration client-go would refuse. */
export function validateLeaderElection(c: Required<Pick<LeaderElectionConfig, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>>): void {
  if (!(c.leaseDurationMs > c.renewDeadlineMs)) throw new Error(`the lease duration (${c.leaseDurationMs} ms) must be longer than the renew deadline (${c.renewDeadlineMs} ms)`);
  if (!(c.renewDeadlineMs > JITTER * c.retryPeriodMs)) throw new Error(`the renew deadline (${c.renewDeadlineMs} ms) must be longer than ${JITTER} × the retry period (${c.retryPeriodMs} ms)`);
  if (!(c.retryPeriodMs > 0)) throw new Error('the retry period must be positive');
  if (c.leaseDurationMs % 1000 !== 0) throw new Error(`the lease duration must be whole seconds (got ${c.leaseDurationMs} ms)`);
}

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  /** the Lease as last read or written, with when its spec last changed on our clock */
  private observed?: { lease: KubeObject; spec: string; atMs: number };
  private leading = false;
  private stopped = false;
  private readonly sleeper = new InterruptibleSleep();
  private running?: Promise<void>;
  private lastHolder?: string;
  private readonly now: () => number;

  constructor(
    private readonly client: KubeClient,
    config: LeaderElectionConfig,
    opts: { logger?: Logger; now?: () => number } = {},
  ) {
    this.identity = config.identity ?? defaultIdentity();
    this.namespace = config.namespace;
    this.name = config.name;
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    validateLeaderElection({ leaseDurationMs: this.leaseDurationMs, renewDeadlineMs: this.renewDeadlineMs, retryPeriodMs: this.retryPeriodMs });
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ lease: `${this.namespace}/${this.name}`, identity: this.identity });
    this.now = opts.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns in the background: acquire, then renew until stop() or the Lease is lost. */
  start(callbacks: LeaderCallbacks): void {
    if (this.running) return;
    this.running = this.run(callbacks).catch((err) => {
      this.log.error({ err: (err as Error).message }, 'leader election failed');
      if (this.leading) {
        this.leading = false;
        callbacks.onStoppedLeading();
      }
    });
  }

  /** Stops campaigning or renewing. The Lease is kept until release(). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.interrupt();
    await this.running;
  }

  /** Gives the Lease up if we hold it, so a standby takes over at once. Never throws. */
  async release(): Promise<void> {
    await this.stop();
    if (!this.leading || !this.observed) return;
    this.leading = false;
    const lease = structuredClone(this.observed.lease);
    lease.spec = releasedLease(lease.spec ?? {}, this.now());
    try {
      await this.client.updateObject(lease);
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the lease; it expires on its own');
    }
  }

  private async run(cb: LeaderCallbacks): Promise<void> {
    this.log.info('attempting to acquire the leader lease');
    while (!this.stopped && !(await this.tryAcquireOrRenew(cb))) {
      await this.pause(this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
    }
    if (this.stopped) return;
    this.leading = true;
    this.log.info('acquired the leader lease');
    // In the background, as client-go's: starting the controllers may take longer than the
    // lease lasts (caches to fill), and renewals must go on meanwhile.
    void Promise.resolve()
      .then(() => cb.onStartedLeading())
      .catch((err) => this.log.error({ err: (err as Error)?.message ?? String(err) }, 'starting to lead failed'));
    while (!this.stopped) {
      await this.pause(this.retryPeriodMs);
      if (this.stopped) return;
      if (!(await this.renewWithinDeadline(cb))) {
        if (this.stopped) return;
        this.leading = false;
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, 'leader lease lost: no renewal succeeded within the renew deadline');
        cb.onStoppedLeading();
        return;
      }
    }
  }

  /** Retries every retry period until one renewal succeeds or the renew deadline passes. */
  private async renewWithinDeadline(cb: LeaderCallbacks): Promise<boolean> {
    const deadline = this.now() + this.renewDeadlineMs;
    for (;;) {
      const left = deadline - this.now();
      if (left <= 0) return false;
      if (await this.tryAcquireOrRenew(cb, left)) return true;
      if (this.stopped) return true;
      // Someone else holds it: we lost it already, no need to wait out the deadline.
      if (this.lastHolder !== undefined && this.lastHolder !== this.identity) return false;
      await this.pause(Math.min(this.retryPeriodMs, deadline - this.now()));
    }
  }

  /** One read-decide-write round; false when someone else holds the Lease or the write failed. */
  private async tryAcquireOrRenew(cb: LeaderCallbacks, timeoutMs = this.renewDeadlineMs): Promise<boolean> {
    const path = await this.client.objectPath(LEASE_API_VERSION, LEASE_KIND, { namespace: this.namespace, name: this.name });
    try {
      // The leader writes over the Lease it last wrote (client-go's fast path); a conflict
      // means it changed, and the next round reads it.
      let lease: KubeObject | undefined = this.leading ? this.observed?.lease : undefined;
      if (!lease) {
        try {
          lease = await this.client.request<KubeObject>('GET', path, { timeoutMs });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          lease = undefined;
        }
      }
      if (lease) this.observe(lease, cb);
      const decision = decideLease({
        current: lease?.spec,
        observedAtMs: this.observed?.atMs ?? this.now(),
        identity: this.identity,
        nowMs: this.now(),
        leaseDurationSeconds: this.leaseDurationMs / 1000,
      });
      if (decision.action === 'wait') return false;
      let written: KubeObject;
      if (decision.action === 'create') {
        const body = { apiVersion: LEASE_API_VERSION, kind: LEASE_KIND, metadata: { namespace: this.namespace, name: this.name }, spec: decision.spec };
        const collection = path.slice(0, path.lastIndexOf('/'));
        written = await this.client.request<KubeObject>('POST', collection, { body, timeoutMs });
      } else {
        const body = { ...lease!, spec: decision.spec };
        written = await this.client.request<KubeObject>('PUT', path, { body, timeoutMs });
      }
      written.apiVersion ??= LEASE_API_VERSION;
      written.kind ??= LEASE_KIND;
      this.observe(written, cb);
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        // Someone else wrote first; read it again next round.
        if (this.leading) this.observed = undefined;
        return false;
      }
      this.log.warn({ err: (err as Error).message }, 'leader lease request failed');
      return false;
    }
  }

  private observe(lease: KubeObject, cb: LeaderCallbacks): void {
    const spec = JSON.stringify(lease.spec ?? {});
    if (this.observed?.spec !== spec) this.observed = { lease, spec, atMs: this.now() };
    else this.observed.lease = lease;
    const holder = (lease.spec as LeaseSpec | undefined)?.holderIdentity ?? '';
    if (holder !== this.lastHolder) {
      this.lastHolder = holder;
      if (holder) {
        this.log.info({ holder }, 'new leader');
        cb.onNewLeader?.(holder);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return this.stopped ? Promise.resolve() : this.sleeper.sleep(ms);
  }
}
