// `npm run bench:forwarder`: what the embedded nodes' port forwarding costs a game. One pod (a
// real process) echoes every message it gets on its pod IP; BENCH_PLAYERS players (default 200)
// connect through its hostPort on the node's address (the forwarder) and as many again straight
// to the pod IP, all at once so both see the same machine. Each player sends a 64-byte message
// BENCH_TICK_HZ times a second (default 30) and times the echo. The table shows, for each path,
// the echoes per second and MB/s, and round-trip p50/p99/max; "added" is forwarded minus
// direct. Knobs (environment): BENCH_PLAYERS, BENCH_TICK_HZ, BENCH_SECONDS (default 20).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import { ImageStore } from '../src/node/images/index.js';
import { envInt, spawnHotpodUp } from './common.js';

type Json = Record<string, any>;

const PLAYERS = envInt('BENCH_PLAYERS', 200);
const TICK_HZ = envInt('BENCH_TICK_HZ', 30);
const SECONDS = envInt('BENCH_SECONDS', 20);
const MESSAGE_BYTES = 64;
const HOST_PORT = 8500;

const ECHO = `
const net = require('net');
net.createServer((s) => { s.setNoDelay(true); s.pipe(s); }).listen(7000, process.env.POD_IP);
`;

interface PathStats {
  rtts: number[];
  bytes: number;
}

/** One player: a connection that sends a stamped message every tick and times each echo. */
async function player(host: string, port: number, stats: PathStats, until: number): Promise<void> {
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const sent: number[] = [];
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= MESSAGE_BYTES) {
      const at = sent.shift();
      if (at !== undefined) stats.rtts.push(performance.now() - at);
      stats.bytes += MESSAGE_BYTES;
      buf = buf.subarray(MESSAGE_BYTES);
    }
  });
  const payload = Buffer.alloc(MESSAGE_BYTES, 7);
  await new Promise<void>((resolve) => {
    // Players do not tick in lockstep.
    setTimeout(() => {
      const timer = setInterval(() => {
        if (Date.now() >= until) {
          clearInterval(timer);
          resolve();
          return;
        }
        sent.push(performance.now());
        socket.write(payload);
      }, 1000 / TICK_HZ);
    }, Math.random() * (1000 / TICK_HZ));
  });
  socket.destroy();
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-forwarder-'));
  const build = join(dataDir, 'build');
  mkdirSync(build, { recursive: true });
  writeFileSync(join(build, 'echo.cjs'), ECHO);
  writeFileSync(join(build, 'hotpod-image.json'), JSON.stringify({ cmd: ['node', 'echo.cjs'] }));
  new ImageStore(dataDir).build(build, ['bench-echo:1']);
  const { HOTPOD_NODES: _n, HOTPOD_NO_CONTROLLER: _c, ...env } = process.env;
  const cluster = await spawnHotpodUp(['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '1', '--log-level', 'warn', '--no-controller'], { env });
  const client = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  try {
    await client.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo', namespace: 'default' },
      spec: { containers: [{ name: 'echo', image: 'bench-echo:1', ports: [{ containerPort: 7000, hostPort: HOST_PORT }], readinessProbe: { tcpSocket: { port: 7000 }, periodSeconds: 1 } }] },
    });
    let pod: Json | undefined;
    for (let i = 0; i < 600 && !pod; i++) {
      const p = await client.get('v1', 'Pod', { namespace: 'default', name: 'echo' });
      if (p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True')) pod = p;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (!pod) throw new Error('the echo pod did not become Ready');
    const forwarded: PathStats = { rtts: [], bytes: 0 };
    const direct: PathStats = { rtts: [], bytes: 0 };
    // The hostPort opens once the node's forwarder has seen the pod's IP.
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => net.connect({ host: pod!.status.hostIP, port: HOST_PORT }).once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
      if (ok) break;
      if (i > 100) throw new Error('the hostPort did not open');
      await new Promise((r) => setTimeout(r, 100));
    }
    const until = Date.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PLAYERS }, () => [
        player(pod!.status.hostIP, HOST_PORT, forwarded, until),
        player(pod!.status.podIP, 7000, direct, until),
      ]).flat(),
    );
    const seconds = (performance.now() - t0) / 1000;
    const row = (label: string, s: PathStats) => {
      const sorted = [...s.rtts].sort((a, b) => a - b);
      return { label, rate: s.rtts.length / seconds, mbps: (2 * s.bytes) / seconds / 1e6, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 };
    };
    const f = row(`hostPort ${pod.status.hostIP}:${HOST_PORT} (forwarder)`, forwarded);
    const d = row(`pod IP ${pod.status.podIP}:7000 (direct)`, direct);
    const fmt = (r: ReturnType<typeof row>) => `${r.label.padEnd(44)} ${r.rate.toFixed(0).padStart(7)} echoes/s  ${r.mbps.toFixed(2).padStart(6)} MB/s  rtt p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms`;
    process.stdout.write(
      `Port forwarder: ${PLAYERS} players through the hostPort and ${PLAYERS} direct, at once, ${TICK_HZ} messages/s each (${MESSAGE_BYTES} B), ${SECONDS} s, 1 node\n` +
        `${fmt(f)}\n${fmt(d)}\n` +
        `added by the forwarder: p50 ${(f.p50 - d.p50).toFixed(2)} ms, p99 ${(f.p99 - d.p99).toFixed(2)} ms\n`,
    );
  } finally {
    client.close();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
