// What `hotpod get` and `hotpod rollout status` share: the resource types they accept (kubectl's
// names, plurals and short names), the connection (kubeconfig and namespace as kubectl picks
// them), and errors worded as kubectl words them.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { apiVersionOf, GameDeploymentResource, GameServerResource, GameServerSetResource } from '../api/index.js';
import { errorCode, KubeClient, loadKubeConfig } from '../kube/index.js';

export interface WorkloadType {
  kind: 'GameServerSet' | 'GameServer' | 'GameDeployment';
  apiVersion: string;
  group: string;
  plural: string;
  singular: string;
  names: string[];
}

export const WORKLOAD_TYPES: WorkloadType[] = [GameServerSetResource, GameServerResource, GameDeploymentResource].map((d) => ({
  kind: d.kind,
  apiVersion: apiVersionOf(d),
  group: d.group,
  plural: d.plural,
  singular: d.singular,
  names: [...d.shortNames],
}));

/** A failure that ends the command with this one line on stderr and exit code 1. */
export class CliError extends Error {}

/** `gss`, `gameserverset`, `gameserversets`, `gameserversets.game.kruise.io`, any case. */
export function resolveType(name: string): WorkloadType {
  const n = name.toLowerCase();
  const found = WORKLOAD_TYPES.find((t) => [t.plural, t.singular, ...t.names, `${t.plural}.${t.group}`, `${t.singular}.${t.group}`, t.kind.toLowerCase()].includes(n));
  if (!found) throw new CliError(`error: the server doesn't have a resource type "${name}" (hotpod knows gameserversets (gss), gameservers (gs) and gamedeployments (gd))`);
  return found;
}

interface Connection {
  client: KubeClient;
  /** -n, else the kubeconfig context's namespace, else `default` */
  namespace: string;
}

export function connect(opts: { kubeconfig?: string; namespace?: string }): Connection {
  // Without any kubeconfig client-node falls back to http://localhost:8080 and fails with a
  // message about TLS; the user has most likely not exported what hotpod up printed.
  if (!opts.kubeconfig && !process.env.KUBECONFIG && !process.env.KUBERNETES_SERVICE_HOST && !existsSync(join(homedir(), '.kube', 'config'))) {
    throw new CliError('error: no kubeconfig: set KUBECONFIG to the path hotpod up printed (KUBECONFIG=...) or pass --kubeconfig');
  }
  const kubeConfig = loadKubeConfig({ kubeconfig: opts.kubeconfig });
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return { client: new KubeClient({ kubeConfig }), namespace: opts.namespace || contextNamespace || 'default' };
}

/** `Error from server (NotFound): gameserversets.game.kruise.io "x" not found`, as kubectl prints a Status. */
export function errorLine(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const body = (err as { body?: { reason?: string; message?: string } }).body;
  if (errorCode(err) !== undefined && typeof body === 'object' && body?.message) {
    return `Error from server${body.reason ? ` (${body.reason})` : ''}: ${body.message}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  const refused = /ECONNREFUSED (\S+)/.exec(message);
  if (refused) return `The connection to the server ${refused[1]} was refused - did you specify the right host or port?`;
  return `error: ${message}`;
}

/** Runs a command's body; a failure is one line on stderr and exit code 1. */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    process.stderr.write(`${errorLine(err)}\n`);
    process.exitCode = 1;
  }
}
