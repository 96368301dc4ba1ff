// What every benchmark script needs: integer knobs from the environment and the project root
// (to find the built CLI).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** As envInt, but 0 is allowed (a phase the knob turns off). */
export function envIntOrZero(name: string, dflt: number): number {
  return process.env[name] === '0' ? 0 : envInt(name, dflt);
}

export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the bench script');
    dir = up;
  }
  return dir;
})();

export interface RunningHotpod {
  kubeconfigPath: string;
  /** The process id of `hotpod up`, to read its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

/** Starts `hotpod up <args>` as a child process and resolves once it prints its KUBECONFIG line. */
export async function spawnHotpodUp(args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; readyTimeoutMs?: number } = {}): Promise<RunningHotpod> {
  const cli = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
  const timeoutMs = opts.readyTimeoutMs ?? 90_000;
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...(opts.env ?? process.env), NODE_OPTIONS: '' },
  });
  let log = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-16_384)));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const kubeconfigPath = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`hotpod up not ready in ${timeoutMs / 1000} s:\n${log}`)), timeoutMs);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const m = /KUBECONFIG=(\S+)\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`hotpod up exited:\n${log}`)));
  });
  return {
    kubeconfigPath,
    pid: proc.pid!,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
