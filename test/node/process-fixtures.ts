// Images and pods for the process runtime tests: small node scripts built into a temp store.

import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ImageStore } from '../../src/node/images/index.js';
import type { PodContext } from '../../src/node/runtime/types.js';

export const quietLogger = pino({ level: process.env.HOTPOD_TEST_LOG_LEVEL ?? 'silent' });

/** Files of the "tools" image: each script is one behaviour a test starts by name. */
export const TOOL_SCRIPTS: Record<string, string> = {
  // Prints its env and argv, its cwd relative to the rootfs, then exits with EXIT_CODE.
  'print.cjs': `
    console.log('argv=' + JSON.stringify(process.argv.slice(2)));
    for (const k of ['GREETING', 'FROM_IMAGE', 'HOSTNAME', 'COMBINED', 'POD_NAME']) console.log(k + '=' + (process.env[k] ?? ''));
    console.log('cwd=' + require('path').relative(process.env.HOTPOD_ROOTFS, process.cwd()));
    console.error('to stderr');
    process.exit(Number(process.env.EXIT_CODE ?? 0));`,
  // Serves TCP (echo) and HTTP on the given ports until stopped; SIGTERM exits 0 after a beat.
  'serve.cjs': `
    const net = require('net'), http = require('http');
    const tcp = Number(process.env.TCP_PORT || 0), web = Number(process.env.HTTP_PORT || 0);
    if (tcp) net.createServer((s) => s.pipe(s)).listen(tcp, '127.0.0.1', () => console.log('tcp listening ' + tcp));
    if (web) http.createServer((req, res) => {
      if (req.url === '/fail') { res.writeHead(500); return res.end('no'); }
      if (req.url === '/moved') { res.writeHead(302, { Location: '/' }); return res.end(); }
      res.end('ok');
    }).listen(web, '127.0.0.1', () => console.log('http listening ' + web));
    process.on('SIGTERM', () => { console.log('got SIGTERM'); setTimeout(() => process.exit(0), 100); });
    setInterval(() => {}, 1000);`,
  // Ignores SIGTERM and starts a child in its process group, which must die with it.
  'stubborn.cjs': `
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    const child = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    require('fs').writeFileSync('child.pid', String(child.pid));
    console.log('ready');
    setInterval(() => {}, 1000);`,
  // Writes data/<HOSTNAME>.txt into its volume mount and stays up.
  'writer.cjs': `
    require('fs').writeFileSync('data/from-writer.txt', 'written by ' + process.env.HOSTNAME);
    console.log('wrote');
    setInterval(() => {}, 1000);`,
  // Waits for data/from-writer.txt and prints it.
  'reader.cjs': `
    const fs = require('fs');
    const t = setInterval(() => {
      if (fs.existsSync('data/from-writer.txt')) { console.log('read: ' + fs.readFileSync('data/from-writer.txt', 'utf8')); clearInterval(t); }
    }, 50);`,
  // Prints version.txt at start and on every SIGHUP; leaves a file of its own in the rootfs.
  'reloader.cjs': `
    const fs = require('fs');
    fs.writeFileSync('own.txt', 'mine');
    const show = (why) => console.log(why + ': ' + fs.readFileSync('version.txt', 'utf8').trim());
    process.on('SIGHUP', () => show('reloaded'));
    show('started');
    setInterval(() => {}, 1000);`,
};

export interface TestImages {
  dataDir: string;
  store: ImageStore;
}

/** A data dir whose store holds tools:1 (all scripts, version 1) and tools:2 (version 2). */
export function buildTestImages(): TestImages {
  const dataDir = mkdtempSync(join(tmpdir(), 'hotpod-process-'));
  const store = new ImageStore(dataDir);
  for (const version of [1, 2]) {
    const dir = join(dataDir, `build-${version}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    for (const [name, text] of Object.entries(TOOL_SCRIPTS)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'version.txt'), `v${version}\n`);
    // Only in version 1: must disappear on a hot-patch to version 2.
    if (version === 1) writeFileSync(join(dir, 'only-in-v1.txt'), 'old');
    writeFileSync(join(dir, 'bin', 'check.sh'), '#!/bin/sh\ntest -f "${1:-version.txt}"\n');
    chmodSync(join(dir, 'bin', 'check.sh'), 0o755);
    writeFileSync(join(dir, 'hotpod-image.json'), JSON.stringify({ entrypoint: ['node'], cmd: ['print.cjs', 'from-image-cmd'], env: { FROM_IMAGE: 'yes', GREETING: 'image' }, workingDir: '/' }));
    store.build(dir, [`tools:${version}`]);
  }
  return { dataDir, store };
}

let podCounter = 0;

export function podContext(dataDir: string, overrides: Partial<PodContext> = {}): PodContext {
  const n = ++podCounter;
  const name = overrides.name ?? `pod-${n}`;
  const uid = overrides.uid ?? `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    uid,
    namespace: 'default',
    name,
    annotations: {},
    podDir: join(dataDir, 'pods', uid),
    volumeDirs: [],
    // The runtime alone, no node: its servers listen on 127.0.0.1, where the probes dial.
    podIP: '127.0.0.1',
    ...overrides,
  };
}

/** A free TCP port on loopback (closed again before returning). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
