// The contract between the node agent and a container runtime. The agent decides what should
// run (from the pod spec) and reports status; a runtime only starts, stops, hot-patches and
// describes containers. Two runtimes implement it: simulated (no process) and process (real
// child processes from the on-disk image store).

import type { NetworkProbe } from '../../util/network-probes.js';

export interface EnvVar {
  name: string;
  value?: string;
}

export interface ProbeSpec extends NetworkProbe {
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  /** The container's main process keeps a stdin that `kubectl attach -i` writes to. */
  stdin?: boolean;
  /** stdin is closed when the first attached client closes its end. */
  stdinOnce?: boolean;
}

/** What a runtime knows about the pod a container belongs to. */
export interface PodContext {
  uid: string;
  namespace: string;
  name: string;
  /** kubelet's hostname for the pod (podHostname in container-env.ts); the name when absent. */
  hostname?: string;
  annotations: Record<string, string>;
  /** Directory of this pod on the node: its volumes live under `<podDir>/volumes/<name>`. */
  podDir: string;
  /** The pod's volumes the node provides as directories there (emptyDir, downwardAPI; persistentVolumeClaim as a symlink to the volume), by name. */
  volumeDirs: string[];
  podIP: string;
}

export interface ExecOptions {
  /** The command reads stdin (kubectl exec -i). */
  stdin: boolean;
  annotations: Record<string, string>;
}

/**
 * An attachment to a container's main process (kubectl attach): what it prints from now on,
 * its stdin when the container keeps one, and the end of the container.
 */
export interface AttachSession {
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  stdin?: NodeJS.WritableStream;
  /** The container exited. */
  exited: Promise<void>;
  /** The client went away: stop copying output to it (the container runs on). */
  detach(): void;
}

/** A command running in a container: its output streams, its stdin, and how it ended. */
export interface ExecSession {
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  stdin?: NodeJS.WritableStream;
  /** The exit code, or why the command could not run (an exit code of 126/127 goes with it). */
  exit: Promise<{ exitCode: number; error?: string }>;
  kill(): void;
}

export interface ContainerInfo {
  /** Like docker's: 64 hex characters; status shows `<runtime>://<id>`. */
  id: string;
  name: string;
  image: string;
  /** `docker-pullable://name@sha256:...` style reference of the image content. */
  imageID: string;
  startedAt: string; // RFC3339
  pid?: number;
  command: string;
  /** For `hotpod node ps` names (k8s_<container>_<pod>_<namespace>_<uid>_<attempt>); optional. */
  pod?: { namespace: string; name: string; uid: string };
  /** How many containers of this pod container the runtime started before this one. */
  attempt?: number;
  /** Set once the container has exited (list() keeps exited containers for `node ps -a`). */
  exit?: ExitInfo;
  /** The runtime's name, added by the agent to what `/containers` serves (`node ps` RUNTIME). */
  runtime?: string;
}

export interface ExitInfo {
  exitCode: number;
  reason: string; // Completed, Error, OOMKilled, ...
  signal?: number;
  finishedAt: string;
  /** For lastState.terminated.message, e.g. why a process could not be started. */
  message?: string;
}

export class ImagePullError extends Error {
  constructor(
    readonly image: string,
    message: string,
  ) {
    super(message);
  }
}

export class ContainerStartError extends Error {
  constructor(
    message: string,
    /** Kubelet's waiting reason: CreateContainerError, RunContainerError, ... */
    readonly reason: string,
  ) {
    super(message);
  }
}

export interface ContainerRuntime {
  readonly name: string; // 'simulated' | 'process'
  /** It keeps files under the pod's `podDir`, which the agent then removes with the pod. */
  readonly writesPodDir?: boolean;
  /** Whether this runtime can run the image (the process runtime: the image is in the store). */
  canRun(image: string): boolean;
  /** Resolves the image to its ID; throws ImagePullError when it cannot be had. */
  pull(image: string): Promise<string>;
  /** Starts a container; `onExit` fires once when it stops by itself or is stopped. */
  start(pod: PodContext, spec: ContainerSpec, onExit: (exit: ExitInfo) => void): Promise<ContainerInfo>;
  /** SIGTERM, wait up to graceSeconds, SIGKILL. Resolves with how it ended. */
  stop(id: string, graceSeconds: number): Promise<ExitInfo>;
  /**
   * Swaps the image of a running container without restarting it: same id, same process.
   * The process runtime replaces the container's files with the new image's and sends the
   * reload signal named by the pod, if any.
   */
  hotPatch(id: string, image: string, pod: PodContext): Promise<ContainerInfo>;
  /**
   * Readiness/liveness/startup probe once: true when it passes. `kind` says which of the
   * container's probes this is (the simulated runtime answers each from its own data).
   */
  probe(id: string, probe: ProbeSpec, pod: PodContext, kind?: ProbeKind): Promise<boolean>;
  /**
   * Optional. Readiness of a running container that has no readinessProbe. Kubelet counts such
   * a container ready as soon as it runs, and so does the agent when a runtime leaves this out;
   * the simulated runtime uses it to apply its ready delay and never-ready behaviour to probe-less
   * containers. `recheckInMs`: when the answer may change.
   */
  readinessWithoutProbe?(id: string): { ready: boolean; recheckInMs?: number };
  /** Log file of a container (kept after exit for `kubectl logs --previous`). */
  logPath(id: string): string | undefined;
  /**
   * Optional. Runs a command in a running container (kubectl exec, exec probes of service
   * qualities): in its environment, with its pod's current annotations (the simulated runtime
   * answers from them).
   */
  exec?(id: string, command: string[], opts: ExecOptions): ExecSession;
  /** Optional. Attaches to a running container's main process (kubectl attach). */
  attach?(id: string, opts: { stdin: boolean }): AttachSession;
  /** All containers it knows, for `hotpod node ps`. */
  list(): ContainerInfo[];
  /**
   * Optional. The pod is gone and all its containers are stopped: forget them and free what
   * they hold. The agent removes `podDir` itself afterwards.
   */
  removePod?(pod: PodContext): Promise<void>;
}
