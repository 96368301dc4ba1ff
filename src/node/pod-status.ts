// The pod status kubelet would write, from what the agent knows about the pod's containers.
// Pure: the same pod, view and clock give the same status, so the agent can compare it with
// the stored status and write only a difference.
//
// Rules taken from kubelet (pkg/kubelet/kubelet_pods.go getPhase, pkg/kubelet/status):
// - phase: Pending while any container waits for its first start; Running while any runs or
//   will be restarted; Succeeded/Failed once all have terminated for good; never leaves a
//   terminal phase.
// - conditions kubelet owns: PodReadyToStartContainers, Initialized, Ready, ContainersReady,
//   PodScheduled. Ready needs ContainersReady and every readiness gate's condition True.
//   Conditions of other types (readiness gates, DisruptionTarget, ...) belong to controllers and
//   are kept as they are.
// - containerStatuses sorted by name; lastTransitionTime changes only with the status.

import { deepEqual } from '../util/equal.js';

type Json = Record<string, any>;

export interface TerminatedState {
  exitCode: number;
  reason: string;
  message?: string;
  signal?: number;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

export type ContainerState = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: TerminatedState };

/** What the agent knows about one container of the pod. */
export interface ContainerView {
  name: string;
  /** The image of the current (or last) container; the spec's image before the first start. */
  image: string;
  /** '' until an image has been resolved. */
  imageID: string;
  /** `<runtime>://<id>` of the current (or last) container. */
  containerID?: string;
  state: ContainerState;
  lastState?: TerminatedState;
  restartCount: number;
  ready: boolean;
  started: boolean;
  /** Init containers only: restartPolicy Always makes it a sidecar. */
  sidecar?: boolean;
}

export interface PodView {
  /** In spec order. */
  containers: ContainerView[];
  initContainers: ContainerView[];
  podIP?: string;
  hostIP: string;
  startTime: string;
  /** The sandbox (IP, pod directory) exists. */
  sandboxReady: boolean;
  /** Conditions of the node's own probes beyond kubelet's (service qualities): type, status, message. */
  probeConditions?: { type: string; status: string; message: string; lastProbeTime: string }[];
}

/** Condition types kubelet writes; all others are left to whoever wrote them. */
const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;

/**
 * kubelet's getPhase. `terminal`: the pod is being deleted and its containers are stopped for
 * good, so whatever the restart policy it ends Succeeded (all exited 0) or Failed.
 */
export function podPhase(restartPolicy: string, view: PodView, previous?: string, terminal = false): string {
  if (previous === 'Succeeded' || previous === 'Failed') return previous;
  if (terminal) {
    const allSucceeded = view.containers.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0);
    return allSucceeded ? 'Succeeded' : 'Failed';
  }
  const init = initProgress(view);
  if (init.failed && restartPolicy === 'Never') return 'Failed';
  if (!init.done) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of view.containers) {
    if ('running' in c.state) running++;
    else if ('terminated' in c.state) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Init containers run in order; a sidecar counts as done once started. */
function initProgress(view: PodView): { done: boolean; failed: boolean; incomplete: string[] } {
  const incomplete: string[] = [];
  let failed = false;
  for (const c of view.initContainers) {
    if (c.sidecar && c.started) continue;
    if ('terminated' in c.state && c.state.terminated.exitCode === 0 && !c.sidecar) continue;
    if ('terminated' in c.state && c.state.terminated.exitCode !== 0) failed = true;
    incomplete.push(c.name);
  }
  return { done: incomplete.length === 0, failed, incomplete };
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

/** `[a b]`: Go's %s of a string slice, which kubelet's condition messages use. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function readinessGateProblems(pod: Json, existing: Json[]): string[] {
  const problems: string[] = [];
  for (const gate of (pod.spec?.readinessGates ?? []) as Json[]) {
    const type = String(gate?.conditionType ?? '');
    const c = existing.find((x) => x?.type === type);
    if (!c) problems.push(`corresponding condition of pod readiness gate "${type}" does not exist.`);
    else if (c.status !== 'True') problems.push(`the status of pod readiness gate "${type}" is not "True", but ${c.status}`);
  }
  return problems;
}

function kubeletConditions(pod: Json, view: PodView, phase: string, existing: Json[]): Condition[] {
  const init = initProgress(view);
  const initialized: Condition = init.done
    ? { type: 'Initialized', status: 'True' }
    : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${goList(init.incomplete)}` };

  const unready = [...view.initContainers.filter((c) => c.sidecar && !c.ready), ...view.containers.filter((c) => !c.ready)].map((c) => c.name);
  let containersReady: Condition;
  if (phase === 'Succeeded') containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  else if (!init.done) containersReady = { type: 'ContainersReady', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${goList(init.incomplete)}` };
  else if (unready.length) containersReady = { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${goList(unready)}` };
  else containersReady = { type: 'ContainersReady', status: 'True' };

  let ready: Condition = { ...containersReady, type: 'Ready' };
  if (ready.status === 'True') {
    const problems = readinessGateProblems(pod, existing);
    if (problems.length) ready = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: problems.join(', ') };
  }
  const scheduled = existing.find((c) => c?.type === 'PodScheduled');
  return [
    { type: 'PodReadyToStartContainers', status: view.sandboxReady ? 'True' : 'False' },
    initialized,
    ready,
    containersReady,
    scheduled ? { type: 'PodScheduled', status: scheduled.status, reason: scheduled.reason, message: scheduled.message } : { type: 'PodScheduled', status: 'True' },
  ];
}

function withTimes(c: Condition, previous: Json | undefined, now: string, generation: number | undefined): Json {
  const out: Json = { type: c.type, status: c.status };
  if (generation !== undefined) out.observedGeneration = generation;
  out.lastProbeTime = null;
  out.lastTransitionTime = previous && previous.status === c.status && previous.lastTransitionTime ? previous.lastTransitionTime : now;
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  return out;
}

function containerStatus(c: ContainerView): Json {
  const out: Json = {
    name: c.name,
    state: c.state,
    lastState: c.lastState ? { terminated: c.lastState } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
  };
  if (c.containerID) out.containerID = c.containerID;
  out.started = c.started;
  return out;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The whole status kubelet would write for the pod now (`terminal`: see podPhase). */
export function podStatus(pod: Json, view: PodView, now: string, terminal = false): Json {
  const previous: Json = pod.status ?? {};
  const existing: Json[] = Array.isArray(previous.conditions) ? previous.conditions : [];
  const phase = podPhase(pod.spec?.restartPolicy ?? 'Always', view, previous.phase, terminal);
  const generation: number | undefined = typeof pod.metadata?.generation === 'number' ? pod.metadata.generation : undefined;
  const owned = new Set<string>([...KUBELET_CONDITIONS, ...(view.probeConditions ?? []).map((c) => c.type)]);
  const probed = (view.probeConditions ?? []).map((c) => {
    const prev = existing.find((x) => x?.type === c.type);
    return { ...c, lastTransitionTime: prev?.status === c.status && prev?.lastTransitionTime ? prev.lastTransitionTime : c.lastProbeTime };
  });
  const conditions = [
    ...kubeletConditions(pod, view, phase, existing).map((c) => withTimes(c, existing.find((x) => x?.type === c.type), now, c.type === 'PodScheduled' ? undefined : generation)),
    ...probed,
    ...existing.filter((c) => !owned.has(c?.type)),
  ];
  const status: Json = {};
  if (generation !== undefined) status.observedGeneration = generation;
  status.phase = phase;
  status.conditions = conditions;
  status.hostIP = view.hostIP;
  status.hostIPs = [{ ip: view.hostIP }];
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  status.startTime = previous.startTime ?? view.startTime;
  if (view.initContainers.length) status.initContainerStatuses = view.initContainers.map(containerStatus);
  status.containerStatuses = [...view.containers].sort(byName).map(containerStatus);
  if (previous.qosClass) status.qosClass = previous.qosClass;
  // Fields kubelet does not own (nominatedNodeName, resize, ...) survive its writes.
  for (const [k, v] of Object.entries(previous)) if (!(k in status) && !OWNED_FIELDS.has(k)) status[k] = v;
  return status;
}

const OWNED_FIELDS = new Set(['phase', 'conditions', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'message', 'reason', 'observedGeneration']);

/** Whether writing `next` would change the stored status. */
export function statusChanged(current: Json | undefined, next: Json): boolean {
  return !deepEqual(current ?? {}, next);
}
