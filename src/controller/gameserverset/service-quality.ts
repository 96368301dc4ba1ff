// OpenKruiseGame's serviceQualities, the GameServer half (pure): each quality's probe result
// arrives as the pod condition `game.kruise.io/<name>` (status True when the probe passed,
// message its output), written by whatever runs the probe (the embedded node agent here, as
// kruise-daemon does for PodProbeMarker). When a result differs from the one last recorded
// (and, for a `permanent` quality, no action has run yet), every action whose `state` and
// `result` match it runs: opsState, priorities, networkDisabled, labels and annotations, each
// value a Go template over `.Result`. status.serviceQualitiesConditions records the last result
// and when it, and the last action, happened. Same result, same status: nothing is written.

import { renderGoTemplate } from '../../util/go-template.js';

type Json = Record<string, any>;

/** The pod condition type a quality's probe result is written to. */
export const serviceQualityConditionType = (name: string): string => `game.kruise.io/${name}`;

export interface ServiceQualityAction {
  state: boolean;
  result?: string;
  opsState?: string;
  updatePriority?: number | string;
  deletionPriority?: number | string;
  networkDisabled?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServiceQuality {
  name: string;
  containerName?: string;
  permanent?: boolean;
  serviceQualityAction?: ServiceQualityAction[];
}

export interface ServiceQualityCondition {
  name: string;
  status?: string;
  result?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  lastActionTransitionTime?: string;
}

export interface ServiceQualityOutcome {
  /** GameServer spec fields the actions set (absent: untouched). */
  spec: Json;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  conditions: ServiceQualityCondition[];
  /** A templated priority that did not render to a number (a Warning Event each). */
  warnings: { reason: string; message: string }[];
}

interface PodCondition {
  type: string;
  status?: string;
  message?: string;
  lastProbeTime?: string;
}

/**
 * The probes of the qualities as the node agent reads them from the pod's annotation
 * (SERVICE_QUALITY_PROBES_ANNOTATION); '' when there are none.
 */
export function qualityProbesAnnotation(qualities: readonly ServiceQuality[]): string {
  if (!qualities.length) return '';
  const fields = ['name', 'containerName', 'exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'];
  return JSON.stringify(qualities.map((q) => Object.fromEntries(fields.filter((f) => (q as Json)[f] !== undefined && (q as Json)[f] !== null).map((f) => [f, (q as Json)[f]]))));
}

export function syncServiceQualities(qualities: readonly ServiceQuality[], podConditions: readonly PodCondition[], previous: readonly ServiceQualityCondition[], nowIso: string): ServiceQualityOutcome {
  const out: ServiceQualityOutcome = { spec: {}, labels: {}, annotations: {}, conditions: [], warnings: [] };
  const before = new Map(previous.map((c) => [c.name, c]));
  for (const q of qualities) {
    const cond: ServiceQualityCondition = { name: q.name };
    const pc = podConditions.find((c) => c.type === serviceQualityConditionType(q.name));
    const last = before.get(q.name);
    if (pc) {
      // As upstream: the result is the message without `|` and newlines.
      const result = (pc.message ?? '').replace(/\|/g, '').replace(/\n/g, '');
      cond.status = pc.status;
      cond.result = result;
      cond.lastProbeTime = pc.lastProbeTime;
      const changed = !last || last.status !== pc.status || last.result !== result;
      if (changed && (!last?.lastActionTransitionTime || !q.permanent)) {
        const acted = runActions(q, pc.status === 'True', result, out);
        // Upstream leaves the time empty when no action matched.
        if (acted) cond.lastActionTransitionTime = nowIso;
      } else {
        cond.lastActionTransitionTime = last?.lastActionTransitionTime;
      }
    }
    cond.lastTransitionTime = later(cond.lastActionTransitionTime, cond.lastProbeTime);
    out.conditions.push(dropEmpty(cond));
  }
  return out;
}

function runActions(q: ServiceQuality, state: boolean, result: string, out: ServiceQualityOutcome): boolean {
  let acted = false;
  const render = (v: string) => renderGoTemplate(v, { Result: result });
  for (const a of q.serviceQualityAction ?? []) {
    if (a.state !== state || (a.result !== undefined && a.result !== '' && a.result !== result)) continue;
    acted = true;
    for (const field of ['deletionPriority', 'updatePriority'] as const) {
      const v = a[field];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string' && v.includes('{{')) {
        const rendered = render(v);
        if (/^[-+]?\d+$/.test(rendered)) out.spec[field] = Number.parseInt(rendered, 10);
        else out.warnings.push({ reason: field === 'deletionPriority' ? 'InvalidDeletionPriority' : 'InvalidUpdatePriority', message: `Failed to parse ${field === 'deletionPriority' ? 'DeletionPriority' : 'UpdatePriority'} template '${v}' with result '${result}': priority value must be numeric, got: ${rendered}` });
      } else {
        out.spec[field] = v;
      }
    }
    if (a.opsState) out.spec.opsState = render(a.opsState);
    if (a.networkDisabled !== undefined && a.networkDisabled !== null) out.spec.networkDisabled = a.networkDisabled;
    for (const [k, v] of Object.entries(a.labels ?? {})) out.labels[k] = render(v);
    for (const [k, v] of Object.entries(a.annotations ?? {})) out.annotations[k] = render(v);
  }
  return acted;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function dropEmpty(c: ServiceQualityCondition): ServiceQualityCondition {
  const out: Json = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined && v !== '') out[k] = v;
  return out as ServiceQualityCondition;
}
