// `hotpod rollout history|undo|pause|resume TYPE/NAME`, worded as kubectl's (and kubectl-kruise's)
// for a StatefulSet: the history is the workload's ControllerRevisions (the templates its pods
// were made from, numbered as the controller numbered them), undo writes a recorded revision's
// template back into the workload, so pods already on that revision are left alone and the rest
// are updated to it as any template change would update them (in place where the policy allows).

import YAML from 'yaml';
import type { KubeClient, KubeObject } from '../kube/index.js';
import { CHANGE_CAUSE_ANNOTATION } from '../util/vocabulary.js';
import { CliError, type WorkloadType } from './workloads.js';

interface Revision {
  number: number;
  name: string;
  template: Record<string, unknown>;
  changeCause?: string;
}

/** The workload's revisions, oldest first. */
async function revisionsOf(client: KubeClient, workload: KubeObject): Promise<Revision[]> {
  const list = await client.list('apps/v1', 'ControllerRevision', { namespace: workload.metadata!.namespace });
  return (list.items as KubeObject[])
    .filter((r) => r.metadata?.ownerReferences?.some((o) => o.controller && o.uid === workload.metadata!.uid))
    .map((r) => ({
      number: Number(r.revision ?? 0),
      name: r.metadata!.name!,
      template: ((r.data as Record<string, unknown> | undefined)?.template ?? {}) as Record<string, unknown>,
      changeCause: r.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
    }))
    .sort((a, b) => a.number - b.number);
}

/** `gameserverset.game.kruise.io/arena`, as kubectl names an object in its messages. */
function objectRef(type: WorkloadType, name: string): string {
  return `${type.singular}.${type.group}/${name}`;
}

/** The pod template the workload's revisions hold: what its controller hashes. */
function currentTemplate(type: WorkloadType, workload: KubeObject): Record<string, unknown> {
  const spec = workload.spec as Record<string, any>;
  const t = (type.kind === 'GameServerSet' ? spec.gameServerTemplate : spec.template) ?? {};
  const out: Record<string, unknown> = { spec: t.spec ?? {} };
  if (t.metadata && Object.keys(t.metadata).length) out.metadata = t.metadata;
  return out;
}

export async function rolloutHistory(client: KubeClient, type: WorkloadType, namespace: string, name: string, revision?: number): Promise<string> {
  const workload = await client.get(type.apiVersion, type.kind, { namespace, name });
  const revisions = await revisionsOf(client, workload);
  if (revision !== undefined && revision > 0) {
    const r = revisions.find((x) => x.number === revision);
    if (!r) throw new CliError(`error: unable to find the specified revision`);
    return `${objectRef(type, name)} with revision #${r.number}\nPod Template:\n${indent(YAML.stringify(r.template))}`;
  }
  const rows = revisions.map((r) => [String(r.number), r.changeCause ?? '<none>']);
  const width = Math.max('REVISION'.length, ...rows.map((r) => r[0]!.length)) + 2;
  return [`${objectRef(type, name)}`, `${'REVISION'.padEnd(width)}CHANGE-CAUSE`, ...rows.map(([n, cause]) => `${n!.padEnd(width)}${cause}`), ''].join('\n');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/**
 * Writes the template of revision `toRevision` (0: the one before the newest) into the workload,
 * with the resourceVersion it was read at, so a concurrent change is refused (409), not lost.
 */
export async function rolloutUndo(client: KubeClient, type: WorkloadType, namespace: string, name: string, toRevision = 0): Promise<string> {
  const workload = await client.get(type.apiVersion, type.kind, { namespace, name });
  const revisions = await revisionsOf(client, workload);
  let target: Revision | undefined;
  if (toRevision > 0) {
    target = revisions.find((r) => r.number === toRevision);
    if (!target) throw new CliError(`error: unable to find specified revision ${toRevision} in history`);
  } else {
    if (revisions.length < 2) throw new CliError(`error: no last revision to roll back to`);
    target = revisions[revisions.length - 2];
  }
  if (JSON.stringify(canonical(currentTemplate(type, workload))) === JSON.stringify(canonical(target!.template))) {
    return `${objectRef(type, name)} skipped rollback (current template already matches revision ${target!.number})`;
  }
  const next = structuredClone(workload);
  const spec = next.spec as Record<string, any>;
  const field = type.kind === 'GameServerSet' ? 'gameServerTemplate' : 'template';
  // Only the pod template goes back: a GameServerSet's claims and reclaimPolicy stay as they are.
  const restored: Record<string, unknown> = { ...(spec[field] ?? {}), spec: target!.template.spec ?? {} };
  if (target!.template.metadata) restored.metadata = target!.template.metadata;
  else delete restored.metadata;
  spec[field] = restored;
  await client.updateObject(next);
  return `${objectRef(type, name)} rolled back`;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** Where the workload's pause lives: the GameServerSet's rollingUpdate, the GameDeployment's updateStrategy. */
function pausePath(type: WorkloadType): string[] {
  return type.kind === 'GameServerSet' ? ['updateStrategy', 'rollingUpdate', 'paused'] : ['updateStrategy', 'paused'];
}

export async function rolloutPause(client: KubeClient, type: WorkloadType, namespace: string, name: string, paused: boolean): Promise<string> {
  const workload = await client.get(type.apiVersion, type.kind, { namespace, name });
  const path = pausePath(type);
  let at: any = workload.spec;
  for (const step of path) at = at?.[step];
  const verb = paused ? 'paused' : 'resumed';
  if ((at === true) === paused) return `${objectRef(type, name)} already ${verb}`;
  const patch: Record<string, unknown> = {};
  let cursor = patch;
  for (const step of path.slice(0, -1)) cursor = (cursor[step] = {}) as Record<string, unknown>;
  cursor[path.at(-1)!] = paused;
  await client.patchObject(type.apiVersion, type.kind, { namespace, name }, { spec: patch });
  return `${objectRef(type, name)} ${verb}`;
}
