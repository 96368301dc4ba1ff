// What a click on the dashboard does: one API write with the dashboard user's credentials, so
// the API server's RBAC, admission and validation decide, and a refusal comes back with the
// server's own status and message.

import { errorCode, type KubeClient } from '../kube/index.js';
import { rolloutPause } from '../cli/rollout-history.js';
import { resolveType } from '../cli/workloads.js';
import { GS_OPS_STATE_LABEL } from '../util/vocabulary.js';

export type ActionName = 'opsState' | 'updatePriority' | 'deletionPriority' | 'pause' | 'resume' | 'partition';

export interface ActionRequest {
  action: ActionName;
  /** GameServerSet, GameDeployment, GameServer, or Pod (a GameDeployment's server) */
  kind: string;
  namespace: string;
  name: string;
  value?: string;
}

export interface ActionResult {
  ok: boolean;
  status: number;
  message: string;
  reason?: string;
}

const ACTIONS: Record<ActionName, (c: KubeClient, r: ActionRequest) => Promise<string>> = {
  opsState: async (c, r) => {
    const value = required(r);
    if (r.kind === 'Pod') {
      await c.patchObject('v1', 'Pod', r, { metadata: { labels: { [GS_OPS_STATE_LABEL]: value } } });
    } else {
      await c.patchObject('game.kruise.io/v1alpha1', 'GameServer', r, { spec: { opsState: value } });
    }
    return `${r.name}: opsState ${value}`;
  },
  updatePriority: async (c, r) => {
    await c.patchObject('game.kruise.io/v1alpha1', 'GameServer', r, { spec: { updatePriority: priority(r) } });
    return `${r.name}: updatePriority ${r.value}`;
  },
  deletionPriority: async (c, r) => {
    await c.patchObject('game.kruise.io/v1alpha1', 'GameServer', r, { spec: { deletionPriority: priority(r) } });
    return `${r.name}: deletionPriority ${r.value}`;
  },
  pause: (c, r) => rolloutPause(c, resolveType(r.kind), r.namespace, r.name, true),
  resume: (c, r) => rolloutPause(c, resolveType(r.kind), r.namespace, r.name, false),
  partition: async (c, r) => {
    const value = required(r);
    // A number stays a number (a negative one too, for the API server to refuse), a percentage a string.
    const partition = /^-?\d+$/.test(value) ? Number(value) : value;
    const type = resolveType(r.kind);
    const strategy = type.kind === 'GameServerSet' ? { updateStrategy: { rollingUpdate: { partition } } } : { updateStrategy: { partition } };
    await c.patchObject(type.apiVersion, type.kind, r, { spec: strategy });
    return `${r.name}: partition ${value}`;
  },
};

export async function runAction(client: KubeClient, req: ActionRequest): Promise<ActionResult> {
  const fn = ACTIONS[req.action];
  if (!fn) return { ok: false, status: 400, message: `unknown action "${String(req.action)}"` };
  if (!req.namespace || !req.name || !req.kind) return { ok: false, status: 400, message: 'an action needs kind, namespace and name' };
  try {
    return { ok: true, status: 200, message: await fn(client, req) };
  } catch (err) {
    const code = errorCode(err);
    const body = (err as { body?: { reason?: string; message?: string } }).body;
    if (code !== undefined) return { ok: false, status: code, reason: body?.reason, message: body?.message ?? (err as Error).message };
    return { ok: false, status: 400, message: (err as Error).message };
  }
}

function required(r: ActionRequest): string {
  if (r.value === undefined || r.value === '') throw new Error(`${r.action} needs a value`);
  return r.value;
}

function priority(r: ActionRequest): number | string {
  const v = required(r);
  return /^-?\d+$/.test(v) ? Number(v) : v;
}
