// README.md's walk-throughs run as written: the fenced blocks after a `<!-- walkthrough: NAME`
// marker are read from README.md itself (so the test fails when the README drifts) and run by
// bash, command by command, against a started embedded control plane with kubectl 1.35 on PATH.
// A command whose comment ends in `# yes` or `# no` must print that (kubectl auth can-i).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot, sleep, startCluster, type Cluster } from '../helpers/cluster.js';
import { newestKubectl } from '../helpers/pods.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

/** The commands of the fenced block after `<!-- walkthrough: name`, continuation lines joined. */
function walkthrough(name: string): string[] {
  const lines = readme.split('\n');
  const marker = lines.findIndex((l) => l.startsWith(`<!-- walkthrough: ${name} `) || l.startsWith(`<!-- walkthrough: ${name}-->`));
  assert.ok(marker >= 0, `README.md has a <!-- walkthrough: ${name} --> marker`);
  assert.match(lines[marker + 1] ?? '', /^```(sh|bash)$/, `a fenced sh/bash block follows the ${name} marker`);
  const commands: string[] = [];
  let current = '';
  for (const line of lines.slice(marker + 2)) {
    if (line.startsWith('```')) break;
    current += current ? `\n${line}` : line;
    if (line.endsWith('\\')) continue;
    if (current.trim() && !current.trim().startsWith('#')) commands.push(current);
    current = '';
  }
  assert.ok(commands.length > 0, `the ${name} block holds commands`);
  return commands;
}

/** What a command's trailing comment says it prints: `# yes` or `# no`. */
const expected = (command: string): string | undefined => /#[^#\n]*\b(yes|no)\s*$/.exec(command)?.[1];

interface Step {
  command: string;
  code: number;
  stdout: string;
}

interface Run {
  proc: ChildProcess;
  steps(): Step[];
  /** true once the command at this index has started */
  started(i: number): boolean;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs the commands in one bash (so shell variables carry over), marking where each begins and
 * ends on stdout. Detached, so the test can stop the whole process group it started.
 */
function runCommands(commands: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Run {
  const script = commands.map((c, i) => `printf '\\n@@begin ${i}\\n'\n${c}\nprintf '\\n@@end ${i} %d\\n' "$?"`).join('\n');
  const proc = spawn('bash', ['--noprofile', '--norc', '-c', script], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((res) => proc.on('close', (code) => res(code)));
  return {
    proc,
    exited,
    output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`,
    started: (i) => stdout.includes(`\n@@begin ${i}\n`),
    steps: () =>
      [...stdout.matchAll(/\n@@begin (\d+)\n([\s\S]*?)\n@@end \1 (\d+)\n/g)].map((m) => ({ command: commands[Number(m[1])]!, code: Number(m[3]), stdout: m[2]!.trim() })),
  };
}

/** Every finished command exited 0 (`auth can-i` exits 1 when it prints no) and printed what its comment says. */
function checkSteps(run: Run, commands: string[]): void {
  const steps = run.steps();
  assert.equal(steps.length, commands.length, `every command ran\n${run.output()}`);
  for (const s of steps) {
    const want = expected(s.command);
    if (want) assert.equal(s.stdout, want, `${s.command}\n${run.output()}`);
    assert.equal(s.code, want === 'no' ? 1 : 0, `${s.command} exit code\n${run.output()}`);
  }
}

describe('README walk-throughs on the embedded control plane (kubectl 1.35)', { timeout: 300_000 }, () => {
  let c: Cluster;
  const scratch = mkdtempSync(join(tmpdir(), 'hotpod-readme-'));
  const k = newestKubectl();

  /** The shell a reader has after the quick start: kubectl (and helm) on PATH, KUBECONFIG set. */
  function env(name: string): NodeJS.ProcessEnv {
    const home = join(scratch, name, 'home');
    const tmp = join(scratch, name, 'tmp');
    mkdirSync(home, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    return {
      PATH: [dirname(k.path), join(projectRoot, '.tools'), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
      HOME: home,
      TMPDIR: tmp,
      LANG: 'C',
      KUBECONFIG: c.kubeconfigPath,
      // npx finds the project's own bin; it must not ask the registry anything.
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
  }

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    // The deploy walk-through starts with `npm start -- --no-controller`.
    process.env.HOTPOD_NO_CONTROLLER = 'true';
    c = await startCluster();
  });
  after(async () => {
    await c?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('access control: a ServiceAccount in a new namespace, its own kubeconfig, RBAC answers', async () => {
    const commands = walkthrough('access-control');
    const cwd = join(scratch, 'access-control', 'work');
    mkdirSync(cwd, { recursive: true });
    const run = runCommands(commands, { cwd, env: env('access-control') });
    await run.exited;
    checkSteps(run, commands);
    assert.ok(commands.some((cmd) => expected(cmd) === 'yes') && commands.some((cmd) => expected(cmd) === 'no'), 'the walk-through shows a yes and a no');
    const file = join(cwd, 'robot.kubeconfig');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'robot.kubeconfig is private');
    const text = readFileSync(file, 'utf8');
    assert.equal(text.match(/token:/g)?.length, 1, "robot.kubeconfig holds robot's token only");
    assert.ok(!text.includes(c.token), "not the admin's token");
  });

  it("deploy/: apply, the ServiceAccount's permissions, and the controller run under its token takes the Lease", async () => {
    const commands = walkthrough('deploy');
    assert.match(commands[0]!, /^npm start -- --no-controller\b/, 'the walk-through starts hotpod without its controller (the test started it so)');
    const rest = commands.slice(1);
    const last = rest.length - 1;
    assert.match(rest[last]!, /npx hotpod controller .*--leader-elect/, 'the walk-through ends running the controller');
    // The controller serves metrics and probes on :8080 and :8081 of every interface by default;
    // the test turns them off so that it binds no port other processes on this machine may hold.
    rest[last] += ' --metrics-bind-address=0 --health-probe-bind-address=0';
    const e = env('deploy');
    const run = runCommands(rest, { cwd: projectRoot, env: e });
    try {
      const deadline = Date.now() + 90_000;
      let holder = '';
      while (Date.now() < deadline) {
        if (run.proc.exitCode !== null) break;
        if (run.started(last)) {
          const lease = await runLease(k.path, e);
          if (lease) {
            holder = lease;
            break;
          }
        }
        await sleep(500);
      }
      assert.ok(holder, `kubectl get lease names a leader\n${run.output()}`);
      const steps = run.steps();
      assert.equal(steps.length, last, `every command before the controller finished\n${run.output()}`);
      checkSteps({ ...run, steps: () => steps }, rest.slice(0, last));
      assert.match(run.output(), new RegExp(`hotpod controller running against .* as ${holder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the leader is the controller the walk-through started');
    } finally {
      if (run.proc.exitCode === null && run.proc.pid) process.kill(-run.proc.pid, 'SIGTERM');
      await run.exited;
    }
    // The kubeconfig went to a private temporary folder, not into the repository.
    assert.ok(!existsSync(join(projectRoot, 'sa.kubeconfig')), 'no sa.kubeconfig in the repo root');
    const made = readdirSync(e.TMPDIR!).map((d) => join(e.TMPDIR!, d));
    const saFile = made.map((d) => join(d, 'sa.kubeconfig')).find((f) => existsSync(f));
    assert.ok(saFile, `sa.kubeconfig under mktemp -d (${made})`);
    assert.equal(statSync(dirname(saFile)).mode & 0o077, 0, 'its folder is private');
    const text = readFileSync(saFile, 'utf8');
    assert.equal(text.match(/token:/g)?.length, 1, "it holds the ServiceAccount's token only");
    assert.ok(!text.includes(c.token), "not the admin's token");
  });
});

/** The holder of the controller's Lease, as `kubectl get lease -n hotpod-system` shows it. */
async function runLease(kubectl: string, env: NodeJS.ProcessEnv): Promise<string> {
  const proc = spawn(kubectl, ['get', 'lease', 'hotpod-controller', '-n', 'hotpod-system', '-o', 'jsonpath={.spec.holderIdentity}'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((res) => proc.on('close', res));
  return code === 0 ? out.trim() : '';
}
