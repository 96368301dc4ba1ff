// `hotpod get [TYPE [NAME]] [-n NS | -A]`: GameServerSets, GameServers and GameDeployments as
// `kubectl get` lists them, plus a ROLLOUT column with a progress bar for the workloads. TYPE
// `all` (or none) prints one table per kind, names prefixed with the kind as `kubectl get all`.

import type { Command } from 'commander';
import { humanDuration } from '../apiserver/tables/duration.js';
import { errorCode, type KubeClient } from '../kube/index.js';
import { formatTable } from './human.js';
import { progressBar, rolloutProgress, type Workload } from './rollout-progress.js';
import { CliError, WORKLOAD_TYPES, connect, resolveType, runCommand, type WorkloadType } from './workloads.js';

interface GetOptions {
  kubeconfig?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export function registerGetCommand(program: Command): void {
  program
    .command('get')
    .description('list GameServerSets (gss), GameServers (gs) and GameDeployments (gd) as kubectl get does, with rollout progress')
    .argument('[type]', 'gss, gs, gd (or their full names), or all', 'all')
    .argument('[name]', 'one object of that type')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context’s, else default)')
    .option('-A, --all-namespaces', 'list across all namespaces', false)
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .action((type: string, name: string | undefined, opts: GetOptions) =>
      runCommand(async () => {
        const out = await getWorkloads(type, name, opts);
        if (out.stdout) process.stdout.write(out.stdout);
        if (out.stderr) process.stderr.write(out.stderr);
      }),
    );
}

async function getWorkloads(typeArg: string, name: string | undefined, opts: GetOptions): Promise<{ stdout: string; stderr: string }> {
  const all = typeArg.toLowerCase() === 'all';
  if (all && name) throw new CliError('error: a name needs a resource type other than all, e.g. hotpod get gss NAME');
  const types = all ? WORKLOAD_TYPES : [resolveType(typeArg)];
  const { client, namespace } = connect(opts);
  const ns = opts.allNamespaces && !name ? undefined : namespace;
  const now = Date.now();
  const tables: string[] = [];
  for (const type of types) {
    const objects = await read(client, type, ns, name, all);
    if (objects.length === 0) continue;
    const t = workloadTable(type, objects, { now, withNamespace: ns === undefined, withKind: all });
    tables.push(formatTable(t.headers, t.rows));
  }
  if (tables.length === 0) return { stdout: '', stderr: ns === undefined ? 'No resources found\n' : `No resources found in ${ns} namespace.\n` };
  return { stdout: tables.join('\n'), stderr: '' };
}

async function read(objects: KubeClient, type: WorkloadType, ns: string | undefined, name: string | undefined, optional: boolean): Promise<Workload[]> {
  try {
    await objects.resourceFor(type.apiVersion, type.kind);
  } catch (err) {
    // Not served (CRDs not installed, or an unknown group: 404): `all` lists what the cluster
    // serves; a type asked for by name must be served. Other failures are reported as they are.
    if (!/serves no kind/.test((err as Error).message) && errorCode(err) !== 404) throw err;
    if (optional) return [];
    throw new CliError(`error: the server doesn't have a resource type "${type.plural}" (are hotpod's CRDs installed? kubectl apply -k deploy/)`);
  }
  if (name) return [await objects.get(type.apiVersion, type.kind, { namespace: ns ?? '', name })];
  const items: Workload[] = [];
  let cont: string | undefined;
  do {
    const page = await objects.listPage(type.apiVersion, type.kind, { namespace: ns, limit: 500, continue: cont });
    items.push(...page.items);
    cont = page.metadata.continue || undefined;
  } while (cont);
  return items.sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
}

interface Table {
  headers: string[];
  rows: string[][];
}

/** One kind's table: kubectl's columns for it (its CRD's printer columns), then ROLLOUT and AGE. */
export function workloadTable(type: WorkloadType, objects: Workload[], o: { now: number; withNamespace?: boolean; withKind?: boolean }): Table {
  const [headers, cells] = COLUMNS[type.kind];
  const rows = objects.map((obj) => {
    const name = o.withKind ? `${type.singular}.${type.group}/${obj.metadata?.name}` : String(obj.metadata?.name);
    const created = Date.parse(obj.metadata?.creationTimestamp ?? '');
    const age = Number.isNaN(created) ? '<unknown>' : humanDuration(o.now - created);
    return [...(o.withNamespace ? [String(obj.metadata?.namespace ?? '')] : []), name, ...cells(obj), age];
  });
  return { headers: [...(o.withNamespace ? ['NAMESPACE'] : []), 'NAME', ...headers, 'AGE'], rows };
}

const count = (v: unknown): string => String(typeof v === 'number' ? v : 0);
const text = (v: unknown): string => (v === undefined || v === null || v === '' ? '<none>' : String(v));
const rollout = (kind: 'gameserverset' | 'gamedeployment', obj: Workload): string => {
  const p = rolloutProgress(kind, obj);
  return `${progressBar(p.fraction)}${p.paused && !p.done ? ' paused' : ''}`;
};

const COLUMNS: Record<WorkloadType['kind'], [string[], (obj: Workload) => string[]]> = {
  GameServerSet: [
    ['DESIRED', 'CURRENT', 'UPDATED', 'READY', 'MAINTAINING', 'WAITTOBEDELETED', 'PREDELETE', 'ROLLOUT'],
    (o) => [
      count(o.spec?.replicas),
      count(o.status?.replicas),
      count(o.status?.updatedReplicas),
      count(o.status?.readyReplicas),
      count(o.status?.maintainingReplicas),
      count(o.status?.waitToBeDeletedReplicas),
      count(o.status?.preDeleteReplicas),
      rollout('gameserverset', o),
    ],
  ],
  GameDeployment: [
    ['DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL', 'ROLLOUT'],
    (o) => [
      count(o.spec?.replicas),
      count(o.status?.updatedReplicas),
      count(o.status?.updatedReadyReplicas),
      count(o.status?.readyReplicas),
      count(o.status?.replicas),
      rollout('gamedeployment', o),
    ],
  ],
  GameServer: [['STATE', 'OPSSTATE', 'DP', 'UP'], (o) => [text(o.status?.currentState), text(o.spec?.opsState), text(o.status?.deletionPriority), text(o.status?.updatePriority)]],
};

