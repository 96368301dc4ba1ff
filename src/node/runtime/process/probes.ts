// Probes as kubelet runs them: exec in the container's rootfs; tcpSocket, httpGet and grpc
// (src/util/network-probes.ts) dial the pod's IP (a loopback address of its own) unless the probe
// names a host, so a server must listen there (or on 0.0.0.0), as on a cluster.

import { spawn } from 'node:child_process';
import type { ContainerSpec, ProbeSpec } from '../types.js';
import { resolveExecutable } from './command.js';
import { dialProbe } from '../../../util/network-probes.js';

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
  return dialProbe(probe, { podIP: target.podIP, ports: target.spec.ports }, timeoutMs);
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
