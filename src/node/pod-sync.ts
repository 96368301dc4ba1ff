// The pods of one node: kubelet's pod workers. For each pod, `sync` compares the spec with what
// runs, starts what should run (container operations happen in the background and enqueue the
// pod again when they finish), and writes the status through pods/status when it changed.
// Every runtime error ends up in the pod's status; none escapes to crash the agent.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { deepEqual } from '../util/equal.js';
import { type BackoffPolicy, nextBackoff } from './backoff.js';
import { type ContainerAction, type ContainerRecord, containerView, newRecord, planContainer, seconds } from './container-plan.js';
import { EnvResolver, podHostname } from './container-env.js';
import { downwardFiles, syncDownwardDir } from './downward-volumes.js';
import { claimDirectory, claimVolumesOf, failedMountMessage, linkClaimDirectory, type ClaimVolume } from './claim-volumes.js';
import { containerField, errorCode, type EventRecorder, type KubeClient } from '../kube/index.js';
import type { PodIpAllocator } from './pod-ips.js';
import { type ContainerView, type PodView, type TerminatedState, podStatus, statusChanged } from './pod-status.js';
import { Prober } from './prober.js';
import type { PortForwardTarget } from './kubelet-portforward.js';
import { parseQualityProbes, QualityProber, type ProbeTarget } from '../util/quality-prober.js';
import { runtimeChoiceMessage, runtimeFor } from './runtimes.js';
import { type ContainerInfo, type ContainerRuntime, type ContainerSpec, ContainerStartError, type AttachSession, type ExecSession, type ExitInfo, ImagePullError, type PodContext, type ProbeSpec } from './runtime/types.js';
import { invalidImageMessage, parseImageReference } from '../util/image-reference.js';
import { rfc3339 } from '../util/time.js';
import { HOT_PATCH_ANNOTATION } from '../util/vocabulary.js';

type Json = Record<string, any>;

/** How long a status write waits for container operations that have just started. */
const STATUS_COALESCE_MS = 100;

/** How long shutdown waits for deletions under way. */
const SHUTDOWN_WAIT_MS = 3000;

/** How often a pod whose claims are not Bound looks again (kubelet's volume manager polls too). */
const CLAIM_RETRY_MS = 1000;

/** Kubelet's minimum grace when it kills the containers of a pod that was force-deleted. */
const FORCE_DELETE_GRACE_SECONDS = 2;

interface PodSyncOptions {
  client: KubeClient;
  nodeName: string;
  hostIP: string;
  /** The node supports hot-patch (label hotpod.dev/hot-patch). */
  hotPatch: boolean;
  /** `<data-dir>/nodes/<node>/pods`: one directory per pod uid. */
  podsDir: string;
  runtimes: ContainerRuntime[];
  ips: PodIpAllocator;
  events: EventRecorder;
  crashBackoff: BackoffPolicy;
  pullBackoff: BackoffPolicy;
  /** The node's allocatable resources (for env resourceFieldRef of unset limits). */
  allocatable: Record<string, string>;
  logger: Logger;
  /** The pod as the informer last saw it. */
  getPod(key: string): Json | undefined;
  enqueue(key: string): void;
  enqueueAt(key: string, at: number): void;
}

interface PodState {
  key: string;
  uid: string;
  ctx: PodContext;
  containers: Map<string, ContainerRecord>;
  initContainers: Map<string, ContainerRecord>;
  probers: Map<ContainerRecord, Prober>;
  ops: Set<Promise<void>>;
  startTime: string;
  /** The last pod object seen, for the teardown of a pod that vanished. */
  lastPod: Json;
  terminating?: Promise<void>;
  /** Something may be under ctx.podDir (volumes, or a runtime's files): remove it with the pod. */
  podDirUsed: boolean;
  /** The pod's downwardAPI volumes, and the error each last gave (reported once). */
  downward: { volume: Json; error?: string }[];
  /** The pod's persistentVolumeClaim volumes not yet linked to their volume's directory, and why (reported once). */
  claims: { pending: ClaimVolume[]; error?: string };
  /** Since when container operations have been in flight without a pause (Date.now()). */
  opsSince?: number;
  /** Our last status write and the resourceVersion it was based on. */
  lastWrite?: { baseRV: string; status: Json };
  /** The service-quality probes of the pod's annotation, running. */
  quality?: QualityProber;
}

/**
 * What a PUT on pods/status needs: the server takes only the status from it (and the
 * resourceVersion as a precondition), so the spec, most of a pod's bytes, stays home.
 */
function statusBody(pod: Json, status: Json): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, status };
}

/** A command through the runtime, its stdout kept, killed past its timeout (exit -1). */
async function runtimeExec(runtime: ContainerRuntime, id: string, command: string[], annotations: Record<string, string>, timeoutMs: number): Promise<{ exitCode: number; stdout: string }> {
  if (!runtime.exec) return { exitCode: 126, stdout: '' };
  const session = runtime.exec(id, command, { stdin: false, annotations });
  let stdout = '';
  session.stdout.on('data', (d: Buffer | string) => (stdout += String(d)));
  session.stderr.resume();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ exitCode: number }>((resolve) => (timer = setTimeout(() => (session.kill(), resolve({ exitCode: -1 })), timeoutMs)));
  const exit = await Promise.race([session.exit, timedOut]);
  clearTimeout(timer);
  // The last of the output arrives after the exit.
  await new Promise<void>((r) => setImmediate(r));
  return { exitCode: exit.exitCode, stdout };
}

export function podKey(pod: Json): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** How kubelet names a pod in messages: `name_namespace(uid)`. */
function podRef(pod: Json): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

function terminated(exit: ExitInfo, runtime: string, info: ContainerInfo): TerminatedState {
  const t: TerminatedState = { exitCode: exit.exitCode, reason: exit.reason, startedAt: seconds(info.startedAt), finishedAt: seconds(exit.finishedAt), containerID: `${runtime}://${info.id}` };
  if (exit.message) t.message = exit.message;
  if (exit.signal) t.signal = exit.signal;
  return t;
}

export class PodSync {
  private readonly states = new Map<string, PodState>();
  private readonly env: EnvResolver;

  constructor(private readonly o: PodSyncOptions) {
    this.env = new EnvResolver(o.client);
  }

  /** Number of pods this node is running (for tests and benchmarks). */
  get size(): number {
    return this.states.size;
  }

  /**
   * The log file of a pod's container: the current (or last) one, or with `previous` the one
   * its status shows as lastState, as kubelet's `kubectl logs --previous` does. null: the
   * container exists but its runtime keeps no log (simulated containers print nothing).
   */
  logPath(namespace: string, name: string, container: string, previous: boolean): string | null | undefined {
    const st = this.states.get(`${namespace}/${name}`);
    const rec = st?.containers.get(container) ?? st?.initContainers.get(container);
    if (!rec) return undefined;
    const v = containerView(rec, '');
    const id = previous ? v.lastState?.containerID : v.containerID;
    const [runtimeName, raw] = (id ?? '').split('://');
    const runtime = this.o.runtimes.find((r) => r.name === runtimeName);
    if (!runtime || !raw) return undefined;
    return runtime.logPath(raw) ?? null;
  }

  /**
   * Runs a command in the pod's running container (kubectl exec), or says why it cannot, with
   * kubelet's words.
   */
  exec(namespace: string, name: string, container: string, command: string[], stdin: boolean): ExecSession | string {
    const found = this.runningContainer(namespace, name, container);
    if (typeof found === 'string') return found;
    const { st, runtime, id } = found;
    if (!runtime.exec) return `the ${runtime.name} runtime cannot run commands in containers`;
    const annotations = this.o.getPod(st.key)?.metadata?.annotations ?? {};
    try {
      return runtime.exec(id, command, { stdin, annotations });
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** `kubectl attach`: the running container's main process, or why not. */
  attach(namespace: string, name: string, container: string, stdin: boolean): AttachSession | string {
    const found = this.runningContainer(namespace, name, container);
    if (typeof found === 'string') return found;
    if (!found.runtime.attach) return `container ${container} runs on the ${found.runtime.name} runtime, which has no process to attach to`;
    try {
      return found.runtime.attach(found.id, { stdin });
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** `kubectl port-forward`: the running pod's IP, where its containers listen. */
  portForwardTarget(namespace: string, name: string): PortForwardTarget | string {
    const st = this.states.get(`${namespace}/${name}`);
    if (!st || st.terminating) return `pod ${namespace}/${name} is not running on this node`;
    return { podIP: st.ctx.podIP, describe: `${namespace}/${name}, uid ${st.uid}` };
  }

  private runningContainer(namespace: string, name: string, container: string): { st: PodState; runtime: ContainerRuntime; id: string } | string {
    const st = this.states.get(`${namespace}/${name}`);
    const rec = st?.containers.get(container);
    if (!st || !rec) return `container ${container} is not valid for pod ${name}`;
    const v = containerView(rec, '');
    const [runtimeName, raw] = (v.containerID ?? '').split('://');
    const runtime = this.o.runtimes.find((r) => r.name === runtimeName);
    if (!('running' in (v.state ?? {})) || !runtime || !raw) return `container ${container} is not running`;
    return { st, runtime, id: raw };
  }

  async sync(key: string): Promise<void> {
    const pod = this.o.getPod(key);
    let st = this.states.get(key);
    if (st && (!pod || pod.metadata.uid !== st.uid)) {
      // Force-deleted, or replaced by a new pod of the same name.
      if (st.terminating) await st.terminating;
      else await this.teardown(st, FORCE_DELETE_GRACE_SECONDS);
      st = undefined;
    }
    if (!pod || pod.spec?.nodeName !== this.o.nodeName) return;
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!st) {
      if (finished) {
        // Finished before this agent started: nothing runs, only a deletion to confirm.
        if (pod.metadata.deletionTimestamp) await this.deletePod(pod);
        return;
      }
      st = await this.admit(pod);
    }
    st.lastPod = pod;
    if (pod.metadata.deletionTimestamp) {
      this.terminate(st);
      return;
    }
    if (st.terminating) return;
    st.ctx.annotations = { ...(pod.metadata.annotations ?? {}) };
    if (!finished && !(await this.mountClaims(st, pod))) {
      // No container starts before its volumes are there: the pod stays ContainerCreating.
      await this.writeStatus(st, pod);
      this.o.enqueueAt(key, Date.now() + CLAIM_RETRY_MS);
      return;
    }
    this.syncQualities(st, pod);
    await this.refreshDownward(st, pod);
    const opsBefore = st.ops.size;
    let wake = finished ? undefined : this.reconcile(st, pod);
    // Operations just started usually end within milliseconds and sync the pod again: write
    // the status then, once, unless they take longer than STATUS_COALESCE_MS. The first of two
    // containers started together ending is no reason to write: the second soon follows.
    const now = Date.now();
    const deferUntil = st.ops.size > opsBefore ? now + STATUS_COALESCE_MS : st.ops.size > 0 ? (st.opsSince ?? now) + STATUS_COALESCE_MS : now;
    if (deferUntil > now) {
      this.o.enqueueAt(key, wake === undefined ? deferUntil : Math.min(wake, deferUntil));
      return;
    }
    const readinessWake = await this.writeStatus(st, pod);
    if (readinessWake !== undefined) wake = wake === undefined ? readinessWake : Math.min(wake, readinessWake);
    if (wake !== undefined) this.o.enqueueAt(key, wake);
  }

  /** Stops every container of every pod (hotpod is shutting down); the pods stay in the API. */
  async shutdown(graceSeconds: number): Promise<void> {
    // Deletions under way finish first (their last requests are in flight), within reason.
    const terminating = [...this.states.values()].map((st) => st.terminating).filter(Boolean);
    if (terminating.length) await Promise.race([Promise.allSettled(terminating), new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS))]);
    await Promise.allSettled([...this.states.values()].map((st) => this.stopAll(st, graceSeconds)));
  }

  // ---- admission and teardown -------------------------------------------------------------

  private async admit(pod: Json): Promise<PodState> {
    const uid: string = pod.metadata.uid;
    const podDir = join(this.o.podsDir, uid);
    const volumes = (pod.spec?.volumes ?? []) as Json[];
    const downward = volumes.filter((v) => v?.downwardAPI).map((volume) => ({ volume }));
    const made = volumes.filter((v) => v?.emptyDir || v?.downwardAPI).map((v) => String(v.name));
    const claims = claimVolumesOf(pod);
    // Claim volumes are symlinks made once the claim is Bound (mountClaims).
    const volumeDirs = [...made, ...claims.map((c) => c.volume)];
    // The pod directory exists once something goes in it: its volumes here, or what a runtime
    // puts there (the process runtime's containers). A simulated pod needs none.
    for (const v of made) await mkdir(join(podDir, 'volumes', v), { recursive: true });
    const podIP = this.o.ips.allocate(uid, pod.status?.podIP);
    const st: PodState = {
      key: podKey(pod),
      uid,
      ctx: { uid, namespace: pod.metadata.namespace, name: pod.metadata.name, hostname: podHostname(pod), annotations: { ...(pod.metadata.annotations ?? {}) }, podDir, volumeDirs, podIP },
      containers: new Map(),
      initContainers: new Map(),
      probers: new Map(),
      ops: new Set(),
      startTime: pod.status?.startTime ?? rfc3339(),
      lastPod: pod,
      // A pod that ran before hotpod restarted may have left files.
      podDirUsed: volumeDirs.length > 0 || (pod.status?.containerStatuses ?? []).length > 0,
      downward,
      claims: { pending: claims },
    };
    this.adoptPreviousStatus(st, pod);
    this.states.set(st.key, st);
    return st;
  }

  /**
   * Links each claim volume to its volume's directory once the claim is Bound; false while one
   * waits, with a Warning FailedMount Event (once per distinct reason), as kubelet reports it.
   */
  private async mountClaims(st: PodState, pod: Json): Promise<boolean> {
    const { claims } = st;
    while (claims.pending.length) {
      const c = claims.pending[0]!;
      let reason: string;
      try {
        const found = await claimDirectory(this.o.client, pod.metadata.namespace, c.claimName);
        if ('path' in found) {
          await linkClaimDirectory(st.ctx.podDir, c.volume, found.path);
          claims.pending.shift();
          continue;
        }
        reason = found.waiting;
      } catch (err) {
        reason = (err as Error).message;
      }
      const message = failedMountMessage(claims.pending.map((p) => p.volume), reason);
      if (claims.error !== message) this.o.events.event(pod, 'Warning', 'FailedMount', message);
      claims.error = message;
      return false;
    }
    claims.error = undefined;
    return true;
  }

  /**
   * The downwardAPI volumes' files as the pod is now (kubelet rewrites them as its metadata
   * changes). A volume that cannot be written is a Warning Event, once per distinct error; its
   * other files and the pod go on.
   */
  private async refreshDownward(st: PodState, pod: Json): Promise<void> {
    for (const d of st.downward) {
      const node = { name: this.o.nodeName, hostIP: this.o.hostIP, podIP: st.ctx.podIP, allocatable: this.o.allocatable };
      try {
        await syncDownwardDir(join(st.ctx.podDir, 'volumes', String(d.volume.name)), downwardFiles(pod, d.volume, node));
        d.error = undefined;
      } catch (err) {
        const message = (err as Error).message;
        if (d.error !== message) this.o.events.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${d.volume.name}" : ${message}`);
        d.error = message;
      }
    }
  }

  /**
   * A pod that already has container statuses was running before this agent started (hotpod was
   * restarted on the same data). Its containers are gone, as after a node reboot: each counts
   * as exited with reason Unknown, and the restart policy decides what happens next.
   */
  private adoptPreviousStatus(st: PodState, pod: Json): void {
    const adopt = (statuses: Json[] | undefined, into: Map<string, ContainerRecord>) => {
      for (const cs of statuses ?? []) {
        if (typeof cs?.name !== 'string' || typeof cs.containerID !== 'string') continue;
        const rec = newRecord(cs.name);
        rec.restartCount = Number(cs.restartCount ?? 0);
        const [runtime, id] = cs.containerID.split('://');
        const startedAt = cs.state?.running?.startedAt ?? cs.state?.terminated?.startedAt ?? rfc3339();
        rec.current = { info: { id: id ?? '', name: cs.name, image: cs.image, imageID: cs.imageID ?? '', startedAt, command: '' }, runtime: runtime ?? '', specImage: cs.image };
        rec.exit = cs.state?.terminated ?? { exitCode: 255, reason: 'Unknown', startedAt, finishedAt: rfc3339(), containerID: cs.containerID };
        if (cs.lastState?.terminated) rec.lastTerminated = cs.lastState.terminated;
        into.set(cs.name, rec);
      }
    };
    adopt(pod.status?.containerStatuses, st.containers);
    adopt(pod.status?.initContainerStatuses, st.initContainers);
  }

  private async teardown(st: PodState, graceSeconds: number): Promise<void> {
    await Promise.allSettled([...st.ops]);
    await this.stopAll(st, graceSeconds);
    for (const r of this.o.runtimes) {
      try {
        await r.removePod?.(st.ctx);
      } catch (err) {
        this.o.logger.warn({ pod: st.key, runtime: r.name, err: String(err) }, 'runtime could not remove pod');
      }
    }
    this.o.ips.release(st.uid);
    if (st.podDirUsed) await rm(st.ctx.podDir, { recursive: true, force: true });
    if (this.states.get(st.key) === st) this.states.delete(st.key);
  }

  /** (Re)starts the service-quality probes when the pod's annotation names others than those running. */
  private syncQualities(st: PodState, pod: Json): void {
    const { key, probes } = parseQualityProbes(pod.metadata?.annotations);
    if ((st.quality?.key ?? '') === key) return;
    st.quality?.stop();
    st.quality = undefined;
    if (!probes.length) return;
    const annotations = () => this.o.getPod(st.key)?.metadata?.annotations ?? {};
    const lookup = (name: string | undefined): ProbeTarget | undefined => {
      const rec = name ? st.containers.get(name) : st.containers.values().next().value;
      if (!rec?.running || !rec.current) return undefined;
      const runtime = this.o.runtimes.find((r) => r.name === rec.current!.runtime);
      const id = rec.current.info.id;
      if (!runtime) return undefined;
      return {
        exec: (command, timeoutMs) => runtimeExec(runtime, id, command, annotations(), timeoutMs),
        check: (probe) => runtime.probe(id, probe as ProbeSpec, { ...st.ctx, annotations: annotations() }, 'readiness'),
      };
    };
    st.quality = new QualityProber(key, probes, lookup, () => this.o.enqueue(st.key));
    st.quality.start();
  }

  private async stopAll(st: PodState, graceSeconds: number): Promise<void> {
    st.quality?.stop();
    const records = [...st.initContainers.values(), ...st.containers.values()];
    await Promise.allSettled(records.map((rec) => this.stopContainer(st, st.lastPod, rec, graceSeconds)));
  }

  /** Graceful deletion: stop the containers, report them terminated, then let the API drop the pod. */
  private terminate(st: PodState): void {
    if (st.terminating) return;
    st.terminating = (async () => {
      await Promise.allSettled([...st.ops]);
      const pod = this.o.getPod(st.key) ?? st.lastPod;
      const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      await this.stopAll(st, grace);
      for (const rec of [...st.initContainers.values(), ...st.containers.values()]) if (rec.exit) rec.waiting = undefined;
      const fresh = this.o.getPod(st.key);
      if (fresh && fresh.metadata.uid === st.uid) {
        try {
          await this.writeStatus(st, fresh, true);
        } catch (err) {
          this.o.logger.warn({ pod: st.key, err: String(err) }, 'final pod status not written');
        }
        await this.deletePod(fresh);
      }
      await this.teardown(st, 0);
    })().catch((err) => {
      this.o.logger.error({ pod: st.key, err: String(err) }, 'pod termination failed');
      st.terminating = undefined;
      this.o.enqueueAt(st.key, Date.now() + 1000);
    });
  }

  private async deletePod(pod: Json): Promise<void> {
    try {
      await this.o.client.request(
        'DELETE',
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
        { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }, query: { gracePeriodSeconds: 0 }, ignoreAnswer: true },
      );
    } catch (err) {
      if (errorCode(err) !== 404 && errorCode(err) !== 409) throw err;
    }
  }

  // ---- reconcile ----------------------------------------------------------------------------

  /** Plans and starts the container operations the spec asks for; returns when to look again. */
  private reconcile(st: PodState, pod: Json): number | undefined {
    let wake: number | undefined;
    const note = (at: number | undefined) => {
      if (at !== undefined) wake = wake === undefined ? at : Math.min(wake, at);
    };
    const policy: string = pod.spec?.restartPolicy ?? 'Always';
    // Init containers run one after the other; a sidecar (restartPolicy Always) only has to start.
    for (const spec of (pod.spec?.initContainers ?? []) as Json[]) {
      const rec = this.record(st.initContainers, spec.name);
      const sidecar = spec.restartPolicy === 'Always';
      const action = this.plan(st, pod, spec, rec, sidecar ? 'Always' : policy === 'Never' ? 'Never' : 'OnFailure');
      note(this.apply(st, pod, spec, rec, action, true));
      const done = sidecar ? rec.running && rec.started : !rec.running && rec.exit?.exitCode === 0;
      if (!done) return wake;
    }
    for (const spec of (pod.spec?.containers ?? []) as Json[]) {
      const rec = this.record(st.containers, spec.name);
      note(this.apply(st, pod, spec, rec, this.plan(st, pod, spec, rec, policy), false));
    }
    return wake;
  }

  private record(map: Map<string, ContainerRecord>, name: string): ContainerRecord {
    let rec = map.get(name);
    if (!rec) map.set(name, (rec = newRecord(name)));
    return rec;
  }

  private plan(st: PodState, pod: Json, spec: Json, rec: ContainerRecord, restartPolicy: string): ContainerAction {
    const wantsHotPatch = pod.metadata.annotations?.[HOT_PATCH_ANNOTATION] === 'true' && this.o.hotPatch;
    // Hot-patch keeps the process, so the new image must run on the runtime that runs it (only
    // asked when the image changed: finding an image's runtime reads the image store).
    const cur = rec.current;
    const hotPatch = wantsHotPatch && cur !== undefined && cur.specImage !== spec.image && runtimeFor(this.o.runtimes, spec.image)?.name === cur.runtime;
    return planContainer({
      image: spec.image,
      restartPolicy,
      hotPatch,
      record: rec,
      now: Date.now(),
      crashBackoff: this.o.crashBackoff,
      pullBackoff: this.o.pullBackoff,
      podRef: podRef(pod),
    });
  }

  private apply(st: PodState, pod: Json, spec: Json, rec: ContainerRecord, action: ContainerAction, init: boolean): number | undefined {
    const field = containerField(spec.name, init);
    switch (action.kind) {
      case 'none':
        if (action.waiting && action.waiting.reason !== rec.waiting?.reason) {
          if (action.waiting.reason === 'CrashLoopBackOff') this.o.events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${podRef(pod)}`, { fieldPath: field });
          if (action.waiting.reason === 'ImagePullBackOff') {
            this.o.events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${spec.image}"`, { fieldPath: field });
            this.o.events.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', { fieldPath: field });
          }
        }
        if (action.waiting) rec.waiting = action.waiting;
        return action.wakeAt;
      case 'start':
        this.op(st, rec, () => this.startContainer(st, pod, spec, rec, action.afterExit, init));
        return undefined;
      case 'restart':
        this.op(st, rec, async () => {
          const why = action.why === 'image' ? `Container ${spec.name} definition changed, will be restarted` : `Container ${spec.name} failed liveness probe, will be restarted`;
          await this.stopContainer(st, pod, rec, Number(pod.spec?.terminationGracePeriodSeconds ?? 30), why);
          await this.startContainer(st, pod, spec, rec, action.why === 'liveness', init);
        });
        return undefined;
      case 'hotPatch':
        this.op(st, rec, () => this.hotPatchContainer(st, pod, spec, rec, init));
        return undefined;
    }
  }

  /** Runs a container operation in the background; the pod is synced again when it ends. */
  private op(st: PodState, rec: ContainerRecord, fn: () => Promise<void>): void {
    rec.busy = true;
    const p: Promise<void> = fn()
      .catch((err) => {
        this.o.logger.error({ pod: st.key, container: rec.name, err: err instanceof Error ? err.stack : String(err) }, 'container operation failed');
        if (!rec.running) {
          rec.waiting = { reason: 'RunContainerError', message: err instanceof Error ? err.message : String(err) };
          rec.crashBackoff = nextBackoff(rec.crashBackoff, Date.now(), this.o.crashBackoff);
        }
      })
      .finally(() => {
        rec.busy = false;
        st.ops.delete(p);
        if (st.ops.size === 0) st.opsSince = undefined;
        this.o.enqueue(st.key);
      });
    if (st.ops.size === 0) st.opsSince = Date.now();
    st.ops.add(p);
  }

  // ---- container operations ---------------------------------------------------------------

  private async startContainer(st: PodState, pod: Json, spec: Json, rec: ContainerRecord, afterExit: boolean, init: boolean): Promise<void> {
    const image: string = spec.image;
    const field = containerField(spec.name, init);
    if (!parseImageReference(image)) {
      rec.waiting = { reason: 'InvalidImageName', message: invalidImageMessage(image) };
      rec.failedImage = image;
      this.o.events.event(pod, 'Warning', 'InspectFailed', invalidImageMessage(image), { fieldPath: field });
      this.o.events.event(pod, 'Warning', 'Failed', 'Error: InvalidImageName', { fieldPath: field });
      return;
    }
    const runtime = runtimeFor(this.o.runtimes, image);
    if (!runtime) {
      rec.waiting = { reason: 'ErrImagePull', message: `no runtime on node ${this.o.nodeName} can run image "${image}"` };
      rec.failedImage = image;
      rec.pullBackoff = nextBackoff(rec.pullBackoff, Date.now(), this.o.pullBackoff);
      return;
    }
    const announce = `${image} ${runtime.name}`;
    if (rec.runtimeAnnounced !== announce) {
      rec.runtimeAnnounced = announce;
      this.o.events.event(pod, 'Normal', 'RuntimeSelected', runtimeChoiceMessage(this.o.runtimes, runtime, image), { fieldPath: field });
    }
    try {
      await runtime.pull(image);
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      rec.waiting = { reason: 'ErrImagePull', message: err.message };
      rec.failedImage = image;
      rec.pullBackoff = nextBackoff(rec.pullBackoff, Date.now(), this.o.pullBackoff);
      this.o.events.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${err.message}`, { fieldPath: field });
      this.o.events.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', { fieldPath: field });
      return;
    }
    rec.failedImage = undefined;
    this.o.events.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, { fieldPath: field });
    if (afterExit) rec.crashBackoff = nextBackoff(rec.crashBackoff, Date.now(), this.o.crashBackoff);
    const hadInstance = rec.current !== undefined || rec.exit !== undefined;

    // The container may exit before start() has returned its ID; hold that exit until then.
    let started: ContainerInfo | undefined;
    let earlyExit: ExitInfo | undefined;
    const onExit = (exit: ExitInfo) => {
      if (started) this.onExit(st, rec, runtime.name, started.id, exit);
      else earlyExit = exit;
    };
    let info: ContainerInfo;
    try {
      const env = await this.env.resolve(spec, pod, { name: this.o.nodeName, hostIP: this.o.hostIP, podIP: st.ctx.podIP, allocatable: this.o.allocatable });
      const resolved = { ...(structuredClone(spec) as ContainerSpec), env, envFrom: undefined } as ContainerSpec;
      if (runtime.writesPodDir) st.podDirUsed = true;
      info = await runtime.start(st.ctx, resolved, onExit);
    } catch (err) {
      const reason = err instanceof ContainerStartError ? err.reason : 'RunContainerError';
      const message = err instanceof Error ? err.message : String(err);
      if (reason === 'CreateContainerError' || reason === 'CreateContainerConfigError') {
        // Nothing was created: kubelet retries after a back-off, showing the reason meanwhile.
        rec.waiting = { reason, message };
        rec.crashBackoff = nextBackoff(rec.crashBackoff, Date.now(), this.o.crashBackoff);
        this.o.events.event(pod, 'Warning', 'Failed', `Error: ${message}`, { fieldPath: field });
        return;
      }
      // Created but could not start (e.g. the command does not exist): kubelet records an
      // instance that exited with 128, and restarts it under the crash back-off.
      if (hadInstance) {
        rec.lastTerminated = rec.exit ?? rec.lastTerminated;
        rec.restartCount++;
      }
      const now = rfc3339();
      rec.exit = { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: now };
      rec.running = false;
      rec.waiting = undefined;
      this.o.events.event(pod, 'Warning', 'Failed', `Error: ${message}`, { fieldPath: field });
      return;
    }
    if (hadInstance) {
      rec.lastTerminated = rec.exit ?? rec.lastTerminated;
      rec.restartCount++;
    }
    rec.current = { info, runtime: runtime.name, specImage: image };
    rec.running = true;
    rec.exit = undefined;
    rec.waiting = undefined;
    rec.ready = false;
    rec.started = false;
    rec.livenessFailed = false;
    started = info;
    this.o.events.event(pod, 'Normal', 'Created', `Created container: ${spec.name}`, { fieldPath: field });
    this.o.events.event(pod, 'Normal', 'Started', `Started container ${spec.name}`, { fieldPath: field });
    this.startProber(st, rec, runtime, info.id, spec);
    if (earlyExit) this.onExit(st, rec, runtime.name, info.id, earlyExit);
  }

  private onExit(st: PodState, rec: ContainerRecord, runtime: string, id: string, exit: ExitInfo): void {
    const cur = rec.current;
    if (!cur || cur.info.id !== id || cur.runtime !== runtime || !rec.running) return;
    this.stopProber(st, rec);
    rec.running = false;
    rec.ready = false;
    rec.exit = terminated(exit, runtime, cur.info);
    this.o.enqueue(st.key);
  }

  private async stopContainer(st: PodState, pod: Json, rec: ContainerRecord, graceSeconds: number, message?: string): Promise<void> {
    const cur = rec.current;
    if (!cur || !rec.running) return;
    this.stopProber(st, rec);
    this.o.events.event(pod, 'Normal', 'Killing', message ?? `Stopping container ${rec.name}`, { fieldPath: containerField(rec.name, st.initContainers.get(rec.name) === rec) });
    const runtime = this.o.runtimes.find((r) => r.name === cur.runtime);
    let exit: ExitInfo;
    try {
      if (!runtime) throw new Error(`runtime ${cur.runtime} is gone`);
      exit = await runtime.stop(cur.info.id, graceSeconds);
    } catch (err) {
      this.o.logger.warn({ pod: st.key, container: rec.name, err: String(err) }, 'container stop failed');
      exit = { exitCode: 137, reason: 'Error', finishedAt: rfc3339() };
    }
    if (rec.current === cur && rec.running) {
      rec.running = false;
      rec.ready = false;
      rec.exit = terminated(exit, cur.runtime, cur.info);
    }
  }

  private async hotPatchContainer(st: PodState, pod: Json, spec: Json, rec: ContainerRecord, init: boolean): Promise<void> {
    const cur = rec.current!;
    const image: string = spec.image;
    const field = containerField(spec.name, init);
    const runtime = this.o.runtimes.find((r) => r.name === cur.runtime)!;
    const failed = (message: string) => {
      // The old image keeps running; the patch is retried after the pull back-off.
      rec.failedImage = image;
      rec.pullBackoff = nextBackoff(rec.pullBackoff, Date.now(), this.o.pullBackoff);
      this.o.events.event(pod, 'Warning', 'Failed', message, { fieldPath: field });
    };
    if (!parseImageReference(image)) return failed(invalidImageMessage(image));
    try {
      await runtime.pull(image);
      const info = await runtime.hotPatch(cur.info.id, image, st.ctx);
      if (rec.current === cur) rec.current = { ...cur, info, specImage: image };
      rec.failedImage = undefined;
      this.o.events.event(pod, 'Normal', 'HotPatched', `Container ${spec.name} hot-patched to image "${image}" without restart`, { fieldPath: field });
    } catch (err) {
      const message = err instanceof ImagePullError ? `Failed to pull image "${image}": ${err.message}` : `Failed to hot-patch container ${spec.name}: ${err instanceof Error ? err.message : String(err)}`;
      failed(message);
    }
  }

  private startProber(st: PodState, rec: ContainerRecord, runtime: ContainerRuntime, id: string, spec: Json): void {
    const prober = new Prober(runtime, id, spec as ContainerSpec, st.ctx, (change) => {
      if (rec.current?.info.id !== id || !rec.running) return;
      if (change.started !== undefined) rec.started = change.started;
      if (change.ready !== undefined) rec.ready = change.ready;
      if (change.failed) {
        rec.livenessFailed = true;
        this.o.events.event(st.lastPod, 'Warning', 'Unhealthy', `${change.failed === 'startup' ? 'Startup' : 'Liveness'} probe failed`, { fieldPath: containerField(rec.name) });
      }
      this.o.enqueue(st.key);
    });
    st.probers.set(rec, prober);
    prober.start();
  }

  private stopProber(st: PodState, rec: ContainerRecord): void {
    st.probers.get(rec)?.stop();
    st.probers.delete(rec);
  }

  // ---- status -------------------------------------------------------------------------------

  /** The pod as its records read, and when a probe-less readiness may change. */
  private view(st: PodState, pod: Json, terminal: boolean): { view: PodView; wake?: number } {
    let wake: number | undefined;
    const one = (spec: Json, map: Map<string, ContainerRecord>, init: boolean): ContainerView => {
      const rec = map.get(spec.name) ?? newRecord(spec.name);
      const v = containerView(rec, spec.image);
      if (init) v.sidecar = spec.restartPolicy === 'Always';
      if (v.started && !spec.readinessProbe && rec.current) {
        const runtime = this.o.runtimes.find((r) => r.name === rec.current!.runtime);
        const r = runtime?.readinessWithoutProbe?.(rec.current.info.id) ?? { ready: true };
        v.ready = r.ready;
        if (r.recheckInMs !== undefined) {
          const at = Date.now() + r.recheckInMs;
          wake = wake === undefined ? at : Math.min(wake, at);
        }
      }
      if (terminal && 'waiting' in v.state) {
        // Never ran, or waited for a restart that will not come: kubelet reports these so.
        v.state = v.lastState
          ? { terminated: v.lastState }
          : { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: st.startTime, finishedAt: rfc3339() } };
      }
      return v;
    };
    const view: PodView = {
      containers: ((pod.spec?.containers ?? []) as Json[]).map((c) => one(c, st.containers, false)),
      initContainers: ((pod.spec?.initContainers ?? []) as Json[]).map((c) => one(c, st.initContainers, true)),
      podIP: st.ctx.podIP,
      hostIP: this.o.hostIP,
      startTime: st.startTime,
      sandboxReady: !terminal,
    };
    if (st.quality?.results.size && !terminal) {
      view.probeConditions = [...st.quality.results].map(([name, r]) => ({ type: `game.kruise.io/${name}`, status: r.status, message: r.message, lastProbeTime: r.lastProbeTime }));
    }
    return { view, wake };
  }

  /** Writes the status when it changed; returns when a probe-less readiness should be re-read. */
  private async writeStatus(st: PodState, pod: Json, terminal = false): Promise<number | undefined> {
    const { view, wake } = this.view(st, pod, terminal);
    const status = podStatus(pod, view, rfc3339(), terminal);
    // Our own write may not have reached the informer yet.
    if (st.lastWrite && st.lastWrite.baseRV === pod.metadata.resourceVersion && deepEqual(st.lastWrite.status, status)) return wake;
    if (!statusChanged(pod.status, status)) return wake;
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
    try {
      await this.o.client.request('PUT', path, { body: statusBody(pod, status), ignoreAnswer: true });
      st.lastWrite = { baseRV: pod.metadata.resourceVersion, status };
    } catch (err) {
      if (errorCode(err) === 404) return undefined;
      if (errorCode(err) !== 409) throw err;
      // Someone else wrote the pod since the informer saw it: redo the status on the new one,
      // keeping what they wrote (readiness-gate conditions, for instance).
      const fresh: Json = await this.o.client.request('GET', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`);
      if (fresh.metadata.uid !== st.uid) return undefined;
      const again = podStatus(fresh, this.view(st, fresh, terminal).view, rfc3339(), terminal);
      if (!statusChanged(fresh.status, again)) return wake;
      await this.o.client.request('PUT', path, { body: statusBody(fresh, again), ignoreAnswer: true });
      st.lastWrite = { baseRV: fresh.metadata.resourceVersion, status: again };
    }
    return wake;
  }
}
