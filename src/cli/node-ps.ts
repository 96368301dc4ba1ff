// `hotpod node ps`: a node's containers as `docker ps` shows them. The node agents run inside
// `hotpod up`, so this asks the API server (kubeconfig in the data dir) for the Nodes, then
// each node's kubelet endpoint for its containers (GET /containers).

import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import type { ContainerInfo } from '../node/runtime/types.js';
import { formatTable, humanDuration } from './human.js';

interface NodeObject {
  metadata: { name: string };
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description("inspect the embedded cluster's nodes");
  node
    .command('ps')
    .description('list the containers of the nodes (as docker ps on a node)')
    .option('--node <name>', 'only this node')
    .option('-a, --all', 'show exited containers too', false)
    .option('--no-trunc', 'do not truncate ids and commands')
    .option('--data-dir <dir>', 'data dir of the running hotpod up', '.hotpod')
    .action(async (opts: { node?: string; all: boolean; trunc: boolean; dataDir: string }) => {
      process.stdout.write(await nodePs(opts));
    });
}

async function nodePs(opts: { node?: string; all: boolean; trunc?: boolean; dataDir: string }): Promise<string> {
  const { nodes: all, token } = await listNodes(join(opts.dataDir, 'kubeconfig'));
  const nodes = all.filter((n) => !opts.node || n.metadata.name === opts.node);
  if (opts.node && nodes.length === 0) throw new Error(`node "${opts.node}" not found`);
  const now = Date.now();
  const rows: { created: number; cells: string[] }[] = [];
  for (const n of nodes) {
    let containers: ContainerInfo[];
    try {
      containers = await kubeletContainers(n, token);
    } catch (err) {
      process.stderr.write(`hotpod: node ${n.metadata.name}: ${(err as Error).message}\n`);
      continue;
    }
    for (const c of containers) {
      if (c.exit && !opts.all) continue;
      const started = Date.parse(c.startedAt);
      const status = c.exit ? `Exited (${c.exit.exitCode}) ${humanDuration(now - Date.parse(c.exit.finishedAt))} ago` : `Up ${humanDuration(now - started)}`;
      const cells = [
        opts.trunc === false ? c.id : c.id.slice(0, 12),
        c.image,
        JSON.stringify(opts.trunc === false ? c.command : ellipsis(c.command, 20)),
        `${humanDuration(now - started)} ago`,
        status,
        dockerName(c),
        // Not a docker column: which image runs as a process and which is simulated is the
        // first thing to check when a container does not do what its image should.
        c.runtime ?? '',
      ];
      if (nodes.length > 1) cells.push(n.metadata.name);
      rows.push({ created: started, cells });
    }
  }
  rows.sort((a, b) => b.created - a.created);
  const headers = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES', 'RUNTIME'];
  if (nodes.length > 1) headers.push('NODE');
  return formatTable(headers, rows.map((r) => r.cells));
}

/** The name dockershim gave a pod's container: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
function dockerName(c: ContainerInfo): string {
  if (!c.pod) return c.name;
  return `k8s_${c.name}_${c.pod.name}_${c.pod.namespace}_${c.pod.uid}_${c.attempt ?? 0}`;
}

function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/** The Nodes, and the kubeconfig's token, which their kubelet endpoints want too. */
async function listNodes(kubeconfigPath: string): Promise<{ nodes: NodeObject[]; token?: string }> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new Error(`cannot read ${kubeconfigPath} (is hotpod up running with this --data-dir?): ${(err as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster`);
  const token = kc.getCurrentUser()?.token;
  const url = new URL('/api/v1/nodes', cluster.server);
  const body = await getText(url, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    ca: cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined,
    rejectUnauthorized: !cluster.skipTLSVerify,
  }).catch((err: Error) => {
    throw new Error(`cannot reach the API server at ${cluster.server} (is hotpod up running with this --data-dir?): ${err.message}`);
  });
  return { nodes: (JSON.parse(body) as { items: NodeObject[] }).items, token };
}

async function kubeletContainers(n: NodeObject, token: string | undefined): Promise<ContainerInfo[]> {
  const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const host = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!port || !host) throw new Error('no kubelet endpoint advertised in its status');
  const body = await getText(new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}/containers`), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return JSON.parse(body) as ContainerInfo[];
}

function getText(url: URL, opts: https.RequestOptions): Promise<string> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { ...opts, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET ${url.pathname}: ${res.statusCode} ${text.trim()}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
