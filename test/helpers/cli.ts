// The built `hotpod` command as a user runs it: a child process whose exit code, stdout and
// stderr a test reads once it ends by itself.
import { spawn } from 'node:child_process';
import { cliPath, projectRoot } from './cluster.js';

export interface HotpodRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HotpodRunOptions {
  /** killed (and the run rejected) if still running by then; default 60 s */
  timeoutMs?: number;
  /** added to the test's environment */
  env?: Record<string, string>;
  /** variables of the test's environment to leave out (e.g. KUBECONFIG) */
  unset?: string[];
}

export function runHotpod(args: string[], opts: HotpodRunOptions = {}): Promise<HotpodRun> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const name of opts.unset ?? []) delete env[name];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliPath(), ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`hotpod ${args.join(' ')} still running after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
