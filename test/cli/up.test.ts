// `hotpod up` started the wrong way, as users do: twice on one data dir, twice on one port, with
// a bad flag. Each refusal is a short message and exit code 1, and leaves the running hotpod and its
// kubeconfig as they were; a data dir left locked by a killed hotpod is taken over. And
// `--dashboard-port` serves the dashboard beside the plane.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cleanupDir, cliPath, projectRoot, startCluster, type Cluster } from '../helpers/cluster.js';
import { runHotpod } from '../helpers/cli.js';

/** `hotpod ARGS`, which must exit by itself (a refusal) within the time. */
const hotpod = (args: string[], timeoutMs = 60_000) => runHotpod(args, { timeoutMs });

describe('hotpod up refuses to start where another hotpod runs', () => {
  let cluster: Cluster;
  let dataDir: string;
  const otherDirs: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hotpod-up-'));
    cluster = await startCluster({ dataDir, inMemory: true });
  });
  after(async () => {
    await cluster?.cleanup();
    cleanupDir(dataDir);
    for (const d of otherDirs) cleanupDir(d);
  });

  it('a second hotpod up on the same data dir exits 1 with one line and leaves the kubeconfig alone', async () => {
    const kubeconfig = readFileSync(cluster.kubeconfigPath, 'utf8');
    const r = await hotpod(['up', '--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^hotpod: data dir .* is in use by another hotpod \(pid \d+\); stop it or pass another --data-dir\n$/);
    assert.equal(readFileSync(cluster.kubeconfigPath, 'utf8'), kubeconfig);
  });

  it('a second hotpod up on the same port exits 1 with one line', async () => {
    const other = mkdtempSync(join(tmpdir(), 'hotpod-up-'));
    otherDirs.push(other);
    const r = await hotpod(['up', '--data-dir', other, '--port', String(cluster.port), '--in-memory', '--nodes', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `hotpod: port ${cluster.port} on 127.0.0.1 is already in use (try --port 0 or another port)\n`);
  });

  it('a bad flag exits 1 and names the flag meant', async () => {
    const r = await hotpod(['up', '--nodse', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: unknown option '--nodse'\n\(Did you mean --nodes\?\)\n$/);
  });

  it('a data dir whose hotpod was killed is taken over', async () => {
    const stopped = await cluster.stop('SIGKILL');
    assert.equal(stopped.signal, 'SIGKILL');
    assert.ok(existsSync(join(dataDir, 'hotpod.pid')), 'the killed hotpod left its pid file');
    await cluster.restart();
    assert.equal(readFileSync(join(dataDir, 'hotpod.pid'), 'utf8').trim() !== '', true);
    const r = await hotpod(['up', '--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is in use by another hotpod/);
  });
});

describe('hotpod up --dashboard-port', () => {
  it('serves the dashboard beside the plane, streaming what the admin sees, and stops with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hotpod-up-dash-'));
    const proc = spawn(process.execPath, [cliPath(), 'up', '--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '0', '--dashboard-port', '0'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    try {
      let out = '';
      const url = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no dashboard line within 60 s:\n${out}`)), 60_000);
        proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /dashboard listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
          if (m && /KUBECONFIG=/.test(out)) {
            clearTimeout(timer);
            res(m[1]!);
          }
        });
      });
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script[^>]+src="?\/?app\.js/);
      // The first event of the stream is the fleet as the admin's credentials list it.
      const stream = await fetch(`${url}api/stream`);
      const reader = stream.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      const snapshot = JSON.parse(/^event: snapshot\ndata: (.*)$/m.exec(text)![1]!);
      assert.deepEqual(Object.keys(snapshot).sort(), ['events', 'sets', 'tiles']);
    } finally {
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, 'SIGTERM stops the plane and its dashboard cleanly');
      cleanupDir(dataDir);
    }
  });
});
