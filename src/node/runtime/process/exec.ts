// A command run in a process-runtime container, as `kubectl exec` runs one: the container's
// working directory and environment, argv[0] resolved in its rootfs (then the host), in a
// process group of its own so that killing the session takes its children with it.

import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { PassThrough } from 'node:stream';
import type { ExecSession } from '../types.js';
import { resolveExecutable } from './command.js';

export interface ExecTarget {
  rootfs: string;
  cwd: string;
  env: Record<string, string>;
}

export function execInContainer(t: ExecTarget, command: string[], stdin: boolean): ExecSession {
  const failed = (message: string, exitCode: number): ExecSession => {
    const stderr = new PassThrough();
    stderr.end(`${message}\n`);
    const stdout = new PassThrough();
    stdout.end();
    return { stdout, stderr, exit: Promise.resolve({ exitCode, error: message }), kill: () => {} };
  };
  if (!command.length) return failed('no command given', 126);
  const exe = resolveExecutable(command[0]!, t.rootfs, t.cwd, t.env.PATH ?? '');
  if ('error' in exe) return failed(exe.error, 127);
  const child = spawn(exe.path, command.slice(1), { cwd: t.cwd, env: t.env, argv0: command[0], stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const exit = new Promise<{ exitCode: number; error?: string }>((resolve) => {
    child.on('error', (err) => resolve({ exitCode: 126, error: err.message }));
    child.on('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 9) : 9) }));
  });
  return {
    stdout: child.stdout!,
    stderr: child.stderr!,
    stdin: child.stdin ?? undefined,
    exit,
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
    },
  };
}
