// The pod printer: READY, STATUS and RESTARTS follow the rules of kube-apiserver's pod printer,
// which is what users compare against when they run `kubectl get pods` on a real cluster.

import type { KObject } from '../types.js';
import { type Cell, type Printer, type Rec, type RowCondition, ageColumn, ageOf, column, nameColumn, num, parseTime, rec, recs, str } from './fields.js';
import { humanDuration } from './duration.js';

export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
  ],
  cells: podCells,
  conditions: podConditions,
};

/** Mutable tally built while walking container statuses, mirroring the printer's locals. */
interface Tally {
  reason: string;
  ready: number;
  restarts: number;
  lastRestart: number | undefined;
}

function podCells(pod: KObject, now: number): Cell[] {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const tally = summarize(pod);
  const total = recs(spec.containers).length + recs(spec.initContainers).filter(isSidecar).length;
  return [
    str(pod.metadata?.name),
    `${tally.ready}/${total}`,
    tally.reason,
    restartsCell(tally, now),
    ageOf(pod, now),
    podIP(status),
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates(spec, status),
  ];
}

function summarize(pod: KObject): Tally {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const tally: Tally = { reason: initialReason(status), ready: 0, restarts: 0, lastRestart: undefined };
  const sidecars = walkInitContainers(spec, status, tally);
  // Once init is done, restarts of ordinary init containers no longer matter; sidecars still do.
  if (!sidecars.initializing || conditionTrue(status, 'Initialized')) {
    tally.restarts = sidecars.restarts;
    tally.lastRestart = sidecars.lastRestart;
    walkContainers(status, tally);
  }
  tally.reason = deletionReason(pod, status, tally.reason);
  return tally;
}

/** Pods are created with phase Pending, so a missing phase is shown the same way. */
function initialReason(status: Rec): string {
  let reason = str(status.reason) || str(status.phase) || 'Pending';
  const gated = recs(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated');
  if (gated) reason = 'SchedulingGated';
  return reason;
}

/** Sidecars are init containers with restartPolicy Always: they keep running and count as containers. */
function isSidecar(container: Rec | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

/**
 * Walks init container statuses in order until the first one that has not finished, which
 * decides the `Init:` status. Returns the sidecars' restart tally, kept apart because it
 * survives initialization while plain init containers' restarts do not.
 */
function walkInitContainers(spec: Rec, status: Rec, tally: Tally) {
  const specs = new Map(recs(spec.initContainers).map((c) => [str(c.name), c]));
  const initCount = recs(spec.initContainers).length;
  const sidecars = { initializing: false, restarts: 0, lastRestart: undefined as number | undefined };
  const statuses = recs(status.initContainerStatuses);
  for (let i = 0; i < statuses.length; i++) {
    const cs = statuses[i]!;
    const sidecar = isSidecar(specs.get(str(cs.name)));
    countRestarts(cs, tally);
    if (sidecar) {
      sidecars.restarts += num(cs.restartCount);
      sidecars.lastRestart = later(sidecars.lastRestart, lastFinished(cs));
    }
    const state = rec(cs.state);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) tally.ready++;
      continue;
    }
    sidecars.initializing = true;
    tally.reason = initReason(state, terminated, i, initCount);
    break;
  }
  return sidecars;
}

function initReason(state: Rec, terminated: Rec | undefined, index: number, initCount: number): string {
  if (terminated) return 'Init:' + (str(terminated.reason) || exitDescription(terminated));
  const waiting = str(rec(state.waiting).reason);
  // PodInitializing is the normal waiting reason, so progress is more useful to show.
  if (waiting && waiting !== 'PodInitializing') return 'Init:' + waiting;
  return `Init:${index}/${initCount}`;
}

function exitDescription(terminated: Rec): string {
  const signal = num(terminated.signal);
  return signal !== 0 ? `Signal:${signal}` : `ExitCode:${num(terminated.exitCode)}`;
}

/**
 * The printer walks containers last to first, so the first container's state wins the STATUS
 * column. A terminated `Completed` container with others still running is not a finished pod.
 */
function walkContainers(status: Rec, tally: Tally): void {
  let hasRunning = false;
  const statuses = recs(status.containerStatuses);
  for (let i = statuses.length - 1; i >= 0; i--) {
    const cs = statuses[i]!;
    countRestarts(cs, tally);
    const state = rec(cs.state);
    const waiting = str(rec(state.waiting).reason);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    if (waiting) tally.reason = waiting;
    else if (terminated) tally.reason = str(terminated.reason) || exitDescription(terminated);
    else if (cs.ready === true && state.running !== undefined) {
      hasRunning = true;
      tally.ready++;
    }
  }
  if (tally.reason === 'Completed' && hasRunning) {
    tally.reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }
}

function countRestarts(cs: Rec, tally: Tally): void {
  tally.restarts += num(cs.restartCount);
  tally.lastRestart = later(tally.lastRestart, lastFinished(cs));
}

function lastFinished(cs: Rec): number | undefined {
  return parseTime(rec(rec(cs.lastState).terminated).finishedAt);
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** A pod on an unreachable node cannot confirm termination, hence Unknown instead of Terminating. */
function deletionReason(pod: KObject, status: Rec, reason: string): string {
  if (!pod.metadata?.deletionTimestamp) return reason;
  if (status.reason === 'NodeLost') return 'Unknown';
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  return terminal ? reason : 'Terminating';
}

function restartsCell(tally: Tally, now: number): string {
  if (tally.restarts === 0 || tally.lastRestart === undefined) return String(tally.restarts);
  return `${tally.restarts} (${humanDuration(now - tally.lastRestart)} ago)`;
}

function conditionTrue(status: Rec, type: string): boolean {
  return recs(status.conditions).some((c) => c.type === type && c.status === 'True');
}

function podIP(status: Rec): string {
  const first = recs(status.podIPs)[0];
  return str(first?.ip) || str(status.podIP) || '<none>';
}

/** Counts gates whose condition is True; a gate without a condition is simply not ready. */
function readinessGates(spec: Rec, status: Rec): string {
  const gates = recs(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = recs(status.conditions);
  const ready = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${ready}/${gates.length}`;
}

function podConditions(pod: KObject): RowCondition[] | undefined {
  const phase = rec(pod.status).phase;
  if (phase === 'Succeeded') {
    return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  }
  if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return undefined;
}
