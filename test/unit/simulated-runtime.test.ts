import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedRuntime, simBehaviour, simulatedImageId } from '../../src/node/runtime/simulated.js';
import { ImagePullError, type ExitInfo, type PodContext } from '../../src/node/runtime/types.js';
import { cpuMilli, memoryBytes } from '../../src/util/quantity.js';

function ctx(annotations: Record<string, string> = {}, uid = 'u1'): PodContext {
  return { uid, namespace: 'default', name: 'web', annotations, podDir: '/nonexistent', volumeDirs: [], podIP: '127.100.1.2' };
}

test('behaviour: per-container annotation over pod-wide over node default', () => {
  const b = simBehaviour(
    { 'sim.hotpod.dev/start-delay-ms': '100', 'sim.hotpod.dev/start-delay-ms.app': '200', 'sim.hotpod.dev/never-ready.side': 'true', 'sim.hotpod.dev/crash-after-ms': 'nonsense' },
    'app',
    { readyDelayMs: 50 },
  );
  assert.equal(b.startDelayMs, 200);
  assert.equal(b.readyDelayMs, 50);
  assert.equal(b.neverReady, false);
  assert.equal(b.crashAfterMs, undefined, 'an unreadable number is ignored');
  assert.equal(simBehaviour({ 'sim.hotpod.dev/never-ready.side': 'true' }, 'side').neverReady, true);
  assert.equal(simBehaviour({ 'sim.hotpod.dev/start-delay-ms': '100' }, 'other').startDelayMs, 100);
});

test('image IDs come from the reference; the reserved registry cannot be pulled', async () => {
  const rt = new SimulatedRuntime({ node: 'node-1' });
  const v1 = await rt.pull('game/server:v1');
  assert.match(v1, /^docker-pullable:\/\/docker\.io\/game\/server@sha256:[0-9a-f]{64}$/);
  assert.equal(await rt.pull('game/server:v1'), v1);
  assert.notEqual(await rt.pull('game/server:v2'), v1);
  assert.equal(simulatedImageId('game/server:v1'), v1);
  await assert.rejects(rt.pull('missing.hotpod.dev/game:v1'), (err: unknown) => err instanceof ImagePullError && /not found/.test(err.message));
});

test('containers: deterministic IDs, crash after N ms, graceful and forced stops', async () => {
  const a = new SimulatedRuntime({ node: 'node-1' });
  const b = new SimulatedRuntime({ node: 'node-1' });
  const spec = { name: 'app', image: 'game:v1' };
  const ia = await a.start(ctx(), spec, () => {});
  const ib = await b.start(ctx(), spec, () => {});
  assert.equal(ia.id, ib.id, 'same node, pod and attempt give the same ID');
  const again = await a.start(ctx(), spec, () => {});
  assert.notEqual(again.id, ia.id, 'the next attempt gets a new ID');

  const exits: ExitInfo[] = [];
  const crashing = await a.start(ctx({ 'sim.hotpod.dev/crash-after-ms': '30', 'sim.hotpod.dev/exit-code': '3' }, 'u2'), spec, (e) => exits.push(e));
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(exits.map((e) => [e.exitCode, e.reason]), [[3, 'Error']]);
  assert.equal((await a.stop(crashing.id, 30)).exitCode, 3, 'stopping an exited container returns its exit');

  const slow = await a.start(ctx({ 'sim.hotpod.dev/stop-delay-ms': '5000' }, 'u3'), spec, () => {});
  const started = Date.now();
  const killed = await a.stop(slow.id, 0.05);
  assert.deepEqual([killed.exitCode, killed.reason, killed.signal], [137, 'Error', 9]);
  assert.ok(Date.now() - started < 1000, 'killed at the end of the grace period');
  const polite = await a.start(ctx({}, 'u4'), spec, () => {});
  assert.deepEqual([(await a.stop(polite.id, 30)).exitCode], [0]);
});

test('crash-times: only the first instances crash', async () => {
  const rt = new SimulatedRuntime({ node: 'n' });
  const pod = ctx({ 'sim.hotpod.dev/crash-after-ms': '10', 'sim.hotpod.dev/crash-times': '1' });
  const exits: string[] = [];
  const first = await rt.start(pod, { name: 'app', image: 'x:1' }, () => exits.push('first'));
  const second = await rt.start(pod, { name: 'app', image: 'x:1' }, () => exits.push('second'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(exits, ['first']);
  assert.notEqual(first.id, second.id);
  await rt.stop(second.id, 0);
});

test('probes and readiness answer from the data; hot-patch keeps ID and start time', async () => {
  const rt = new SimulatedRuntime({ node: 'n' });
  const pod = ctx({ 'sim.hotpod.dev/ready-delay-ms': '40', 'sim.hotpod.dev/liveness-fail-after-ms.app': '40', 'sim.hotpod.dev/never-ready.side': 'true' });
  const app = await rt.start(pod, { name: 'app', image: 'x:1' }, () => {});
  const side = await rt.start(pod, { name: 'side', image: 'y:1' }, () => {});
  assert.equal(await rt.probe(app.id, {}, pod, 'readiness'), false);
  assert.equal(await rt.probe(app.id, {}, pod, 'liveness'), true);
  assert.equal(rt.readinessWithoutProbe(app.id).ready, false);
  assert.ok((rt.readinessWithoutProbe(app.id).recheckInMs ?? 0) > 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await rt.probe(app.id, {}, pod, 'readiness'), true);
  assert.equal(await rt.probe(app.id, {}, pod, 'liveness'), false);
  assert.deepEqual(rt.readinessWithoutProbe(app.id), { ready: true });
  assert.equal(await rt.probe(side.id, {}, pod, 'readiness'), false);

  const patched = await rt.hotPatch(app.id, 'x:2', pod);
  assert.deepEqual([patched.id, patched.startedAt, patched.image], [app.id, app.startedAt, 'x:2']);
  assert.notEqual(patched.imageID, app.imageID);
  await assert.rejects(rt.hotPatch(app.id, 'missing.hotpod.dev/x:3', pod), ImagePullError);
  assert.equal(rt.list().length, 2);
  await rt.removePod(pod);
  assert.equal(rt.list().length, 0);
});

test('quantities', () => {
  assert.deepEqual([cpuMilli('100m'), cpuMilli('0.5'), cpuMilli('2'), cpuMilli(1), cpuMilli('bad')], [100, 500, 2000, 1000, 0]);
  assert.deepEqual([memoryBytes('1Ki'), memoryBytes('1M'), memoryBytes('1e3'), memoryBytes('128Mi')], [1024, 1e6, 1000, 128 * 2 ** 20]);
});
