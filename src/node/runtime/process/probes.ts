// Probes as kubelet runs them: tcpSocket and httpGet dial the pod's IP (a loopback address of
// its own) unless the probe names a host, so a server must listen there (or on 0.0.0.0), as
// on a cluster.

import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ContainerSpec, ProbeSpec } from '../types.js';
import { resolveExecutable } from './command.js';

interface ProbeTarget {
  spec: ContainerSpec;
  rootfs: string;
  cwd: string;
  env: Record<string, string>;
  /** The pod's IP; 127.0.0.1 when it has none yet. */
  podIP?: string;
}

export async function runProbe(probe: ProbeSpec, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(probe.exec.command, target, timeoutMs);
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.spec);
    return port !== undefined && tcpProbe(probe.tcpSocket.host || target.podIP || '127.0.0.1', port, timeoutMs);
  }
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.spec);
    if (port === undefined) return false;
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toUpperCase();
    return httpProbe(scheme, probe.httpGet.host || target.podIP || '127.0.0.1', port, probe.httpGet.path || '/', timeoutMs);
  }
  return false;
}

/** A number, a numeric string, or the name of one of the container's ports. */
function resolvePort(port: number | string, spec: ContainerSpec): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return spec.ports?.find((p) => p.name === port)?.containerPort;
}

function execProbe(command: string[], t: ProbeTarget, timeoutMs: number): Promise<boolean> {
  if (!command.length) return Promise.resolve(false);
  const exe = resolveExecutable(command[0]!, t.rootfs, t.cwd, t.env.PATH ?? '');
  if ('error' in exe) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(exe.path, command.slice(1), { cwd: t.cwd, env: t.env, argv0: command[0], stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve(false);
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
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

function httpProbe(scheme: string, host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const lib = scheme === 'HTTPS' ? https : http;
    // kubelet does not verify the certificate of an HTTPS probe.
    const req = lib.request({ host, port, path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers: { 'User-Agent': 'kube-probe/1.35' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
