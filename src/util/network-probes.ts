// The probes that dial a pod, as kubelet runs them: tcpSocket (a connection is accepted),
// httpGet (a status from 200 to 399; HTTPS without checking the certificate) and grpc (the
// grpc.health.v1 Health/Check of the named service answers SERVING). Each dials the pod's IP
// unless the probe names a host (grpc cannot). One implementation for the node agent's container
// probes and service qualities and for the controller's service qualities on other nodes.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export interface NetworkProbe {
  tcpSocket?: { port: number | string; host?: string };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  grpc?: { port: number; service?: string };
}

export interface ProbeAddress {
  /** The pod's IP; 127.0.0.1 when it has none yet. */
  podIP?: string;
  /** The container's ports, for a probe that names one. */
  ports?: readonly { name?: string; containerPort: number }[];
}

/** kubelet's User-Agent, which servers log and some check. */
const USER_AGENT = 'kube-probe/1.35';

export function isNetworkProbe(p: NetworkProbe): boolean {
  return !!(p.tcpSocket || p.httpGet || p.grpc);
}

/** Runs one tcpSocket, httpGet or grpc probe; false for anything else, or when it cannot dial. */
export function dialProbe(probe: NetworkProbe, at: ProbeAddress, timeoutMs: number): Promise<boolean> {
  const podIP = at.podIP || '127.0.0.1';
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, at.ports);
    return port === undefined ? Promise.resolve(false) : tcpProbe(probe.tcpSocket.host || podIP, port, timeoutMs);
  }
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, at.ports);
    return port === undefined ? Promise.resolve(false) : httpProbe(probe.httpGet, probe.httpGet.host || podIP, port, timeoutMs);
  }
  if (probe.grpc) {
    const port = resolvePort(probe.grpc.port, undefined);
    return port === undefined ? Promise.resolve(false) : grpcProbe(podIP, port, probe.grpc.service ?? '', timeoutMs);
  }
  return Promise.resolve(false);
}

/** A number, a numeric string, or the name of one of the container's ports. */
function resolvePort(port: number | string, ports: ProbeAddress['ports']): number | undefined {
  const n = typeof port === 'number' ? port : /^\d+$/.test(port) ? Number(port) : ports?.find((p) => p.name === port)?.containerPort;
  return n !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function httpProbe(get: NonNullable<NetworkProbe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<boolean> {
  const lib = (get.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
  for (const h of get.httpHeaders ?? []) if (h?.name) headers[h.name] = String(h.value ?? '');
  return new Promise((resolve) => {
    // kubelet does not verify the certificate of an HTTPS probe.
    const req = lib.request({ host, port, path: get.path || '/', method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

/** A fresh insecure connection per probe, as kubelet makes one; SERVING passes. */
function grpcProbe(host: string, port: number, serviceName: string, timeoutMs: number): Promise<boolean> {
  const target = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  // Never through an HTTP proxy from the environment: a probe goes straight to the pod, as kubelet's.
  const client = new HealthClient(target, credentials.createInsecure(), { 'grpc.primary_user_agent': USER_AGENT, 'grpc.enable_http_proxy': 0 });
  return new Promise<boolean>((resolve) => {
    client.Check({ service: serviceName }, { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: { status?: string }) => {
      resolve(!err && res?.status === 'SERVING');
    });
  }).finally(() => client.close());
}
