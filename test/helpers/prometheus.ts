// A real Prometheus (Debian's prometheus package, unpacked under .tools/ by .ci/install-deb-binary:
// .ci/run installs it, and so does this helper when it is missing), on a loopback port,
// scraping one target on loopback every second. No other address is ever configured.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, waitFor } from './cluster.js';

const BINARY = join(projectRoot, '.tools', 'prometheus', 'prometheus');

export interface Prometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Resolves once the target has been scraped (a sample of `up` is 1). */
  scraped(job: string): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function ensureBinary(): string {
  if (existsSync(BINARY)) return BINARY;
  const r = spawnSync(join(projectRoot, '.ci', 'install-deb-binary'), ['prometheus', 'usr/bin/prometheus', BINARY], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(BINARY)) throw new Error(`Prometheus is needed and could not be installed from Debian's prometheus package:\n${r.stdout}${r.stderr}`);
  return BINARY;
}

/** Starts Prometheus scraping `target` (host:port on loopback) as job `job`. */
export async function startPrometheus(job: string, target: string): Promise<Prometheus> {
  if (!/^127\.\d+\.\d+\.\d+:\d+$/.test(target)) throw new Error(`only loopback targets: ${target}`);
  const bin = ensureBinary();
  const dir = mkdtempSync(join(tmpdir(), 'hotpod-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']\n`);
  const proc: ChildProcess = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-8192)));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  process.on('exit', () => proc.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${log}`);
    return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined;
  }, 'prometheus ready', 60_000, 200);
  return {
    url,
    async scraped(j: string) {
      await waitFor(async () => {
        const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`up{job="${j}"}`)}`)).json()) as { data?: { result?: { value: [number, string] }[] } };
        return r.data?.result?.[0]?.value[1] === '1' ? true : undefined;
      }, `prometheus scraped ${j}`, 60_000, 300);
    },
    async stop() {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
