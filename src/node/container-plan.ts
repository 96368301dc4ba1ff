// What the agent remembers about each container of a pod, what it should do next (pure), and
// how that memory reads as a container status (pure). The agent compares the pod spec with
// this record on every sync, so a missed event never matters: the next sync acts on the
// difference.

import { type BackoffEntry, type BackoffPolicy, backoffUntil } from './backoff.js';
import { goDuration } from '../util/duration.js';
import type { ContainerInfo } from './runtime/types.js';
import type { ContainerState, ContainerView, TerminatedState } from './pod-status.js';
import { rfc3339 } from '../util/time.js';

export interface ContainerRecord {
  name: string;
  /** The current or last container instance. */
  current?: {
    info: ContainerInfo;
    /** Name of the runtime that runs it. */
    runtime: string;
    /** The spec image it runs: the one it started with, or the last hot-patched one. */
    specImage: string;
  };
  running: boolean;
  /** How the current instance ended, once it has. */
  exit?: TerminatedState;
  /** How the instance before the current one ended. */
  lastTerminated?: TerminatedState;
  /** Why no instance runs (or why the next one is not started yet). */
  waiting?: { reason: string; message?: string };
  /** The image a pull (or an invalid reference) failed for: retried early when the spec changes. */
  failedImage?: string;
  restartCount: number;
  ready: boolean;
  started: boolean;
  livenessFailed: boolean;
  crashBackoff?: BackoffEntry;
  pullBackoff?: BackoffEntry;
  /** An operation (start, stop, hot-patch) is in flight. */
  busy: boolean;
  /** `<image> <runtime>` of the last RuntimeSelected event, so restarts do not repeat it. */
  runtimeAnnounced?: string;
}

export function newRecord(name: string): ContainerRecord {
  return { name, running: false, restartCount: 0, ready: false, started: false, livenessFailed: false, busy: false };
}

export type ContainerAction =
  | { kind: 'none'; wakeAt?: number; waiting?: { reason: string; message?: string } }
  /** Start an instance: the first, or the next after an exit. */
  | { kind: 'start'; afterExit: boolean }
  /** Stop the running instance, then start a new one. */
  | { kind: 'restart'; why: 'image' | 'liveness' }
  /** Swap the running instance's image without restarting it. */
  | { kind: 'hotPatch' };

export interface PlanInput {
  image: string;
  restartPolicy: string;
  /** The pod asks for hot-patch, the node supports it and the same runtime runs the new image. */
  hotPatch: boolean;
  record: ContainerRecord;
  now: number;
  crashBackoff: BackoffPolicy;
  pullBackoff: BackoffPolicy;
  /** `name_namespace(uid)`, as kubelet names pods in messages. */
  podRef: string;
}

const ms = (time: string) => Date.parse(time);

/** Failures where nothing ran: retried once the crash back-off since the attempt is over. */
const RETRIED_AFTER_BACKOFF = new Set(['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError']);

/** Kubernetes times have whole seconds; runtimes may report milliseconds. */
export function seconds(time: string): string {
  const t = Date.parse(time);
  return Number.isNaN(t) ? time : rfc3339(t);
}

/** The next step for one container. Pure. */
export function planContainer(p: PlanInput): ContainerAction {
  const r = p.record;
  if (r.busy) return { kind: 'none' };

  if (r.running && r.current) {
    if (r.livenessFailed) return { kind: 'restart', why: 'liveness' };
    if (r.current.specImage === p.image) return { kind: 'none' };
    if (p.hotPatch) {
      // A hot-patch whose image could not be pulled waits out the pull back-off, still running.
      const until = r.failedImage === p.image ? backoffUntil(r.pullBackoff, r.pullBackoff?.lastUpdate ?? 0, p.now, p.pullBackoff) : undefined;
      return until ? { kind: 'none', wakeAt: until } : { kind: 'hotPatch' };
    }
    return { kind: 'restart', why: 'image' };
  }

  const waiting = r.waiting;
  if (waiting && r.failedImage !== undefined && r.failedImage === p.image) {
    if (waiting.reason === 'InvalidImageName') return { kind: 'none' };
    if (waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff') {
      const since = r.pullBackoff?.lastUpdate ?? 0;
      const until = backoffUntil(r.pullBackoff, since, p.now, p.pullBackoff);
      if (until !== undefined) {
        // ErrImagePull shows for the first half of the wait, ImagePullBackOff for the rest, as
        // a kubelet that resyncs during the back-off reports them.
        const flip = since + Math.floor((until - since) / 2);
        if (waiting.reason === 'ErrImagePull' && p.now < flip) return { kind: 'none', wakeAt: flip };
        return { kind: 'none', wakeAt: until, waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${p.image}"` } };
      }
      return { kind: 'start', afterExit: Boolean(r.exit) };
    }
  }

  if (r.exit) {
    const restarts = p.restartPolicy === 'Always' || (p.restartPolicy === 'OnFailure' && r.exit.exitCode !== 0);
    if (!restarts) return { kind: 'none' };
    if (waiting && RETRIED_AFTER_BACKOFF.has(waiting.reason)) {
      const until = backoffUntil(r.crashBackoff, r.crashBackoff?.lastUpdate ?? 0, p.now, p.crashBackoff);
      if (until !== undefined) return { kind: 'none', wakeAt: until };
    }
    const until = backoffUntil(r.crashBackoff, ms(r.exit.finishedAt), p.now, p.crashBackoff);
    if (until !== undefined) {
      const delay = r.crashBackoff!.delayMs;
      return {
        kind: 'none',
        wakeAt: until,
        waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(delay)} restarting failed container=${r.name} pod=${p.podRef}` },
      };
    }
    return { kind: 'start', afterExit: true };
  }

  if (waiting && RETRIED_AFTER_BACKOFF.has(waiting.reason)) {
    const until = backoffUntil(r.crashBackoff, r.crashBackoff?.lastUpdate ?? 0, p.now, p.crashBackoff);
    if (until !== undefined) return { kind: 'none', wakeAt: until };
  }
  return { kind: 'start', afterExit: false };
}

/** How the record reads as a container status. Pure. */
export function containerView(r: ContainerRecord, specImage: string): ContainerView {
  const containerID = r.current ? `${r.current.runtime}://${r.current.info.id}` : undefined;
  let state: ContainerState;
  let lastState: TerminatedState | undefined;
  if (r.running && r.current) {
    state = { running: { startedAt: seconds(r.current.info.startedAt) } };
    lastState = r.lastTerminated;
  } else if (r.exit) {
    if (r.waiting) {
      state = { waiting: r.waiting };
      lastState = r.exit;
    } else {
      state = { terminated: r.exit };
      lastState = r.lastTerminated;
    }
  } else {
    state = { waiting: r.waiting ?? { reason: 'ContainerCreating' } };
    lastState = r.lastTerminated;
  }
  return {
    name: r.name,
    image: r.current?.info.image ?? specImage,
    imageID: r.current?.info.imageID ?? '',
    containerID,
    state,
    lastState,
    restartCount: r.restartCount,
    ready: r.running && r.ready,
    started: r.running && r.started,
  };
}
