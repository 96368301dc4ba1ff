// The probes that dial a pod (src/util/network-probes.ts) against real loopback servers: a TCP
// listener, an HTTP server that checks kubelet's headers, and a gRPC server with the standard
// health service (grpc-health-check), each passing and failing as kubelet's probes do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { dialProbe } from '../../src/util/network-probes.js';

const POD_IP = '127.0.0.1';

describe('network probes', () => {
  let tcp: net.Server;
  let web: http.Server;
  let grpc: Server;
  let health: HealthImplementation;
  let tcpPort = 0;
  let webPort = 0;
  let grpcPort = 0;
  const seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, POD_IP, r));
    tcpPort = (tcp.address() as AddressInfo).port;
    web = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(req.url === '/healthy' ? 200 : req.url === '/moved' ? 302 : 500).end();
    });
    await new Promise<void>((r) => web.listen(0, POD_IP, r));
    webPort = (web.address() as AddressInfo).port;
    grpc = new Server();
    health = new HealthImplementation({ '': 'SERVING', match: 'NOT_SERVING' });
    health.addToServer(grpc);
    grpcPort = await new Promise<number>((res, rej) => grpc.bindAsync(`${POD_IP}:0`, ServerCredentials.createInsecure(), (err, port) => (err ? rej(err) : res(port))));
  });
  after(async () => {
    tcp?.close();
    web?.close();
    grpc?.forceShutdown();
  });

  const at = { podIP: POD_IP, ports: [{ name: 'game', containerPort: 0 }] };

  it('tcpSocket: a listener passes, a closed port fails; a named port resolves through the container', async () => {
    assert.equal(await dialProbe({ tcpSocket: { port: tcpPort } }, at, 1000), true);
    assert.equal(await dialProbe({ tcpSocket: { port: 'game' } }, { podIP: POD_IP, ports: [{ name: 'game', containerPort: tcpPort }] }, 1000), true);
    tcp.close();
    assert.equal(await dialProbe({ tcpSocket: { port: tcpPort } }, at, 1000), false);
    assert.equal(await dialProbe({ tcpSocket: { port: 'nope' } }, at, 1000), false, 'a port name the container lacks');
  });

  it('httpGet: 200-399 passes, 500 fails; kubelet\'s User-Agent and the probe\'s headers are sent', async () => {
    assert.equal(await dialProbe({ httpGet: { port: webPort, path: '/healthy', httpHeaders: [{ name: 'X-Game', value: 'arena' }] } }, at, 1000), true);
    assert.equal(await dialProbe({ httpGet: { port: String(webPort), path: '/moved' } }, at, 1000), true);
    assert.equal(await dialProbe({ httpGet: { port: webPort, path: '/broken' } }, at, 1000), false);
    assert.match(String(seen[0]!['user-agent']), /^kube-probe\//);
    assert.equal(seen[0]!['x-game'], 'arena');
  });

  it('grpc: SERVING passes; NOT_SERVING, an unknown service and nothing listening fail', async () => {
    assert.equal(await dialProbe({ grpc: { port: grpcPort } }, at, 1000), true, 'the server as a whole (service "")');
    assert.equal(await dialProbe({ grpc: { port: grpcPort, service: 'match' } }, at, 1000), false);
    health.setStatus('match', 'SERVING');
    assert.equal(await dialProbe({ grpc: { port: grpcPort, service: 'match' } }, at, 1000), true, 'the same service once it serves');
    assert.equal(await dialProbe({ grpc: { port: grpcPort, service: 'lobby' } }, at, 1000), false, 'NOT_FOUND');
    assert.equal(await dialProbe({ grpc: { port: tcpPort } }, at, 1000), false, 'nothing listening there any more');
  });

  it('no dialling handler: false', async () => {
    assert.equal(await dialProbe({}, at, 1000), false);
  });
});
