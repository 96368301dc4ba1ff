// The simulated runtime: containers without processes whose life cycle is data (KWOK's idea).
// Every behaviour comes from pod annotations, with node-level defaults, and is deterministic:
// the same pod on the same node gives the same container IDs, delays and exits.
//
// Annotations (the `.<container>` form wins over the pod-wide one, which wins over the node's
// default):
//   sim.hotpod.dev/start-delay-ms[.<c>]          time from start to running (default 0)
//   sim.hotpod.dev/ready-delay-ms[.<c>]          time from running to ready (default 0)
//   sim.hotpod.dev/never-ready[.<c>]: "true"     readiness never passes
//   sim.hotpod.dev/crash-after-ms[.<c>]          the container exits this long after it starts
//   sim.hotpod.dev/exit-code[.<c>]               its exit code (default 1; 0 means Completed)
//   sim.hotpod.dev/crash-times[.<c>]             only the first N instances exit (default: all)
//   sim.hotpod.dev/liveness-fail-after-ms[.<c>]  the liveness probe fails from then on
//   sim.hotpod.dev/stop-delay-ms[.<c>]           time the container takes to exit after SIGTERM
//                                                (default 0); past the grace period it is killed
//   sim.hotpod.dev/exec[.<c>]                    what a command run in the container (kubectl
//                                                exec, an exec probe) answers, read when it runs:
//                                                JSON {"stdout","stderr","exitCode"} for every
//                                                command, or {"<command line>": {...}, "*": {...}}
//
// Images: any syntactically valid reference can be pulled, except those of the reserved
// registry `missing.hotpod.dev/...`, which fail like an image that does not exist (ErrImagePull).
// The image ID is the sha256 of the reference, so a new tag gives a new imageID. Invalid
// references never get here: the agent reports InvalidImageName first, as kubelet does.

import { createHash } from 'node:crypto';
import { parseImageReference, repositoryOf } from '../../util/image-reference.js';
import { PassThrough } from 'node:stream';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, ExecOptions, ExecSession, ExitInfo, PodContext, ProbeKind, ProbeSpec } from './types.js';
import { ImagePullError } from './types.js';
import { rfc3339 } from '../../util/time.js';

const SIM_ANNOTATION_PREFIX = 'sim.hotpod.dev/';
/** Images under this registry cannot be pulled. */
const MISSING_REGISTRY = 'missing.hotpod.dev';

export interface SimBehaviour {
  startDelayMs: number;
  readyDelayMs: number;
  neverReady: boolean;
  crashAfterMs?: number;
  exitCode: number;
  crashTimes?: number;
  livenessFailAfterMs?: number;
  stopDelayMs: number;
}

const DEFAULT_SIM_BEHAVIOUR: SimBehaviour = { startDelayMs: 0, readyDelayMs: 0, neverReady: false, exitCode: 1, stopDelayMs: 0 };

interface SimulatedRuntimeOptions {
  /** Makes container IDs differ between nodes. */
  node: string;
  /**
   * Makes them differ between runs of hotpod too (a boot ID): a container started after a
   * restart must not get the ID its predecessor had. Same salt, same IDs.
   */
  salt?: string;
  defaults?: Partial<SimBehaviour>;
}

/** The behaviour of one container: its annotations over the node's defaults. Pure. */
export function simBehaviour(annotations: Record<string, string>, container: string, defaults: Partial<SimBehaviour> = {}): SimBehaviour {
  const read = (key: string): string | undefined => annotations[`${SIM_ANNOTATION_PREFIX}${key}.${container}`] ?? annotations[`${SIM_ANNOTATION_PREFIX}${key}`];
  const num = (key: string): number | undefined => {
    const v = read(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const base = { ...DEFAULT_SIM_BEHAVIOUR, ...defaults };
  const neverReady = read('never-ready');
  return {
    startDelayMs: num('start-delay-ms') ?? base.startDelayMs,
    readyDelayMs: num('ready-delay-ms') ?? base.readyDelayMs,
    neverReady: neverReady === undefined ? base.neverReady : neverReady === 'true',
    crashAfterMs: num('crash-after-ms') ?? base.crashAfterMs,
    exitCode: num('exit-code') ?? base.exitCode,
    crashTimes: num('crash-times') ?? base.crashTimes,
    livenessFailAfterMs: num('liveness-fail-after-ms') ?? base.livenessFailAfterMs,
    stopDelayMs: num('stop-delay-ms') ?? base.stopDelayMs,
  };
}

/** `docker-pullable://docker.io/library/nginx@sha256:<sha256 of the reference>`: the contract's form. */
export function simulatedImageId(image: string): string {
  let id = imageIds.get(image);
  if (id === undefined) {
    const ref = parseImageReference(image);
    const repo = ref ? repositoryOf(ref) : image;
    const digest = ref?.digest ?? `sha256:${createHash('sha256').update(image).digest('hex')}`;
    id = `docker-pullable://${repo}@${digest}`;
    // Every container start asks (twice): a few images serve thousands of pods.
    if (imageIds.size >= 1000) imageIds.clear();
    imageIds.set(image, id);
  }
  return id;
}

const imageIds = new Map<string, string>();

interface SimContainer {
  info: ContainerInfo;
  podUid: string;
  behaviour: SimBehaviour;
  startedAtMs: number;
  exit?: ExitInfo;
  onExit: (exit: ExitInfo) => void;
  timer?: NodeJS.Timeout;
  stopping?: Promise<ExitInfo>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SimulatedRuntime implements ContainerRuntime {
  readonly name = 'simulated';
  private readonly containers = new Map<string, SimContainer>();
  /** Instances started so far per pod uid and container name, for IDs and crash-times. */
  private readonly instances = new Map<string, number>();
  /** Per pod uid: its containers' ids and the names in `instances`, so no pod scans them all. */
  private readonly byPod = new Map<string, { ids: Set<string>; names: Set<string> }>();

  constructor(private readonly opts: SimulatedRuntimeOptions) {}

  canRun(_image: string): boolean {
    return true;
  }

  async pull(image: string): Promise<string> {
    const ref = parseImageReference(image);
    if (!ref) throw new ImagePullError(image, `failed to pull and unpack image "${image}": invalid reference format`);
    if (ref.domain === MISSING_REGISTRY) {
      const qualified = `${repositoryOf(ref)}${ref.tag ? `:${ref.tag}` : ''}`;
      throw new ImagePullError(
        image,
        `rpc error: code = NotFound desc = failed to pull and unpack image "${qualified}": failed to resolve reference "${qualified}": ${qualified}: not found`,
      );
    }
    return simulatedImageId(image);
  }

  async start(pod: PodContext, spec: ContainerSpec, onExit: (exit: ExitInfo) => void): Promise<ContainerInfo> {
    const behaviour = simBehaviour(pod.annotations, spec.name, this.opts.defaults);
    const imageID = await this.pull(spec.image);
    const instanceKey = `${pod.uid}/${spec.name}`;
    const instance = this.instances.get(instanceKey) ?? 0;
    this.instances.set(instanceKey, instance + 1);
    this.podEntry(pod.uid).names.add(spec.name);
    if (behaviour.startDelayMs > 0) await sleep(behaviour.startDelayMs);
    const id = createHash('sha256').update(`${this.opts.node}/${this.opts.salt ?? ''}/${pod.uid}/${spec.name}/${instance}`).digest('hex');
    const now = Date.now();
    const c: SimContainer = {
      info: {
        id,
        name: spec.name,
        image: spec.image,
        imageID,
        startedAt: rfc3339(now),
        command: [...(spec.command ?? []), ...(spec.args ?? [])].join(' ') || '/simulated',
        pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
        attempt: instance,
      },
      podUid: pod.uid,
      behaviour,
      startedAtMs: now,
      onExit,
    };
    this.forgetOlderInstances(pod.uid, spec.name);
    this.containers.set(id, c);
    this.podEntry(pod.uid).ids.add(id);
    const crashes = behaviour.crashTimes === undefined || instance < behaviour.crashTimes;
    if (behaviour.crashAfterMs !== undefined && crashes) {
      c.timer = setTimeout(() => this.exit(c, { exitCode: behaviour.exitCode, reason: behaviour.exitCode === 0 ? 'Completed' : 'Error' }), behaviour.crashAfterMs);
    }
    return { ...c.info };
  }

  stop(id: string, graceSeconds: number): Promise<ExitInfo> {
    const c = this.containers.get(id);
    if (!c) return Promise.reject(new Error(`simulated: no container ${id}`));
    if (c.exit) return Promise.resolve(c.exit);
    if (c.stopping) return c.stopping;
    clearTimeout(c.timer);
    const graceMs = Math.max(0, graceSeconds) * 1000;
    // A container that exits within the grace period handled SIGTERM; the others get SIGKILL.
    c.stopping =
      c.behaviour.stopDelayMs <= graceMs
        ? sleep(c.behaviour.stopDelayMs).then(() => this.exit(c, { exitCode: 0, reason: 'Completed' }))
        : sleep(graceMs).then(() => this.exit(c, { exitCode: 137, reason: 'Error', signal: 9 }));
    return c.stopping;
  }

  async hotPatch(id: string, image: string, _pod: PodContext): Promise<ContainerInfo> {
    const c = this.containers.get(id);
    if (!c || c.exit) throw new Error(`simulated: container ${id} is not running`);
    const imageID = await this.pull(image);
    c.info = { ...c.info, image, imageID };
    return { ...c.info };
  }

  async probe(id: string, _probe: ProbeSpec, _pod: PodContext, kind: ProbeKind = 'readiness'): Promise<boolean> {
    const c = this.containers.get(id);
    if (!c || c.exit) return false;
    const age = Date.now() - c.startedAtMs;
    if (kind === 'liveness') return c.behaviour.livenessFailAfterMs === undefined || age < c.behaviour.livenessFailAfterMs;
    return !c.behaviour.neverReady && age >= c.behaviour.readyDelayMs;
  }

  readinessWithoutProbe(id: string): { ready: boolean; recheckInMs?: number } {
    const c = this.containers.get(id);
    if (!c || c.exit || c.behaviour.neverReady) return { ready: false };
    const left = c.behaviour.readyDelayMs - (Date.now() - c.startedAtMs);
    return left <= 0 ? { ready: true } : { ready: false, recheckInMs: left };
  }

  logPath(_id: string): string | undefined {
    return undefined;
  }

  exec(id: string, command: string[], opts: ExecOptions): ExecSession {
    const c = this.containers.get(id);
    if (!c || c.exit) throw new Error(`container ${id.slice(0, 12)} is not running`);
    const answer = scriptedExec(opts.annotations, c.info.name, command);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(answer.stdout ?? '');
    stderr.end(answer.stderr ?? '');
    // Whatever is sent to stdin is read and dropped, as by a command that ignores it.
    const stdin = opts.stdin ? new PassThrough().resume() : undefined;
    return { stdout, stderr, stdin, exit: Promise.resolve({ exitCode: answer.exitCode ?? 0 }), kill: () => {} };
  }

  list(): ContainerInfo[] {
    return [...this.containers.values()].map((c) => ({ ...c.info }));
  }

  async removePod(pod: PodContext): Promise<void> {
    const entry = this.byPod.get(pod.uid);
    if (!entry) return;
    this.byPod.delete(pod.uid);
    for (const id of entry.ids) {
      clearTimeout(this.containers.get(id)?.timer);
      this.containers.delete(id);
    }
    for (const name of entry.names) this.instances.delete(`${pod.uid}/${name}`);
  }

  private podEntry(uid: string): { ids: Set<string>; names: Set<string> } {
    let entry = this.byPod.get(uid);
    if (!entry) this.byPod.set(uid, (entry = { ids: new Set(), names: new Set() }));
    return entry;
  }

  private exit(c: SimContainer, how: { exitCode: number; reason: string; signal?: number }): ExitInfo {
    if (c.exit) return c.exit;
    clearTimeout(c.timer);
    c.exit = { ...how, finishedAt: rfc3339(Date.now()) };
    c.info.exit = c.exit;
    c.onExit(c.exit);
    return c.exit;
  }

  /**
   * Keeps, besides the new instance, only the latest exited one, as kubelet's container GC
   * (one dead container per pod container) and the process runtime do: `node ps -a` lists it.
   */
  private forgetOlderInstances(podUid: string, name: string): void {
    const ids = this.byPod.get(podUid)?.ids;
    const exited = [...(ids ?? [])]
      .map((id) => this.containers.get(id))
      .filter((c): c is SimContainer => c !== undefined && c.info.name === name && c.exit !== undefined)
      .sort((a, b) => (b.info.attempt ?? 0) - (a.info.attempt ?? 0));
    for (const old of exited.slice(1)) {
      this.containers.delete(old.info.id);
      ids!.delete(old.info.id);
    }
  }
}

interface ScriptedAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** The answer sim.hotpod.dev/exec[.<container>] scripts for the command (see the header). */
export function scriptedExec(annotations: Record<string, string>, container: string, command: string[]): ScriptedAnswer {
  const raw = annotations[`${SIM_ANNOTATION_PREFIX}exec.${container}`] ?? annotations[`${SIM_ANNOTATION_PREFIX}exec`];
  const line = command.join(' ');
  const none = { stderr: `sim: nothing scripted for "${line}" (annotation ${SIM_ANNOTATION_PREFIX}exec[.${container}])\n`, exitCode: 127 };
  if (raw === undefined) return none;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { stderr: `sim: ${SIM_ANNOTATION_PREFIX}exec is not JSON: ${raw}\n`, exitCode: 126 };
  }
  if (!data || typeof data !== 'object') return none;
  const d = data as Record<string, unknown>;
  const isAnswer = (v: unknown): v is ScriptedAnswer => !!v && typeof v === 'object' && ['stdout', 'stderr', 'exitCode'].some((k) => k in (v as object));
  if (isAnswer(d)) return d;
  const found = d[line] ?? d['*'];
  return isAnswer(found) ? found : none;
}
