// What a container process is started with: argv by Kubernetes' command/args rules, env with
// `$(VAR)` references expanded as kubelet does, and the executable found inside the rootfs.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerSpec, PodContext } from '../types.js';
import type { ImageConfig } from '../../images/index.js';
import { hostPath } from './rootfs.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** command replaces the image's entrypoint (and drops its cmd); args replace its cmd. */
export function containerArgv(spec: ContainerSpec, config: ImageConfig, env: Record<string, string>): string[] {
  let argv: string[];
  if (spec.command?.length) argv = [...spec.command, ...(spec.args ?? [])];
  else argv = [...(config.entrypoint ?? []), ...(spec.args?.length ? spec.args : (config.cmd ?? []))];
  return argv.map((a) => expandVars(a, env));
}

/**
 * The image's env, then the pod's, then HOSTNAME, plus two of hotpod's own: HOTPOD_ROOTFS (the
 * container's `/` on the host, as there is no chroot) and a PATH that looks inside the rootfs
 * first, then on the host, then beside the node binary running hotpod.
 */
export function containerEnv(spec: ContainerSpec, config: ImageConfig, pod: PodContext, rootfs: string): Record<string, string> {
  const env: Record<string, string> = { ...(config.env ?? {}) };
  for (const e of spec.env ?? []) env[e.name] = expandVars(e.value ?? '', env);
  env.HOSTNAME = pod.hostname ?? pod.name;
  // The pod's own address (loopback), so a server can bind it and be reached there.
  env.POD_IP ??= pod.podIP;
  env.HOME ??= rootfs;
  env.HOTPOD_ROOTFS = rootfs;
  const entries = (env.PATH ?? DEFAULT_PATH).split(':').filter(Boolean);
  const inRootfs = entries.filter((p) => p.startsWith('/')).map((p) => hostPath(rootfs, p));
  env.PATH = [...new Set([...inRootfs, ...entries, dirname(process.execPath)])].join(':');
  return env;
}

/** kubelet's expansion: `$(NAME)` when NAME is defined, `$$` for a literal `$`. */
function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : m;
  });
}

type Resolved = { path: string } | { error: string };

/**
 * Where argv[0] is on the host: a path containing `/` is taken inside the rootfs (relative to
 * the working dir, or from `/` of the rootfs, falling back to the host for absolute paths such
 * as /bin/sh); a bare name is looked up in the container's PATH, and `node` is the node binary
 * running hotpod when the image brings none.
 */
export function resolveExecutable(argv0: string, rootfs: string, cwd: string, pathEnv: string): Resolved {
  if (argv0.includes('/')) {
    const candidates = argv0.startsWith('/') ? [hostPath(rootfs, argv0), argv0] : [join(cwd, argv0)];
    const found = candidates.find(isFile);
    if (!found) return { error: `exec: "${argv0}": stat ${argv0}: no such file or directory` };
    return isExecutable(found) ? { path: found } : { error: `exec: "${argv0}": permission denied` };
  }
  for (const dir of pathEnv.split(':')) {
    const p = join(dir, argv0);
    if (isFile(p) && isExecutable(p)) return { path: p };
  }
  if (argv0 === 'node') return { path: process.execPath };
  return { error: `exec: "${argv0}": executable file not found in $PATH` };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
