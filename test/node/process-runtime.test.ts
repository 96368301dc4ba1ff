// ProcessRuntime on its own: real processes from a built image, env, volumes, stop, exit
// reasons, start errors, probes, logs and hot-patch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { ProcessRuntime, reloadSignal } from '../../src/node/runtime/process.js';
import { ContainerStartError, ImagePullError, type ContainerInfo, type ContainerSpec, type ExitInfo, type PodContext } from '../../src/node/runtime/types.js';
import { readContainerLog } from '../../src/node/container-logs.js';
import { buildTestImages, freePort, podContext, quietLogger, type TestImages } from './process-fixtures.js';
import { waitFor } from '../helpers/cluster.js';

interface Started {
  info: ContainerInfo;
  exited: Promise<ExitInfo>;
  exitCount: () => number;
}

async function readLog(rt: ProcessRuntime, id: string, opts: Parameters<typeof readContainerLog>[1] = {}): Promise<string> {
  const path = rt.logPath(id);
  if (!path) return '';
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await readContainerLog(path, opts, out);
  return text;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ProcessRuntime', { timeout: 120_000 }, () => {
  let images: TestImages;
  let rt: ProcessRuntime;

  const start = async (pod: PodContext, spec: ContainerSpec): Promise<Started> => {
    let count = 0;
    let resolve!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (resolve = r));
    const info = await rt.start(pod, spec, (e) => {
      count++;
      resolve(e);
    });
    return { info, exited, exitCount: () => count };
  };

  before(() => {
    images = buildTestImages();
    rt = new ProcessRuntime({ dataDir: images.dataDir, logger: quietLogger });
  });
  after(async () => {
    await rt?.stopAll(0);
    if (images) rmSync(images.dataDir, { recursive: true, force: true });
  });

  it('knows which images it can run, and pulls only those', async () => {
    assert.equal(rt.canRun('tools:1'), true);
    assert.equal(rt.canRun('tools'), false, 'tools:latest was never built');
    assert.equal(rt.canRun('registry.example/arena:1.0'), false);
    assert.match(await rt.pull('tools:1'), /^docker-pullable:\/\/tools@sha256:[0-9a-f]{64}$/);
    await assert.rejects(rt.pull('nope:1'), (e: unknown) => e instanceof ImagePullError && /not found in the hotpod image store/.test(e.message));
    await assert.rejects(rt.start(podContext(images.dataDir), { name: 'c', image: 'nope:1' }, () => {}), ImagePullError);
  });

  it('runs the image entrypoint and cmd with the image env, the pod env and HOSTNAME, in the rootfs', async () => {
    const pod = podContext(images.dataDir, { name: 'envpod' });
    const c = await start(pod, { name: 'main', image: 'tools:1', env: [{ name: 'GREETING', value: 'pod' }, { name: 'COMBINED', value: '$(GREETING)-$(FROM_IMAGE)-$$(X)' }] });
    assert.equal(c.info.id.length, 64);
    assert.ok(c.info.pid, 'has a pid');
    assert.equal(c.info.command, 'node print.cjs from-image-cmd');
    assert.deepEqual(c.info.pod, { namespace: 'default', name: 'envpod', uid: pod.uid });
    const exit = await c.exited;
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.reason, 'Completed');
    const log = await readLog(rt, c.info.id);
    assert.match(log, /^argv=\["from-image-cmd"\]$/m);
    assert.match(log, /^GREETING=pod$/m);
    assert.match(log, /^FROM_IMAGE=yes$/m);
    assert.match(log, /^HOSTNAME=envpod$/m);
    assert.match(log, /^COMBINED=pod-yes-\$\(X\)$/m);
    assert.match(log, /^POD_NAME=$/m, 'POD_NAME only when the pod sets it');
    assert.match(log, /^cwd=$/m, 'runs at / of its rootfs');
    assert.match(log, /^to stderr$/m);
    assert.equal(c.exitCount(), 1);
  });

  it('follows Kubernetes command/args rules and the working dir', async () => {
    const pod = podContext(images.dataDir);
    const onlyArgs = await start(pod, { name: 'a', image: 'tools:1', args: ['print.cjs', 'x', 'y'] });
    await onlyArgs.exited;
    assert.match(await readLog(rt, onlyArgs.info.id), /^argv=\["x","y"\]$/m, 'args replace cmd, entrypoint stays');
    const withCommand = await start(pod, { name: 'b', image: 'tools:1', command: ['node', '../../print.cjs'], workingDir: '/work/dir' });
    await withCommand.exited;
    const log = await readLog(rt, withCommand.info.id);
    assert.match(log, /^argv=\[\]$/m, 'command drops the image cmd');
    assert.match(log, /^cwd=work\/dir$/m, 'working dir created inside the rootfs');
  });

  it('reports exit codes: Completed for 0, Error otherwise', async () => {
    const c = await start(podContext(images.dataDir), { name: 'c', image: 'tools:1', env: [{ name: 'EXIT_CODE', value: '3' }] });
    const exit = await c.exited;
    assert.deepEqual({ code: exit.exitCode, reason: exit.reason }, { code: 3, reason: 'Error' });
    assert.ok(!Number.isNaN(Date.parse(exit.finishedAt)));
    const listed = rt.list().find((x) => x.id === c.info.id);
    assert.equal(listed?.exit?.exitCode, 3, 'list() keeps exited containers with their exit');
  });

  it('a command that does not exist: the container exits at once with StartError, the runtime stays up', async () => {
    const c = await start(podContext(images.dataDir), { name: 'bad', image: 'tools:1', command: ['foo'] });
    const exit = await c.exited;
    assert.equal(exit.exitCode, 128);
    assert.equal(exit.reason, 'StartError');
    assert.match(exit.message ?? '', /exec: "foo": executable file not found in \$PATH/);
    const missingPath = await start(podContext(images.dataDir), { name: 'bad2', image: 'tools:1', command: ['./missing.sh'] });
    assert.match((await missingPath.exited).message ?? '', /exec: "\.\/missing\.sh": stat \.\/missing\.sh: no such file or directory/);
    const notExecutable = await start(podContext(images.dataDir), { name: 'bad3', image: 'tools:1', command: ['/version.txt'] });
    assert.match((await notExecutable.exited).message ?? '', /permission denied/);
  });

  it('an image without entrypoint or cmd and no command: CreateContainerError', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = join(images.dataDir, 'build-empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'file.txt'), 'x');
    images.store.build(dir, ['empty:1']);
    await assert.rejects(rt.start(podContext(images.dataDir), { name: 'c', image: 'empty:1' }, () => {}), (e: unknown) => e instanceof ContainerStartError && e.reason === 'CreateContainerError' && /no command specified/.test(e.message));
  });

  it('shares emptyDir volumes between the containers of a pod through a symlink at the mountPath', async () => {
    const pod = podContext(images.dataDir, { name: 'shared', volumeDirs: ['scratch'] });
    const mount = [{ name: 'scratch', mountPath: '/data' }];
    const writer = await start(pod, { name: 'writer', image: 'tools:1', command: ['node', 'writer.cjs'], volumeMounts: mount });
    const reader = await start(pod, { name: 'reader', image: 'tools:1', command: ['node', 'reader.cjs'], volumeMounts: mount });
    await reader.exited;
    assert.match(await readLog(rt, reader.info.id), /^read: written by shared$/m);
    assert.equal(readFileSync(join(pod.podDir, 'volumes', 'scratch', 'from-writer.txt'), 'utf8'), 'written by shared');
    await rt.stop(writer.info.id, 1);
  });

  it('volumes work when the pod dir is relative (hotpod up with its default data dir .hotpod)', async () => {
    const ctx = podContext(images.dataDir, { volumeDirs: ['scratch'] });
    const pod = { ...ctx, podDir: relative(process.cwd(), ctx.podDir) };
    const mount = [{ name: 'scratch', mountPath: '/data' }];
    const writer = await start(pod, { name: 'writer', image: 'tools:1', command: ['node', 'writer.cjs'], volumeMounts: mount });
    await waitFor(() => existsSync(join(ctx.podDir, 'volumes', 'scratch', 'from-writer.txt')), 'the writer wrote through its mount', 20_000, 50);
    assert.equal(writer.exitCount(), 0, 'the writer is still running');
    await rt.stop(writer.info.id, 1);
  });

  it('stop: SIGTERM, and a process that handles it exits with its own code', async () => {
    const port = await freePort();
    const c = await start(podContext(images.dataDir), { name: 'srv', image: 'tools:1', command: ['node', 'serve.cjs'], env: [{ name: 'TCP_PORT', value: String(port) }] });
    await waitFor(async () => /tcp listening/.test(await readLog(rt, c.info.id)), 'server listening', 10_000, 50);
    const exit = await rt.stop(c.info.id, 5);
    assert.deepEqual({ code: exit.exitCode, reason: exit.reason }, { code: 0, reason: 'Completed' });
    assert.match(await readLog(rt, c.info.id), /got SIGTERM/);
    assert.equal(c.exitCount(), 1, 'onExit fires once');
    assert.deepEqual(await rt.stop(c.info.id, 5), exit, 'stopping again answers how it ended');
  });

  it('stop: SIGKILL to the whole process group after the grace period', async () => {
    const c = await start(podContext(images.dataDir), { name: 'stubborn', image: 'tools:1', command: ['node', 'stubborn.cjs'] });
    await waitFor(async () => /ready/.test(await readLog(rt, c.info.id)), 'stubborn ready', 10_000, 50);
    const rootfs = join(rt.logPath(c.info.id)!, '..', 'rootfs');
    const childPid = Number(readFileSync(join(rootfs, 'child.pid'), 'utf8'));
    assert.ok(alive(childPid));
    const t0 = Date.now();
    const exit = await rt.stop(c.info.id, 1);
    assert.ok(Date.now() - t0 >= 900, `waited the grace period (${Date.now() - t0} ms)`);
    assert.deepEqual({ code: exit.exitCode, reason: exit.reason, signal: exit.signal }, { code: 137, reason: 'Error', signal: 9 });
    await waitFor(() => !alive(childPid), 'the container child process is gone too', 5000, 50);
    assert.match(await readLog(rt, c.info.id), /ignoring SIGTERM/);
    assert.equal(existsSync(rootfs), false, 'an exited container keeps only its log');
  });

  it('probes: exec, tcpSocket (named port, closed port) and httpGet (2xx/3xx pass)', async () => {
    const [tcp, web, closed] = [await freePort(), await freePort(), await freePort()];
    const pod = podContext(images.dataDir);
    const c = await start(pod, {
      name: 'srv',
      image: 'tools:1',
      command: ['node', 'serve.cjs'],
      env: [{ name: 'TCP_PORT', value: String(tcp) }, { name: 'HTTP_PORT', value: String(web) }],
      ports: [{ name: 'game', containerPort: tcp }, { name: 'http', containerPort: web }],
    });
    await waitFor(() => rt.probe(c.info.id, { tcpSocket: { port: 'game' } }, pod), 'tcp probe on the named port passes', 10_000, 50);
    await waitFor(() => rt.probe(c.info.id, { httpGet: { port: 'http', path: '/' } }, pod), 'http probe passes', 10_000, 50);
    assert.equal(await rt.probe(c.info.id, { tcpSocket: { port: closed } }, pod), false, 'closed port');
    assert.equal(await rt.probe(c.info.id, { tcpSocket: { port: 'nosuchport' } }, pod), false, 'unknown named port');
    assert.equal(await rt.probe(c.info.id, { httpGet: { port: web, path: '/moved' } }, pod), true, '302 passes');
    assert.equal(await rt.probe(c.info.id, { httpGet: { port: web, path: '/fail' } }, pod), false, '500 fails');
    assert.equal(await rt.probe(c.info.id, { httpGet: { port: closed } }, pod), false, 'http on a closed port');
    assert.equal(await rt.probe(c.info.id, { exec: { command: ['bin/check.sh', 'version.txt'] } }, pod), true, 'exec exit 0, relative to the working dir');
    assert.equal(await rt.probe(c.info.id, { exec: { command: ['/bin/check.sh', 'missing.txt'] } }, pod), false, 'exec exit 1');
    assert.equal(await rt.probe(c.info.id, { exec: { command: ['no-such-binary'] } }, pod), false, 'exec of nothing');
    const t0 = Date.now();
    assert.equal(await rt.probe(c.info.id, { exec: { command: ['sh', '-c', 'sleep 5'] }, timeoutSeconds: 1 }, pod), false, 'exec timeout');
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(await rt.probe(c.info.id, { exec: { command: ['sh', '-c', 'test "$TCP_PORT" = ' + tcp] } }, pod), true, 'exec sees the container env');
    await rt.stop(c.info.id, 2);
    assert.equal(await rt.probe(c.info.id, { tcpSocket: { port: tcp } }, pod), false, 'an exited container fails every probe');
  });

  it('logs: timestamps, tail, and the previous container kept after a restart', async () => {
    const pod = podContext(images.dataDir);
    const first = await start(pod, { name: 'c', image: 'tools:1', args: ['print.cjs', 'first'] });
    await first.exited;
    const second = await start(pod, { name: 'c', image: 'tools:1', args: ['print.cjs', 'second'] });
    await second.exited;
    assert.equal(second.info.attempt, 1);
    assert.match(await readLog(rt, first.info.id), /argv=\["first"\]/, 'previous log still there');
    const stamped = await readLog(rt, second.info.id, { timestamps: true });
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z argv=\["second"\]$/m);
    assert.equal(await readLog(rt, second.info.id, { tailLines: 1 }), 'to stderr\n');
    const third = await start(pod, { name: 'c', image: 'tools:1', args: ['print.cjs', 'third'] });
    await third.exited;
    assert.equal(rt.logPath(first.info.id), undefined, 'only the latest exited container is kept besides the current one');
    assert.ok(rt.logPath(second.info.id));
  });

  it('hot-patch swaps the files in place, keeps pid, id and startedAt, and sends the reload signal', async () => {
    const pod = podContext(images.dataDir, { volumeDirs: ['state'], annotations: { 'hotpod.dev/reload-signal.game': 'SIGHUP' } });
    const c = await start(pod, { name: 'game', image: 'tools:1', command: ['node', 'reloader.cjs'], volumeMounts: [{ name: 'state', mountPath: '/state' }] });
    await waitFor(async () => /started: v1/.test(await readLog(rt, c.info.id)), 'started on v1', 10_000, 50);
    const rootfs = join(rt.logPath(c.info.id)!, '..', 'rootfs');
    const patched = await rt.hotPatch(c.info.id, 'tools:2', pod);
    assert.equal(patched.id, c.info.id);
    assert.equal(patched.pid, c.info.pid);
    assert.equal(patched.startedAt, c.info.startedAt);
    assert.equal(patched.image, 'tools:2');
    assert.notEqual(patched.imageID, c.info.imageID);
    assert.ok(alive(c.info.pid!));
    await waitFor(async () => /reloaded: v2/.test(await readLog(rt, c.info.id)), 'the process read the new file after SIGHUP', 10_000, 50);
    assert.equal(readFileSync(join(rootfs, 'version.txt'), 'utf8'), 'v2\n');
    assert.equal(existsSync(join(rootfs, 'only-in-v1.txt')), false, 'a file the new image drops is gone');
    assert.equal(readFileSync(join(rootfs, 'own.txt'), 'utf8'), 'mine', "the container's own files stay");
    assert.ok(existsSync(join(rootfs, 'state')), 'the volume mount stays');
    assert.equal(rt.list().find((x) => x.id === c.info.id)?.image, 'tools:2');
    assert.equal(c.exitCount(), 0);
    await assert.rejects(rt.hotPatch(c.info.id, 'nope:9', pod), ImagePullError);
    await rt.stop(c.info.id, 1);
    await assert.rejects(rt.hotPatch(c.info.id, 'tools:1', pod), /has exited/);
  });

  it('reload signal annotation: per container, then for all, by name or number', () => {
    assert.equal(reloadSignal({}, 'a'), undefined);
    assert.equal(reloadSignal({ 'hotpod.dev/reload-signal': 'hup' }, 'a'), 'SIGHUP');
    assert.equal(reloadSignal({ 'hotpod.dev/reload-signal': 'SIGHUP', 'hotpod.dev/reload-signal.a': 'SIGUSR2' }, 'a'), 'SIGUSR2');
    assert.equal(reloadSignal({ 'hotpod.dev/reload-signal.b': '10' }, 'b'), 'SIGUSR1');
    assert.equal(reloadSignal({ 'hotpod.dev/reload-signal': 'SIGNOPE' }, 'a'), null);
  });

  it('removePod forgets the pod and stops what still runs', async () => {
    const pod = podContext(images.dataDir);
    const c = await start(pod, { name: 'srv', image: 'tools:1', command: ['node', 'serve.cjs'] });
    await rt.removePod(pod);
    assert.equal((await c.exited).exitCode !== undefined, true);
    assert.equal(rt.list().some((x) => x.id === c.info.id), false);
  });
});
