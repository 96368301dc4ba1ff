// The process runtime: a container is a real child process, in a process group of its own,
// running in its own copy of an image from the on-disk store. See src/node/README.md for the
// contract (command resolution, volumes, logs, hot-patch and its reload signal).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { ImageStore, type TreeEntry } from '../images/index.js';
import { parseImageReference } from '../../util/image-reference.js';
import { LogWriter, markLogExited } from '../container-logs.js';
import {
  ContainerStartError,
  ImagePullError,
  type AttachSession,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ExecOptions,
  type ExecSession,
  type ExitInfo,
  type PodContext,
  type ProbeSpec,
} from './types.js';
import { execInContainer } from './process/exec.js';
import { containerArgv, containerEnv, resolveExecutable } from './process/command.js';
import { copyImage, hostPath, linkMounts, patchRootfs, relativePath } from './process/rootfs.js';
import { runProbe } from './process/probes.js';
import { LiveProcesses } from './process/leftovers.js';

/** Pod annotations naming the signal a hot-patched container gets: per container, then for all. */
const RELOAD_SIGNAL_ANNOTATION = 'hotpod.dev/reload-signal';

/** containerd's exit code and reason for a process that could not be started. */
const START_ERROR = { exitCode: 128, reason: 'StartError' };

interface Container {
  info: ContainerInfo;
  spec: ContainerSpec;
  pod: PodContext;
  /** `<podDir>/containers/<name>-<id12>`: holds rootfs/ and log. */
  dir: string;
  rootfs: string;
  cwd: string;
  env: Record<string, string>;
  /** Manifest of the image whose files the rootfs holds now. */
  files: TreeEntry[];
  mountPaths: string[];
  logPath: string;
  child?: ChildProcess;
  exited: Promise<ExitInfo>;
  /** Clients attached to the main process (kubectl attach): each gets its output from then on. */
  attached: Set<{ stdout: PassThrough; stderr: PassThrough }>;
}

interface ProcessRuntimeOptions {
  /** hotpod's data dir: images are read from `<dataDir>/images`. */
  dataDir: string;
  logger: Logger;
}

// Process groups still running in this hotpod; killed if it exits without stopping them.
const runningGroups = new Set<number>();
let exitHookInstalled = false;

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly writesPodDir = true;
  readonly images: ImageStore;
  private readonly containers = new Map<string, Container>();
  private readonly attempts = new Map<string, number>();
  private readonly live: LiveProcesses;
  private readonly logger: Logger;

  constructor(opts: ProcessRuntimeOptions) {
    this.images = new ImageStore(opts.dataDir);
    this.logger = opts.logger;
    this.live = new LiveProcesses(opts.dataDir);
    const reaped = this.live.reapOrphans();
    if (reaped) this.logger.warn({ reaped }, 'killed container processes left by a hotpod that did not stop them');
    installExitHook();
  }

  canRun(image: string): boolean {
    return this.images.resolve(image) !== undefined;
  }

  async pull(image: string): Promise<string> {
    const id = this.images.resolve(image);
    if (!id) throw notInStore(image, this.images.root);
    return imageIdRef(image, id);
  }

  async start(pod: PodContext, spec: ContainerSpec, onExit: (exit: ExitInfo) => void): Promise<ContainerInfo> {
    const imageId = this.images.resolve(spec.image);
    const image = imageId ? this.images.get(imageId) : undefined;
    if (!imageId || !image) throw notInStore(spec.image, this.images.root);

    const id = randomBytes(32).toString('hex');
    const dir = join(pod.podDir, 'containers', `${spec.name}-${id.slice(0, 12)}`);
    const rootfs = join(dir, 'rootfs');
    const env = containerEnv(spec, image.config, pod, rootfs);
    const argv = containerArgv(spec, image.config, env);
    if (argv.length === 0) {
      throw new ContainerStartError(`no command specified: image "${spec.image}" has no entrypoint or cmd and the container sets no command`, 'CreateContainerError');
    }

    const mounts = this.mountsOf(pod, spec);
    const cwd = hostPath(rootfs, spec.workingDir || image.config.workingDir || '/');
    try {
      copyImage(image, rootfs);
      linkMounts(rootfs, mounts);
      mkdirSync(cwd, { recursive: true });
    } catch (err) {
      throw new ContainerStartError(`failed to create container ${spec.name}: ${(err as Error).message}`, 'CreateContainerError');
    }

    const key = `${pod.uid}/${spec.name}`;
    const attempt = (this.attempts.get(key) ?? -1) + 1;
    this.attempts.set(key, attempt);
    this.forgetOlderAttempts(key);

    const logPath = join(dir, 'log');
    const log = new LogWriter(logPath);
    let resolveExit!: (e: ExitInfo) => void;
    const c: Container = {
      info: {
        id,
        name: spec.name,
        image: spec.image,
        imageID: imageIdRef(spec.image, imageId),
        startedAt: new Date().toISOString(),
        command: argv.join(' '),
        pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
        attempt,
      },
      spec,
      pod,
      dir,
      rootfs,
      cwd,
      env,
      files: image.files,
      mountPaths: mounts.map((m) => relativePath(m.mountPath)),
      logPath,
      exited: new Promise((r) => (resolveExit = r)),
      attached: new Set(),
    };
    this.containers.set(id, c);

    let finished = false;
    const finish = async (exit: ExitInfo) => {
      if (finished) return;
      finished = true;
      await this.afterExit(c, exit, log);
      resolveExit(exit);
      try {
        onExit(exit);
      } catch (err) {
        this.logger.error({ err, container: id }, 'onExit handler failed');
      }
    };
    const startError = (message: string) => {
      log.write('stderr', Buffer.from(`${message}\n`));
      // Reported after start() has returned, as a container that exited at once.
      setImmediate(() => void finish({ ...START_ERROR, finishedAt: new Date().toISOString(), message: `failed to start container process: ${message}` }));
    };

    const exe = resolveExecutable(argv[0]!, rootfs, cwd, env.PATH ?? '');
    if ('error' in exe) {
      startError(exe.error);
      return { ...c.info };
    }
    let child: ChildProcess;
    try {
      // A container with `stdin: true` keeps a pipe open for kubectl attach -i, as kubelet's does.
      child = spawn(exe.path, argv.slice(1), { cwd, env, argv0: argv[0], detached: true, stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (err) {
      startError(`exec: "${argv[0]}": ${(err as Error).message}`);
      return { ...c.info };
    }
    c.child = child;
    child.stdout!.on('data', (d: Buffer) => {
      log.write('stdout', d);
      for (const a of c.attached) a.stdout.write(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      log.write('stderr', d);
      for (const a of c.attached) a.stderr.write(d);
    });
    // A process that exits before reading all its stdin must not take the node down with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) startError(`exec: "${argv[0]}": ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
    });
    child.on('exit', (code, signal) => {
      const signo = signal ? osConstants.signals[signal] : undefined;
      const exitCode = code ?? 128 + (signo ?? 0);
      void finish({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(signo ? { signal: signo } : {}), finishedAt: new Date().toISOString() });
    });
    if (child.pid !== undefined) {
      c.info.pid = child.pid;
      runningGroups.add(child.pid);
      this.live.add(id, child.pid, imageId);
      this.logger.info({ container: id.slice(0, 12), pod: `${pod.namespace}/${pod.name}`, name: spec.name, childPid: child.pid, command: c.info.command }, 'container started');
    }
    return { ...c.info };
  }

  async stop(id: string, graceSeconds: number): Promise<ExitInfo> {
    const c = this.mustGet(id);
    if (c.info.exit) return c.info.exit;
    const pid = c.info.pid;
    if (pid === undefined) return c.exited; // a start error, about to be reported
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), Math.max(0, graceSeconds) * 1000);
    try {
      return await c.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async hotPatch(id: string, image: string, pod: PodContext): Promise<ContainerInfo> {
    const c = this.mustGet(id);
    if (c.info.exit) throw new Error(`container ${id.slice(0, 12)} (${c.spec.name}) has exited: nothing to hot-patch`);
    const imageId = this.images.resolve(image);
    const next = imageId ? this.images.get(imageId) : undefined;
    if (!imageId || !next) throw notInStore(image, this.images.root);
    patchRootfs(c.rootfs, c.files, next, c.mountPaths);
    c.files = next.files;
    c.info.image = image;
    c.info.imageID = imageIdRef(image, imageId);
    if (c.info.pid !== undefined) this.live.add(id, c.info.pid, imageId);
    const signal = reloadSignal(pod.annotations, c.spec.name);
    if (signal === null) {
      this.logger.warn({ container: id.slice(0, 12), annotations: pod.annotations }, `${RELOAD_SIGNAL_ANNOTATION}: not a signal name; no reload signal sent`);
    } else if (signal && c.info.pid !== undefined) {
      try {
        process.kill(c.info.pid, signal);
      } catch (err) {
        this.logger.warn({ err, container: id.slice(0, 12), signal }, 'could not deliver the reload signal');
      }
    }
    this.logger.info({ container: id.slice(0, 12), image, signal }, 'container hot-patched');
    return { ...c.info };
  }

  async probe(id: string, probe: ProbeSpec, pod: PodContext): Promise<boolean> {
    const c = this.containers.get(id);
    if (!c || c.info.exit || c.info.pid === undefined) return false;
    return runProbe(probe, { spec: c.spec, rootfs: c.rootfs, cwd: c.cwd, env: c.env, podIP: pod.podIP });
  }

  exec(id: string, command: string[], opts: ExecOptions): ExecSession {
    const c = this.containers.get(id);
    if (!c || c.info.exit || c.info.pid === undefined) throw new Error(`container ${id.slice(0, 12)} is not running`);
    return execInContainer({ rootfs: c.rootfs, cwd: c.cwd, env: c.env }, command, opts.stdin);
  }

  attach(id: string, opts: { stdin: boolean }): AttachSession {
    const c = this.containers.get(id);
    if (!c || c.info.exit || !c.child) throw new Error(`container ${id.slice(0, 12)} is not running`);
    if (opts.stdin && !c.spec.stdin) throw new Error(`container ${c.spec.name} was not started with stdin: true, so there is no stdin to attach to (attach without -i to read its output)`);
    const child = c.child;
    const out = { stdout: new PassThrough(), stderr: new PassThrough() };
    c.attached.add(out);
    const detach = () => {
      if (!c.attached.delete(out)) return;
      out.stdout.end();
      out.stderr.end();
    };
    void c.exited.then(detach);
    let stdin: NodeJS.WritableStream | undefined;
    if (opts.stdin && child.stdin) {
      // Writes go to the process; the client's end of stdin ends the process's only with stdinOnce.
      const into = child.stdin;
      stdin = new Writable({
        write: (chunk: Buffer, _enc, done) => (into.writable ? into.write(chunk, () => done()) : done()),
        final: (done) => {
          if (c.spec.stdinOnce) into.end();
          done();
        },
      });
    }
    return { ...out, stdin, exited: c.exited.then(() => undefined), detach };
  }

  logPath(id: string): string | undefined {
    const c = this.containers.get(id);
    return c && existsSync(c.logPath) ? c.logPath : undefined;
  }

  list(): ContainerInfo[] {
    // The agent removes a deleted pod's directory; its exited containers go with it.
    for (const [id, c] of this.containers) {
      if (c.info.exit && !existsSync(c.dir)) this.containers.delete(id);
    }
    const known = new Set([...this.containers.values()].map((c) => `${c.pod.uid}/${c.spec.name}`));
    for (const key of this.attempts.keys()) if (!known.has(key)) this.attempts.delete(key);
    return [...this.containers.values()].map((c) => ({ ...c.info }));
  }

  async removePod(pod: PodContext): Promise<void> {
    for (const [id, c] of this.containers) {
      if (c.pod.uid !== pod.uid) continue;
      if (!c.info.exit && c.info.pid !== undefined) await this.stop(id, 0);
      this.containers.delete(id);
    }
    for (const key of this.attempts.keys()) if (key.startsWith(`${pod.uid}/`)) this.attempts.delete(key);
  }

  /** Stops every running container (hotpod shutting down). */
  async stopAll(graceSeconds: number): Promise<void> {
    await Promise.all([...this.containers.values()].filter((c) => !c.info.exit).map((c) => this.stop(c.info.id, graceSeconds)));
  }

  private mountsOf(pod: PodContext, spec: ContainerSpec): { mountPath: string; target: string }[] {
    const mounts: { mountPath: string; target: string }[] = [];
    for (const m of spec.volumeMounts ?? []) {
      if (!pod.volumeDirs.includes(m.name)) {
        this.logger.warn({ pod: `${pod.namespace}/${pod.name}`, container: spec.name, volume: m.name }, 'only emptyDir, downwardAPI and persistentVolumeClaim volumes are mounted by the process runtime; skipped');
        continue;
      }
      const target = join(pod.podDir, 'volumes', m.name);
      mkdirSync(target, { recursive: true });
      mounts.push({ mountPath: m.mountPath, target });
    }
    return mounts;
  }

  private async afterExit(c: Container, exit: ExitInfo, log: LogWriter): Promise<void> {
    c.info.exit = exit;
    const pid = c.info.pid;
    if (pid !== undefined) {
      // Like a PID namespace whose init died: whatever the container left running goes too.
      signalGroup(pid, 'SIGKILL');
      runningGroups.delete(pid);
      this.live.remove(c.info.id);
      await streamsClosed(c.child!, 1000);
    }
    try {
      log.close();
      markLogExited(c.logPath, exit);
      // A container never starts again (a restart is a new one), so only its log is kept.
      rmSync(c.rootfs, { recursive: true, force: true });
    } catch (err) {
      this.logger.warn({ err, container: c.info.id.slice(0, 12) }, 'could not finish the container log');
    }
    this.logger.info({ container: c.info.id.slice(0, 12), pod: `${c.pod.namespace}/${c.pod.name}`, name: c.spec.name, ...exit }, 'container exited');
  }

  /** Keeps, besides the new attempt, only the latest exited container (for `logs --previous`). */
  private forgetOlderAttempts(key: string): void {
    const exited = [...this.containers.values()]
      .filter((c) => `${c.pod.uid}/${c.spec.name}` === key && c.info.exit)
      .sort((a, b) => (b.info.attempt ?? 0) - (a.info.attempt ?? 0));
    for (const old of exited.slice(1)) {
      this.containers.delete(old.info.id);
      rmSync(old.dir, { recursive: true, force: true });
    }
  }

  private mustGet(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id} in the process runtime`);
    return c;
  }
}

/** `docker-pullable://<repository>@sha256:<hex>`, the form status.imageID takes. */
function imageIdRef(image: string, id: string): string {
  const repo = parseImageReference(image)?.name;
  return repo ? `docker-pullable://${repo}@${id}` : `docker-pullable://${id}`;
}

/** The signal a pod asks for after a hot-patch: undefined when none, null when unreadable. */
export function reloadSignal(annotations: Record<string, string>, container: string): NodeJS.Signals | undefined | null {
  const raw = annotations[`${RELOAD_SIGNAL_ANNOTATION}.${container}`] ?? annotations[RELOAD_SIGNAL_ANNOTATION];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toUpperCase();
  const signals = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(v)) {
    const name = Object.keys(signals).find((k) => signals[k] === Number(v));
    return name ? (name as NodeJS.Signals) : null;
  }
  const name = v.startsWith('SIG') ? v : `SIG${v}`;
  return name in signals ? (name as NodeJS.Signals) : null;
}

function notInStore(image: string, root: string): ImagePullError {
  return new ImagePullError(image, `image "${image}" not found in the hotpod image store (${root}); build it with: hotpod image build DIR --tag ${image}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function streamsClosed(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.stdout?.closed !== false && child.stderr?.closed !== false) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of runningGroups) signalGroup(pid, 'SIGKILL');
  });
}
