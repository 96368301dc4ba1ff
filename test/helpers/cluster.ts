// Test tooling: starts `hotpod up` as a child process, finds the kubectl binaries under .tools/,
// runs kubectl against a test cluster, and talks to the API server directly over HTTPS.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** The project root: the nearest folder above this file that holds package.json. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
})();

/** Test fixtures live in the source tree (tsc does not copy them into dist/). */
export function fixturePath(name: string): string {
  return join(projectRoot, 'test', 'fixtures', name);
}

export function cliPath(): string {
  if (process.env.HOTPOD_CLI) return resolve(process.env.HOTPOD_CLI);
  for (const p of ['dist/src/cli/main.js', 'dist/cli/main.js']) {
    const abs = join(projectRoot, p);
    if (existsSync(abs)) return abs;
  }
  throw new Error(`hotpod CLI not built: neither dist/src/cli/main.js nor dist/cli/main.js under ${projectRoot} (run npm run build)`);
}

const START_TIMEOUT_MS = Number(process.env.HOTPOD_START_TIMEOUT_MS ?? 60_000);
const STOP_TIMEOUT_MS = 20_000;
const LOG_LIMIT = 64 * 1024;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when the process was still running after STOP_TIMEOUT_MS and had to be SIGKILLed */
  forced: boolean;
}

export interface Cluster {
  readonly kubeconfigPath: string;
  readonly dataDir: string;
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly caPem: string;
  readonly inMemory: boolean;
  /** stdout+stderr of the current process (last 64 KiB), for diagnostics */
  logs(): string;
  /** send a signal (default SIGTERM), wait for the exit, SIGKILL after 20 s */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
  kill9(): Promise<ExitInfo>;
  /** stop (SIGTERM) if running, then start again on the same data dir and port */
  restart(): Promise<void>;
  /** a HOME folder for kubectl, one per cluster and kubectl (kubectl caches discovery there) */
  homeFor(k: Kubectl): string;
  /** remove temp folders (data dir only when the helper created it) */
  cleanup(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

interface Spawned {
  proc: ChildProcess;
  log: { text: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kubeconfigPath: string;
}

function appendLog(log: { text: string }, chunk: string): void {
  log.text += chunk;
  if (log.text.length > LOG_LIMIT) log.text = log.text.slice(log.text.length - LOG_LIMIT);
}

async function spawnServer(dataDir: string, port: number, inMemory: boolean): Promise<Spawned> {
  const args = [cliPath(), 'up', '--data-dir', dataDir, '--port', String(port), '--address', '127.0.0.1'];
  if (inMemory) args.push('--in-memory');
  const proc = spawn(process.execPath, args, {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  running.add(proc);
  const log = { text: '' };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      res({ code, signal });
    });
  });
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => appendLog(log, d));
  const kubeconfigPath = await new Promise<string>((res, rej) => {
    let buf = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      rej(new Error(`hotpod up printed no KUBECONFIG= line within ${START_TIMEOUT_MS} ms\ncommand: node ${args.join(' ')}\noutput:\n${log.text}`));
    }, START_TIMEOUT_MS);
    proc.stdout!.on('data', (d: string) => {
      appendLog(log, d);
      if (done) return;
      buf += d;
      const m = /KUBECONFIG=(\S+)/.exec(buf);
      if (m && buf.slice(m.index).includes('\n')) {
        done = true;
        clearTimeout(timer);
        res(m[1]!.replace(/^["']|["']$/g, ''));
      }
    });
    void exited.then(({ code, signal }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      rej(new Error(`hotpod up exited (code ${code}, signal ${signal}) before printing KUBECONFIG=\ncommand: node ${args.join(' ')}\noutput:\n${log.text}`));
    });
  });
  return { proc, log, exited, kubeconfigPath };
}

interface Creds {
  url: string;
  token: string;
  caPem: string;
}

function readCreds(kubeconfigPath: string): Creds {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster`);
  let caPem = '';
  if (cluster.caData) caPem = Buffer.from(cluster.caData, 'base64').toString('utf8');
  else if (cluster.caFile) caPem = readFileSync(resolve(dirname(kubeconfigPath), cluster.caFile), 'utf8');
  let token = user?.token ?? '';
  if (!token && user?.authProvider?.config?.['access-token']) token = String(user.authProvider.config['access-token']);
  return { url: cluster.server, token, caPem };
}

export async function startCluster(opts: { dataDir?: string; inMemory?: boolean; port?: number } = {}): Promise<Cluster> {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'hotpod-test-'));
  const inMemory = opts.inMemory ?? ownDir;
  const homes = new Map<string, string>();
  let s: Spawned;
  try {
    s = await spawnServer(dataDir, opts.port ?? 0, inMemory);
  } catch (e) {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  let creds = readCreds(s.kubeconfigPath);
  let port = Number(new URL(creds.url).port || 443);

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> => {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
      const r = await s.exited;
      return { ...r, forced: false };
    }
    s.proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      s.exited.then((x) => ({ ...x, forced: false })),
      new Promise<null>((res) => {
        timer = setTimeout(() => res(null), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (r) return r;
    s.proc.kill('SIGKILL');
    return { ...(await s.exited), forced: true };
  };

  const cluster: Cluster = {
    get kubeconfigPath() {
      return s.kubeconfigPath;
    },
    dataDir,
    get url() {
      return creds.url;
    },
    get port() {
      return port;
    },
    get token() {
      return creds.token;
    },
    get caPem() {
      return creds.caPem;
    },
    inMemory,
    logs: () => s.log.text,
    stop,
    kill9: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGTERM');
      // The port was just released; retry a few times in case the kernel is slow to free it.
      let lastErr: unknown;
      for (let i = 0; i < 5; i++) {
        try {
          s = await spawnServer(dataDir, port, inMemory);
          creds = readCreds(s.kubeconfigPath);
          port = Number(new URL(creds.url).port || 443);
          return;
        } catch (e) {
          lastErr = e;
          if (!/EADDRINUSE|already in use/.test(String(e))) break;
          await sleep(500);
        }
      }
      throw lastErr;
    },
    homeFor(k: Kubectl) {
      let h = homes.get(k.path);
      if (!h) {
        h = mkdtempSync(join(tmpdir(), `hotpod-kubectl-home-${k.version}-`));
        homes.set(k.path, h);
      }
      return h;
    },
    async cleanup() {
      await stop('SIGTERM');
      for (const h of homes.values()) rmSync(h, { recursive: true, force: true });
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// kubectl

export interface Kubectl {
  version: string;
  path: string;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let kubectlCache: Kubectl[] | undefined;

/**
 * Every kubectl under .tools/kubectl-<version>/kubectl (1.35 from npm, 1.20 when .ci/run installed
 * it), plus any listed in HOTPOD_EXTRA_KUBECTLS (colon-separated paths), sorted by version.
 * HOTPOD_KUBECTL_VERSIONS (comma-separated, e.g. "1.35") restricts the list.
 */
export function kubectls(): Kubectl[] {
  if (kubectlCache) return kubectlCache;
  const found: Kubectl[] = [];
  const tools = join(projectRoot, '.tools');
  if (existsSync(tools)) {
    for (const name of readdirSync(tools)) {
      const m = /^kubectl-(\d+\.\d+)$/.exec(name);
      const p = join(tools, name, 'kubectl');
      if (m && isExecutable(p)) found.push({ version: m[1]!, path: p });
    }
  }
  for (const p of (process.env.HOTPOD_EXTRA_KUBECTLS ?? '').split(':').filter(Boolean)) {
    const out = execFileSync(p, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    const v = JSON.parse(out).clientVersion as { major: string; minor: string };
    found.push({ version: `${v.major}.${v.minor.replace(/\D.*$/, '')}`, path: resolve(p) });
  }
  const only = (process.env.HOTPOD_KUBECTL_VERSIONS ?? '').split(',').filter(Boolean);
  const list = found
    .filter((k) => only.length === 0 || only.includes(k.version))
    .sort((a, b) => Number(a.version.split('.')[1]) - Number(b.version.split('.')[1]));
  if (list.length === 0) {
    throw new Error(`no kubectl found under ${tools} (run: node scripts/fetch-kubectl.mjs; .ci/run also installs kubectl 1.20)`);
  }
  kubectlCache = list;
  return list;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlOpts {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** --kubeconfig to pass instead of the cluster's own */
  kubeconfig?: string;
}

export function kubectlEnv(k: Kubectl, cluster: Cluster, extra?: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cluster.homeFor(k),
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    LANG: 'C',
    ...extra,
  };
}

export function runKubectl(k: Kubectl, cluster: Cluster, args: string[], opts: KubectlOpts = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const fullArgs = ['--kubeconfig', opts.kubeconfig ?? cluster.kubeconfigPath, ...args];
  return new Promise((res, rej) => {
    const p = spawn(k.path, fullArgs, { env: kubectlEnv(k, cluster, opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test helper: kubectl ${args.join(' ')} killed after ${timeoutMs} ms]`;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
    p.stdin.on('error', () => {
      /* kubectl may exit before reading stdin */
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}

/** Runs kubectl and fails with its whole output unless it exits 0. */
export async function kubectlOk(k: Kubectl, cluster: Cluster, args: string[], opts: KubectlOpts = {}): Promise<string> {
  const r = await runKubectl(k, cluster, args, opts);
  if (r.code !== 0) {
    throw new Error(`kubectl ${k.version} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

/** A long-running kubectl (get -w, delete --wait) whose output is read while it runs. */
export interface KubectlProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves once stdout satisfies the predicate; rejects with the output after timeoutMs */
  waitForOutput(pred: RegExp | ((out: string) => boolean), timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

export function spawnKubectl(k: Kubectl, cluster: Cluster, args: string[], opts: KubectlOpts = {}): KubectlProcess {
  const p = spawn(k.path, ['--kubeconfig', opts.kubeconfig ?? cluster.kubeconfigPath, ...args], {
    env: kubectlEnv(k, cluster, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(p);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((res) =>
    p.on('close', (code) => {
      running.delete(p);
      for (const l of listeners) l();
      res(code);
    }),
  );
  return {
    proc: p,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pred, timeoutMs = 30_000) {
      const test = typeof pred === 'function' ? pred : (s: string) => pred.test(s);
      return new Promise((res, rej) => {
        const check = () => {
          if (test(out)) {
            cleanup();
            res(out);
          } else if (p.exitCode !== null || p.signalCode !== null) {
            cleanup();
            rej(new Error(`kubectl ${args.join(' ')} exited (${p.exitCode ?? p.signalCode}) before the expected output\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`kubectl ${args.join(' ')}: expected output not seen within ${timeoutMs} ms (${pred})\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// client-node and raw HTTPS

/** A client-node KubeConfig loaded from the cluster's kubeconfig file. */
export function kubeConfigFor(cluster: Cluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface ApiOpts {
  /** null: send no Authorization header; a string: send that bearer token */
  token?: string | null;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One HTTPS request to the API server, verified against the cluster's CA. */
export function api(cluster: Cluster, method: string, path: string, body?: unknown, opts: ApiOpts = {}): Promise<ApiResponse> {
  const url = new URL(path, cluster.url);
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...opts.headers };
  const token = opts.token === undefined ? cluster.token : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let payload: Buffer | undefined;
  if (body !== undefined) {
    // A Buffer goes as it is (protobuf bodies); anything else as JSON.
    payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((res, rej) => {
    const req = https.request(
      url,
      { method, headers, ca: cluster.caPem || undefined, timeout: opts.timeoutMs ?? 30_000 },
      (resp) => {
        let text = '';
        resp.setEncoding('utf8');
        resp.on('data', (d: string) => (text += d));
        resp.on('end', () => {
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          res({ status: resp.statusCode ?? 0, headers: resp.headers, text, body: parsed });
        });
        resp.on('error', rej);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', rej);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Like api() but throws unless the status is 2xx; returns the parsed body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function apiOk(cluster: Cluster, method: string, path: string, body?: unknown, opts: ApiOpts = {}): Promise<any> {
  const r = await api(cluster, method, path, body, opts);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.body;
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

export interface RawWatch {
  /** HTTP status of the watch response */
  status: Promise<number>;
  events: WatchEvent[];
  /** non-JSON or non-event lines */
  junk: string[];
  waitFor(pred: (events: WatchEvent[]) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  ended: Promise<void>;
  /** text of a non-200 answer */
  errorText(): string;
  close(): void;
}

/** A raw watch (?watch=true) reading one JSON event per line. */
export function rawWatch(cluster: Cluster, path: string, opts: ApiOpts = {}): RawWatch {
  const url = new URL(path, cluster.url);
  if (!url.searchParams.has('watch')) url.searchParams.set('watch', 'true');
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = opts.token === undefined ? cluster.token : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const events: WatchEvent[] = [];
  const junk: string[] = [];
  const listeners = new Set<() => void>();
  let errText = '';
  let endedFlag = false;
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const finish = () => {
    endedFlag = true;
    resolveStatus(0);
    resolveEnded();
    for (const l of listeners) l();
  };
  const req = https.request(url, { method: 'GET', headers, ca: cluster.caPem || undefined }, (resp) => {
    resolveStatus(resp.statusCode ?? 0);
    resp.setEncoding('utf8');
    let buf = '';
    resp.on('data', (d: string) => {
      if (resp.statusCode !== 200) {
        errText += d;
        return;
      }
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        try {
          const ev = JSON.parse(line) as WatchEvent;
          if (ev && typeof ev.type === 'string') events.push(ev);
          else junk.push(line);
        } catch {
          junk.push(line);
        }
      }
      for (const l of listeners) l();
    });
    resp.on('end', finish);
    resp.on('error', finish);
    resp.on('close', finish);
  });
  req.on('error', (e) => {
    errText += String(e);
    finish();
  });
  req.end();
  return {
    status,
    events,
    junk,
    ended,
    errorText: () => errText,
    waitFor(pred, timeoutMs = 15_000) {
      return new Promise((res, rej) => {
        const check = () => {
          if (pred(events)) {
            cleanup();
            res(events);
          } else if (endedFlag) {
            cleanup();
            rej(new Error(`watch ${path} ended before the expected events; got ${JSON.stringify(events.map(summarize))} ${errText}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`watch ${path}: expected events not seen within ${timeoutMs} ms; got ${JSON.stringify(events.map(summarize))} ${errText}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    close() {
      req.destroy();
    },
  };
}

function summarize(e: WatchEvent): string {
  return `${e.type} ${e.object?.metadata?.name ?? e.object?.code ?? ''}@${e.object?.metadata?.resourceVersion ?? ''}`;
}

// ---------------------------------------------------------------------------------------------
// small utilities

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value; fails with the message (and last value) after timeoutMs. */
export async function waitFor<T>(fn: () => Promise<T> | T, message: string, timeoutMs = 20_000, intervalMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

export interface ParsedTable {
  headers: string[];
  rows: Record<string, string>[];
}

/**
 * Parses kubectl's column output (tabwriter, left-aligned): each cell is the text under its
 * header's start column, so empty cells and cells with single spaces survive.
 */
export function parseTable(text: string): ParsedTable {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { headers: [], rows: [] };
  const header = lines[0]!;
  const starts: number[] = [];
  const headers: string[] = [];
  const re = /\S+(?: \S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) {
    starts.push(m.index);
    headers.push(m[0]);
  }
  const rows = lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    headers.forEach((h, i) => {
      const end = i + 1 < starts.length ? starts[i + 1]! : line.length;
      row[h] = line.slice(starts[i]!, end).trim();
    });
    return row;
  });
  return { headers, rows };
}

/** A namespace name for one kubectl version, e.g. "apply-k1-35". */
export function nsFor(prefix: string, k: Kubectl): string {
  return `${prefix}-k${k.version.replace('.', '-')}`;
}

export async function ensureNamespace(cluster: Cluster, name: string): Promise<void> {
  const r = await api(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new Error(`create namespace ${name} -> ${r.status}: ${r.text}`);
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
