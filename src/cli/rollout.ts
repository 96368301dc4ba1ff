// `hotpod rollout status TYPE/NAME`: follows a GameServerSet's or GameDeployment's rollout until
// it is complete, as `kubectl rollout status` follows a StatefulSet's: a line each time the
// progress changes (one redrawn line with a progress bar on a terminal), then the outcome.
// It watches the one object (re-reading it after a 410 or a dropped watch) and exits 0 when the
// rollout is done, 1 on a timeout, a deletion or an error.

import { InvalidArgumentError, Option, type Command } from 'commander';
import type { KubeClient } from '../kube/index.js';
import { parseGoDuration } from '../util/duration.js';
import { progressBar, rolloutProgress, type RolloutProgress, type Workload, type WorkloadKind } from './rollout-progress.js';
import { rolloutHistory, rolloutPause, rolloutUndo } from './rollout-history.js';
import { CliError, connect, resolveType, runCommand, type WorkloadType } from './workloads.js';

interface RolloutStatusOptions {
  kubeconfig?: string;
  namespace?: string;
  watch: boolean;
  timeoutMs: number;
}

interface ProgressOutput {
  /** redraw one line with a bar (a terminal) or print a line per change */
  tty: boolean;
  write(text: string): void;
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('follow, pause, resume or undo the rollout of a GameServerSet or GameDeployment');
  rollout
    .command('status')
    .description('wait until a GameServerSet or GameDeployment is rolled out, as kubectl rollout status')
    .argument('<type/name>', 'gss/NAME or gd/NAME (also "gss NAME")')
    .argument('[name]')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context’s, else default)')
    .option('-w, --watch [bool]', 'keep watching until the rollout finishes (--watch=false: print the status once)', parseBool, true)
    .addOption(new Option('--timeout <duration>', 'give up after this long (e.g. 30s, 5m; 0: never)').argParser(parseDuration).default(0, '0 (never)'))
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .action((target: string, name: string | undefined, opts: { namespace?: string; watch: boolean; timeout: number; kubeconfig?: string }) =>
      runCommand(async () => {
        const [type, objectName] = parseTarget(target, name);
        await rolloutStatus(type, objectName, { ...opts, timeoutMs: opts.timeout }, { tty: process.stdout.isTTY === true, write: (t) => process.stdout.write(t) });
      }),
    );
  const common = (cmd: Command) =>
    cmd
      .argument('<type/name>', 'gss/NAME or gd/NAME (also "gss NAME")')
      .argument('[name]')
      .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context’s, else default)')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)');
  const act = (verb: string, body: (client: KubeClient, type: WorkloadType, namespace: string, name: string, opts: Record<string, any>) => Promise<string>) =>
    (target: string, name: string | undefined, opts: { namespace?: string; kubeconfig?: string } & Record<string, any>) =>
      runCommand(async () => {
        const [type, objectName] = parseTarget(target, name, verb);
        const { client, namespace } = connect(opts);
        process.stdout.write(`${(await body(client, type, namespace, objectName, opts)).replace(/\n?$/, '\n')}`);
      });
  common(rollout.command('history').description('list the recorded revisions (ControllerRevisions), as kubectl rollout history'))
    .addOption(new Option('--revision <n>', 'show the pod template of this revision').argParser(revisionNumber))
    .action(act('history', (client, type, ns, name, opts) => rolloutHistory(client, type, ns, name, opts.revision)));
  common(rollout.command('undo').description('write a recorded revision\'s pod template back (pods already on it are not touched)'))
    .addOption(new Option('--to-revision <n>', 'the revision to return to (default: the one before the newest)').argParser(revisionNumber).default(0))
    .action(act('undo', (client, type, ns, name, opts) => rolloutUndo(client, type, ns, name, opts.toRevision)));
  common(rollout.command('pause').description('stop the rollout where it is (updateStrategy paused)')).action(act('pause', (client, type, ns, name) => rolloutPause(client, type, ns, name, true)));
  common(rollout.command('resume').description('go on with a paused rollout')).action(act('resume', (client, type, ns, name) => rolloutPause(client, type, ns, name, false)));
}

function revisionNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a revision number, 0 or more');
  return n;
}

function parseTarget(target: string, name: string | undefined, verb = 'status'): [WorkloadType, string] {
  const [typeName, objectName] = target.includes('/') ? [target.slice(0, target.indexOf('/')), target.slice(target.indexOf('/') + 1)] : [target, name];
  if (!objectName) throw new CliError(`error: rollout ${verb} needs TYPE/NAME, e.g. hotpod rollout ${verb} gss/arena`);
  const type = resolveType(typeName);
  if (type.kind === 'GameServer') throw new CliError(`error: no rollout for ${type.plural}: give the GameServerSet (gss/NAME) or GameDeployment (gd/NAME)`);
  return [type, objectName];
}

/** Resolves once the rollout is complete (or after one report without watch); throws otherwise. */
async function rolloutStatus(type: WorkloadType, name: string, opts: RolloutStatusOptions, out: ProgressOutput): Promise<void> {
  const { client, namespace } = connect(opts);
  const kind = type.singular as WorkloadKind;
  const printer = progressPrinter(out);
  const key = { namespace, name };
  const follow = new Promise<void>((resolve, reject) => {
    let finished = false;
    let abort: AbortController | undefined;
    const timer = opts.timeoutMs > 0 ? setTimeout(() => finish(new CliError('error: timed out waiting for the condition')), opts.timeoutMs) : undefined;
    function finish(err?: Error): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      abort?.abort();
      printer.end();
      if (err) reject(err);
      else resolve();
    }
    /** true when nothing is left to wait for */
    function show(obj: Workload): boolean {
      if (finished) return true;
      const p = printer.show(rolloutProgress(kind, obj));
      if (p.done || !opts.watch) finish();
      return finished;
    }
    // GET, then watch from its resourceVersion; again from a fresh GET whenever the watch ends.
    async function loop(): Promise<void> {
      while (!finished) {
        const obj = await client.get<Workload>(type.apiVersion, type.kind, key);
        if (show(obj)) return;
        const started = Date.now();
        const ended = await watchOnce(client, type, key, String(obj.metadata?.resourceVersion ?? ''), (o) => show(o), (a) => (abort = a));
        if (ended === 'deleted') throw new CliError(`error: ${kind} "${name}" was deleted`);
        // A watch that fails at once (a network error) is not retried in a tight loop.
        if (Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 1000));
      }
    }
    loop().catch((err) => finish(err instanceof Error ? err : new Error(String(err))));
  });
  await follow;
}

type WatchEnd = 'closed' | 'deleted';

/** One watch of the object; resolves when it ends (closed, expired, failed, or the object deleted). */
async function watchOnce(
  client: KubeClient,
  type: WorkloadType,
  key: { namespace: string; name: string },
  resourceVersion: string,
  onObject: (obj: Workload) => boolean,
  setAbort: (a: AbortController) => void,
): Promise<WatchEnd> {
  const path = await client.collectionPath(type.apiVersion, type.kind, key.namespace);
  return new Promise<WatchEnd>((resolve) => {
    let settled = false;
    let connection: AbortController | undefined;
    const end = (how: WatchEnd) => {
      if (settled) return;
      settled = true;
      connection?.abort();
      resolve(how);
    };
    client
      .watch(
        path,
        { fieldSelector: `metadata.name=${key.name}`, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
        (phase: string, obj: Workload) => {
          if (phase === 'DELETED') return end('deleted');
          // 410 Expired and other ERROR events: the caller reads the object again and re-watches.
          if (phase === 'ERROR') return end('closed');
          if ((phase === 'ADDED' || phase === 'MODIFIED') && onObject(obj)) end('closed');
        },
        // A dropped connection, a server-side timeout or an expired resourceVersion: the caller
        // reads the object again and watches again.
        () => end('closed'),
      )
      .then(
        (c) => {
          connection = c;
          setAbort(c);
          if (settled) c.abort();
        },
        () => end('closed'),
      );
  });
}

/** Prints a progress only when it changed: a line each, or one line redrawn on a terminal. */
export function progressPrinter(out: ProgressOutput): { show(p: RolloutProgress): RolloutProgress; end(): void } {
  let last = '';
  let drawn = false;
  return {
    show(p) {
      const line = p.done ? p.message : out.tty ? `${progressBar(p.fraction)} ${p.message}` : p.message;
      if (line === last) return p;
      last = line;
      if (out.tty && !p.done) {
        out.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        out.write(`${drawn ? '\r\x1b[2K' : ''}${line}\n`);
        drawn = false;
      }
      return p;
    },
    end() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

function parseBool(value: string | boolean): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidArgumentError('must be true or false');
}

/** Go durations as kubectl takes them: 30s, 5m, 1h30m, 500ms; a bare number is seconds. */
export function parseDuration(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  try {
    return parseGoDuration(value);
  } catch {
    throw new InvalidArgumentError('must be a duration such as 30s, 5m or 1h');
  }
}
