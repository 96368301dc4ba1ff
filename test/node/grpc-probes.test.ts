// gRPC probes on the embedded node, end to end through kubectl 1.35: a process-runtime pod whose
// readinessProbe is `grpc` turns Ready when the grpc.health.v1 service on its pod IP answers
// SERVING and leaves service when it answers NOT_SERVING; a GameServerSet's serviceQuality with
// `grpc` turns the answer into the GameServer's opsState. The health server is this test's own
// (the standard grpc-health-check implementation), listening on the pod's loopback address as
// the game server inside the pod would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { apiOk, waitFor, type Cluster } from '../helpers/cluster.js';
import { startProcessCluster, type ProcessCluster } from '../helpers/process-cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { WAIT_MS, kubectl, namespace, type Json } from '../gameserverset/helpers.js';

const IDLE = `process.on('SIGTERM', () => process.exit(0));\nsetInterval(() => {}, 1000);\n`;

/** A health server on the pod's address, as the game inside the pod would serve it. */
async function healthServer(ip: string, port: number, statuses: Record<string, 'SERVING' | 'NOT_SERVING'>): Promise<{ health: HealthImplementation; stop(): void }> {
  const server = new Server();
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  await new Promise<number>((res, rej) => server.bindAsync(`${ip}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p))));
  return { health, stop: () => server.forceShutdown() };
}

const ready = (pod: Json) => (pod.status?.conditions ?? []).some((x: Json) => x.type === 'Ready' && x.status === 'True');

describe('gRPC probes (process runtime)', { timeout: 300_000 }, () => {
  let pc: ProcessCluster;
  let c: Cluster;
  const servers: { stop(): void }[] = [];

  before(async () => {
    delete process.env.HOTPOD_NO_CONTROLLER;
    pc = await startProcessCluster('grpc-probes', { 'idle:1': { files: { 'idle.cjs': IDLE }, cmd: ['node', 'idle.cjs'] } });
    c = pc.cluster;
  });
  after(async () => {
    for (const s of servers) s.stop();
    await pc?.cleanup();
  });

  it('a grpc readinessProbe: Ready once the service answers SERVING, not Ready on NOT_SERVING', async () => {
    const ns = await namespace(c, 'grpc-ready');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'match', namespace: ns },
      spec: { containers: [{ name: 'game', image: 'idle:1', readinessProbe: { grpc: { port: 50051, service: 'match' }, periodSeconds: 1, failureThreshold: 1 } }] },
    };
    await kubectl(c, ns, ['apply', '-f', '-'], { input: toYaml(pod) });
    const path = `/api/v1/namespaces/${ns}/pods/match`;
    const running = await waitFor(async () => {
      const p = await apiOk(c, 'GET', path);
      return p.status?.phase === 'Running' && p.status?.podIP ? p : undefined;
    }, 'the pod running with an IP', WAIT_MS);
    assert.equal(ready(running), false, 'nothing answers on its gRPC port yet');

    const server = await healthServer(running.status.podIP, 50051, { match: 'SERVING' });
    servers.push(server);
    await waitFor(async () => ready(await apiOk(c, 'GET', path)), 'Ready once the health service answers SERVING', WAIT_MS);
    assert.match(await kubectl(c, ns, ['get', 'pod', 'match']), /match\s+1\/1\s+Running/);
    server.health.setStatus('match', 'NOT_SERVING');
    await waitFor(async () => !ready(await apiOk(c, 'GET', path)), 'not Ready once it answers NOT_SERVING', WAIT_MS);
  });

  it("a serviceQuality with grpc: the GameServer's opsState follows the health service", async () => {
    const ns = await namespace(c, 'grpc-quality');
    const gss = {
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: 'arena', namespace: ns },
      spec: {
        replicas: 1,
        gameServerTemplate: { spec: { containers: [{ name: 'game', image: 'idle:1' }] } },
        serviceQualities: [
          {
            name: 'idle',
            containerName: 'game',
            permanent: false,
            periodSeconds: 1,
            grpc: { port: 50052, service: 'idle' },
            serviceQualityAction: [
              { state: true, opsState: 'WaitToBeDeleted' },
              { state: false, opsState: 'None' },
            ],
          },
        ],
      },
    };
    await kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: toYaml(gss) });
    const gsPath = `/apis/game.kruise.io/v1alpha1/namespaces/${ns}/gameservers/arena-0`;
    const pod = await waitFor(async () => {
      const p = await apiOk(c, 'GET', `/api/v1/namespaces/${ns}/pods/arena-0`);
      return p.status?.phase === 'Running' && p.status?.podIP ? p : undefined;
    }, 'arena-0 running with an IP', WAIT_MS);
    // Nothing listens yet: the probe fails, and the false action keeps opsState None.
    const failing = await waitFor(async () => {
      const gs = await apiOk(c, 'GET', gsPath);
      return ((gs.status?.serviceQualitiesConditions ?? []) as Json[]).find((q) => q.name === 'idle' && q.status === 'False') ? gs : undefined;
    }, 'the quality reported False', WAIT_MS);
    assert.equal(failing.spec.opsState, 'None');

    const server = await healthServer(pod.status.podIP, 50052, { idle: 'SERVING' });
    servers.push(server);
    await waitFor(async () => (await apiOk(c, 'GET', gsPath)).spec?.opsState === 'WaitToBeDeleted', 'opsState WaitToBeDeleted once the server says it is idle', WAIT_MS);
    assert.match(await kubectl(c, ns, ['get', 'gs', 'arena-0']), /arena-0\s+Ready\s+WaitToBeDeleted/);
    server.health.setStatus('idle', 'NOT_SERVING');
    await waitFor(async () => (await apiOk(c, 'GET', gsPath)).spec?.opsState === 'None', 'opsState None again once it is not', WAIT_MS);
  });
});
