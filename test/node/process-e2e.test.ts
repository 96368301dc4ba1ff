// The process runtime through the whole system: `hotpod up --nodes 1`, real kubectl, a real TCP
// game server and a file-providing sidecar sharing an emptyDir. Hot-patching the sidecar keeps
// the server's process and its client connections while the new files reach it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ImageStore } from '../../src/node/images/index.js';
import { apiOk, cliPath, kubectls, kubectlOk, projectRoot, runKubectl, waitFor, type Cluster } from '../helpers/cluster.js';
import { freePort } from './process-fixtures.js';
import { runHotpod } from '../helpers/cli.js';

// Runs once the node agent serves `hotpod up --nodes`; until then there is nothing to drive.

const SERVER = `
const net = require('net'), fs = require('fs');
// One line in, one line out: "motd" answers what the sidecar published, "pid" this process' pid,
// "cat <path>" a file's contents as JSON (null when missing).
net.createServer((socket) => {
  let buf = '';
  socket.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const cmd = buf.slice(0, i); buf = buf.slice(i + 1);
      if (cmd === 'motd') socket.write((fs.existsSync('shared/motd.txt') ? fs.readFileSync('shared/motd.txt', 'utf8').trim() : '-') + '\\n');
      else if (cmd === 'pid') socket.write(process.pid + '\\n');
      else if (cmd.startsWith('cat ')) { const f = cmd.slice(4); socket.write(JSON.stringify(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null) + '\\n'); }
      else socket.write('?\\n');
    }
  });
  socket.on('error', () => {});
}).listen(Number(process.env.PORT), process.env.POD_IP, () => console.log('game server listening on ' + process.env.PORT));
process.on('SIGTERM', () => { console.log('game server stopping'); process.exit(0); });
`;

const SIDECAR = `
const fs = require('fs');
// Publishes its image's motd into the shared volume, at start and on SIGHUP (after a hot-patch).
const publish = (why) => { fs.copyFileSync('motd.txt', 'shared/motd.txt'); console.log(why + ' ' + fs.readFileSync('motd.txt', 'utf8').trim()); };
publish('published');
process.on('SIGHUP', () => publish('republished'));
setInterval(() => {}, 1000);
`;

interface Up {
  proc: ChildProcess;
  log: () => string;
  cluster: Cluster;
  dataDir: string;
}

async function hotpodUp(dataDir: string, home: string): Promise<Up> {
  const proc = spawn(process.execPath, [cliPath(), 'up', '--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '1'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const kubeconfigPath = await waitFor(() => /KUBECONFIG=(\S+)\n/.exec(out)?.[1], `hotpod up prints KUBECONFIG=\n${out}`, 60_000, 100);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const c = kc.getCurrentCluster()!;
  const cluster = {
    kubeconfigPath,
    url: c.server,
    token: kc.getCurrentUser()!.token!,
    caPem: Buffer.from(c.caData!, 'base64').toString(),
    homeFor: () => home,
  } as unknown as Cluster;
  return { proc, log: () => out, cluster, dataDir };
}

const hotpod = (args: string[]) => runHotpod(args);

/** A line-oriented client on one TCP connection that must stay open throughout. */
class Client {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiters.shift()?.(line);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }
  static connect(port: number, host: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  ask(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${cmd}`)), 5000);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.socket.write(`${cmd}\n`);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// A game server that serves its own state on its pod IP only: {"players": n}, one player
// leaving on every request, so that it is empty after a few.
const ROOMS = `
let players = 3;
require('http').createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ players, ip: process.env.POD_IP }));
  if (players > 0) players--;
}).listen(Number(process.env.PORT), process.env.POD_IP, () => console.log('serving on ' + process.env.POD_IP + ':' + process.env.PORT));
setInterval(() => {}, 1000);
`;

describe('process runtime end to end (hotpod up --nodes 1)', { timeout: 300_000 }, () => {
  let up: Up;
  let root: string;
  let home: string;
  let port: number;
  const k = kubectls().find((x) => x.version === '1.35') ?? kubectls()[0]!;
  const kubectl = (args: string[]) => kubectlOk(k, up.cluster, args);
  const getPod = (name: string): Promise<Json> => apiOk(up.cluster, 'GET', `/api/v1/namespaces/default/pods/${name}`);
  const status = (pod: Json, name: string): Json => pod.status?.containerStatuses?.find((s: Json) => s.name === name);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hotpod-e2e-'));
    home = mkdtempSync(join(tmpdir(), 'hotpod-e2e-home-'));
    const dataDir = join(root, 'data');
    const store = new ImageStore(dataDir);
    const build = (name: string, files: Record<string, string>, cmd: string[]) => {
      const dir = join(root, 'build', name.replace(':', '-'));
      mkdirSync(dir, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      writeFileSync(join(dir, 'hotpod-image.json'), JSON.stringify({ cmd }));
      store.build(dir, [name]);
    };
    build('game:1', { 'server.cjs': SERVER }, ['node', 'server.cjs']);
    build('motd:1', { 'sidecar.cjs': SIDECAR, 'motd.txt': 'welcome to season 1\n' }, ['node', 'sidecar.cjs']);
    build('motd:2', { 'sidecar.cjs': SIDECAR, 'motd.txt': 'welcome to season 2\n' }, ['node', 'sidecar.cjs']);
    build('rooms:1', { 'rooms.cjs': ROOMS }, ['node', 'rooms.cjs']);
    port = await freePort();
    up = await hotpodUp(dataDir, home);
    await waitFor(async () => (await apiOk(up.cluster, 'GET', '/api/v1/nodes')).items.length === 1, 'one node registered', 30_000);
  });
  after(async () => {
    if (up && up.proc.exitCode === null) {
      up.proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          up.proc.kill('SIGKILL');
          r(null);
        }, 20_000);
        up.proc.on('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    if (root) rmSync(root, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs the game server and the sidecar, hot-patches the sidecar, and the server keeps its connections', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'arena-0', annotations: { 'hotpod.dev/reload-signal.motd': 'SIGHUP' } },
      spec: {
        terminationGracePeriodSeconds: 5,
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          {
            name: 'game',
            image: 'game:1',
            env: [{ name: 'PORT', value: String(port) }],
            ports: [{ name: 'game', containerPort: port }],
            readinessProbe: { tcpSocket: { port: 'game' }, periodSeconds: 1 },
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
          { name: 'motd', image: 'motd:1', volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
        ],
      },
    };
    await runKubectl(k, up.cluster, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await waitFor(async () => / 2\/2 +Running +0 /.test(await kubectl(['get', 'pod', 'arena-0', '--no-headers'])), 'arena-0 is 2/2 Running', 60_000, 250);

    const client = await Client.connect(port, (await getPod('arena-0')).status.podIP);
    const pid = await client.ask('pid');
    assert.equal(await client.ask('motd'), 'welcome to season 1');
    const before = await getPod('arena-0');
    const sidecarBefore = status(before, 'motd');
    const gameBefore = status(before, 'game');

    await kubectl(['annotate', 'pod', 'arena-0', 'io.kubernetes.hotpatch.container=true']);
    await kubectl(['set', 'image', 'pod/arena-0', 'motd=motd:2']);
    await waitFor(async () => status(await getPod('arena-0'), 'motd')?.image === 'motd:2', 'status shows the new sidecar image', 30_000, 250);
    await waitFor(async () => (await client.ask('motd')) === 'welcome to season 2', 'the server sees the new file', 15_000, 250);

    const after_ = await getPod('arena-0');
    const sidecarAfter = status(after_, 'motd');
    assert.equal(sidecarAfter.containerID, sidecarBefore.containerID, 'hot-patch keeps the container');
    assert.equal(sidecarAfter.restartCount, 0);
    assert.equal(sidecarAfter.state.running.startedAt, sidecarBefore.state.running.startedAt);
    assert.notEqual(sidecarAfter.imageID, sidecarBefore.imageID);
    assert.equal(status(after_, 'game').containerID, gameBefore.containerID, 'the server container is untouched');
    assert.equal(after_.metadata.uid, before.metadata.uid);
    assert.equal(await client.ask('pid'), pid, 'same server process');
    assert.equal(client.closed, false, 'the connection survived');

    const logs = await kubectl(['logs', 'arena-0', '-c', 'motd']);
    assert.match(logs, /^published welcome to season 1\nrepublished welcome to season 2\n$/);
    assert.match(await kubectl(['logs', 'arena-0', '-c', 'game', '--timestamps']), /Z game server listening on \d+\n/);

    const ps = await hotpod(['node', 'ps', '--data-dir', up.dataDir]);
    assert.equal(ps.code, 0, ps.stderr);
    const line = ps.stdout.split('\n').find((l) => l.includes('k8s_motd_arena-0_default_'));
    assert.ok(line, ps.stdout);
    assert.ok(line.startsWith(sidecarBefore.containerID.replace(/^\w+:\/\//, '').slice(0, 12)), line);
    assert.match(line, /\bmotd:2\b.*\bUp /);
    client.close();
  });

  it('kubectl exec runs a command in the game container: its files, its env, stdin, the exit code', async () => {
    const sdk130 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.30';
    const clients = [k, ...(existsSync(sdk130) ? [{ version: '1.30', path: sdk130 }] : [])];
    for (const kc of clients) {
      const run = (args: string[], input?: string) => runKubectl(kc, up.cluster, ['exec', ...(input !== undefined ? ['-i'] : []), 'arena-0', '-c', 'game', '--', ...args], input !== undefined ? { input } : {});
      const file = await run(['cat', 'server.cjs']);
      assert.equal(file.code, 0, `${kc.version}: ${file.stderr}`);
      assert.equal(file.stdout, SERVER, `kubectl ${kc.version}: the container's own files, from its working directory`);
      const env = await run(['node', '-e', 'console.log(process.env.PORT, process.env.HOSTNAME, /^127\\./.test(process.env.POD_IP))']);
      assert.equal(env.stdout, `${port} arena-0 true\n`, `kubectl ${kc.version}: the container's environment`);
      const echo = await run(['node', '-e', 'process.stdin.on("data", (d) => process.stdout.write(String(d).toUpperCase()))'], 'hello game\n');
      assert.equal(echo.stdout, 'HELLO GAME\n', `kubectl ${kc.version}: stdin, to its end`);
      const exit = await run(['node', '-e', 'console.error("bye"); process.exit(7)']);
      assert.deepEqual([exit.code, exit.stderr.split('\n')[0]], [7, 'bye'], `kubectl ${kc.version}: the exit code`);
      const missing = await run(['no-such-tool']);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /no-such-tool.*not found/);
    }
  });

  it('a downwardAPI volume shows the pod\'s annotations in the container, and their changes while it runs', async () => {
    const infoPort = await freePort();
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'info-0', labels: { app: 'arena' }, annotations: { 'game.example.com/season': '1' } },
      spec: {
        terminationGracePeriodSeconds: 5,
        volumes: [{ name: 'podinfo', downwardAPI: { items: [
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          { path: 'meta/app', fieldRef: { fieldPath: "metadata.labels['app']" } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
        ] } }],
        containers: [{
          name: 'game',
          image: 'game:1',
          env: [{ name: 'PORT', value: String(infoPort) }],
          ports: [{ name: 'game', containerPort: infoPort }],
          readinessProbe: { tcpSocket: { port: 'game' }, periodSeconds: 1 },
          volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }],
        }],
      },
    };
    await runKubectl(k, up.cluster, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await waitFor(async () => / 1\/1 +Running +0 /.test(await kubectl(['get', 'pod', 'info-0', '--no-headers'])), 'info-0 is 1/1 Running', 60_000, 250);
    const client = await Client.connect(infoPort, (await getPod('info-0')).status.podIP);
    const cat = async (f: string) => JSON.parse(await client.ask(`cat etc/podinfo/${f}`));
    assert.equal(await cat('name'), 'info-0');
    assert.equal(await cat('meta/app'), 'arena');
    const first = await cat('annotations');
    assert.match(first, /^game\.example\.com\/season="1"$/m);

    // What an Allocated server waiting for its update is told: read while the server runs.
    await kubectl(['annotate', 'pod', 'info-0', 'hotpod.dev/update-pending=info-rev-2', 'game.example.com/season=2', '--overwrite']);
    const seen = await waitFor(async () => {
      const text = await cat('annotations');
      return /^hotpod\.dev\/update-pending="info-rev-2"$/m.test(text) ? text : undefined;
    }, 'the container reads the new annotation', 30_000, 250);
    assert.match(seen, /^game\.example\.com\/season="2"$/m);
    const lines = seen.split('\n');
    assert.deepEqual([...lines].sort(), lines, 'kubelet\'s format: sorted key="value" lines');
    const pod = await getPod('info-0');
    assert.equal(status(pod, 'game').restartCount, 0, 'no restart to see it');
    client.close();
    await kubectl(['delete', 'pod', 'info-0', '--wait=true', '--timeout=60s']);
  });

  it("a GameDeployment's pre-delete web hook asks the pod itself, on its loopback pod IP, and the pod goes once it is empty", async () => {
    const roomsPort = await freePort();
    const template = {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'HookTemplate',
      metadata: { name: 'empty', namespace: 'default' },
      spec: {
        args: [{ name: 'PodIP' }, { name: 'port' }],
        metrics: [{ name: 'players', interval: '2s', failureLimit: 100, successfulLimit: 1, successCondition: 'asInt(result) == 0', provider: { web: { url: 'http://{{ args.PodIP }}:{{ args.port }}/', jsonPath: '{$.players}' } } }],
      },
    };
    const gd = {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'GameDeployment',
      metadata: { name: 'rooms', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'rooms' } },
        template: { metadata: { labels: { app: 'rooms' } }, spec: { containers: [{ name: 'rooms', image: 'rooms:1', env: [{ name: 'PORT', value: String(roomsPort) }] }] } },
        preDeleteUpdateStrategy: { hook: { templateName: 'empty', args: [{ name: 'port', value: String(roomsPort) }] } },
      },
    };
    await runKubectl(k, up.cluster, ['apply', '-f', '-'], { input: JSON.stringify(template) });
    await runKubectl(k, up.cluster, ['apply', '-f', '-'], { input: JSON.stringify(gd) });
    const pods = () => apiOk(up.cluster, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Drooms');
    const pod = await waitFor(async () => {
      const p = (await pods()).items[0];
      return p?.status?.phase === 'Running' && /^127\./.test(p.status.podIP ?? '') ? p : undefined;
    }, 'the rooms pod running with a loopback IP', 60_000, 250);
    assert.match(pod.status.podIP, /^127\.\d+\.1\.\d+$/, "node-1's pod CIDR");
    assert.match(pod.status.hostIP, /^127\.\d+\.1\.1$/);
    // The pod's own IP: which loopback block a plane gets depends on the planes already running.
    await waitFor(async () => ((await kubectl(['logs', pod.metadata.name])).includes(`serving on ${pod.status.podIP}:`) ? true : undefined), 'the server bound its pod IP', 30_000, 250);

    await kubectl(['scale', 'gamedeployment', 'rooms', '--replicas=0']);
    // The run is pruned as soon as its pod is gone: look at it while the pod waits.
    const run = await waitFor(async () => {
      const r = (await apiOk(up.cluster, 'GET', '/apis/tkex.tencent.com/v1alpha1/namespaces/default/hookruns')).items.find((x: Json) => x.metadata.labels?.['hookrun-type'] === 'pre-delete-step');
      return r?.status?.metricResults?.[0]?.measurements?.length ? r : undefined;
    }, 'the pre-delete run measured', 60_000, 100);
    assert.equal(run.spec.args.find((a: Json) => a.name === 'PodIP').value, pod.status.podIP);
    const first = run.status.metricResults[0].measurements[0];
    assert.deepEqual([first.phase, first.value], ['Failed', '3'], 'the pod itself answered: 3 players');
    assert.equal((await pods()).items.length, 1, 'the pod waits while it has players');
    await waitFor(async () => ((await pods()).items.length === 0 ? true : undefined), 'the pod deleted', 60_000, 250);
    const events = (await apiOk(up.cluster, 'GET', '/api/v1/namespaces/default/events')).items as Json[];
    assert.ok(events.some((e) => e.involvedObject.name === run.metadata.name && /hook completed Successful/.test(e.message)), 'its run passed first');
  });

  it('deleting the pod stops the server gracefully', async () => {
    const client = await Client.connect(port, (await getPod('arena-0')).status.podIP);
    await kubectl(['delete', 'pod', 'arena-0', '--wait=true', '--timeout=60s']);
    await waitFor(() => client.closed, 'the server closed its connections', 10_000, 100);
    const logFile = up.log();
    assert.doesNotMatch(logFile, /"level":(50|60)/, 'no errors logged');
  });

  it('a command that does not exist ends in StartError and CrashLoopBackOff; a closed port is never ready', async () => {
    const pod = (name: string, container: Json) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [container] } });
    await apiOk(up.cluster, 'POST', '/api/v1/namespaces/default/pods', pod('no-such-command', { name: 'c', image: 'game:1', command: ['foo'] }));
    const [serving, closed] = [await freePort(), await freePort()];
    await apiOk(up.cluster, 'POST', '/api/v1/namespaces/default/pods', pod('never-ready', { name: 'c', image: 'game:1', env: [{ name: 'PORT', value: String(serving) }], readinessProbe: { tcpSocket: { port: closed }, periodSeconds: 1 } }));
    const crashed = await waitFor(async () => {
      const s = status(await getPod('no-such-command'), 'c');
      return s?.lastState?.terminated?.reason === 'StartError' ? s : undefined;
    }, 'StartError reported', 60_000, 250);
    assert.equal(crashed.lastState.terminated.exitCode, 128);
    assert.match(crashed.lastState.terminated.message, /exec: "foo": executable file not found in \$PATH/);
    await waitFor(async () => status(await getPod('no-such-command'), 'c')?.state?.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff', 60_000, 250);
    assert.match(await kubectl(['logs', 'no-such-command']), /executable file not found/, 'the last attempt says why');
    await waitFor(async () => status(await getPod('never-ready'), 'c')?.state?.running, 'never-ready runs', 30_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    const nr = await getPod('never-ready');
    assert.equal(status(nr, 'c').ready, false);
    assert.equal(nr.status.conditions.find((c: Json) => c.type === 'Ready')?.status, 'False');
    assert.match(await kubectl(['get', 'pod', 'never-ready', '--no-headers']), / 0\/1 +Running /);
    assert.equal(up.proc.exitCode, null, 'the agent is still up');
  });
});
