// Service-quality probes on the node, as kruise-daemon runs OpenKruise's PodProbeMarker probes
// for OpenKruiseGame: the pod's annotation hotpod.dev/service-quality-probes (kept by the
// GameServer controller from its set's serviceQualities) names each probe and its container;
// each runs on its period, and its result is the pod condition `game.kruise.io/<name>`:
// status True when the probe passed (an exec probe: exit code 0) after successThreshold
// passes in a row, False after failureThreshold failures, message the command's output. The
// condition changes only when the status or the output does, so a steady server costs no
// write at all (the pod status writer compares before it writes).

import type { ContainerRuntime, ProbeSpec } from './runtime/types.js';
import { SERVICE_QUALITY_PROBES_ANNOTATION } from '../util/vocabulary.js';

/** How much of a probe's output is kept (kubelet keeps about as much of an exec probe's). */
const MAX_OUTPUT_BYTES = 1024;

export interface QualityProbe extends ProbeSpec {
  name: string;
  containerName?: string;
}

export interface QualityResult {
  status: 'True' | 'False';
  message: string;
  /** When the status or message last changed. */
  lastProbeTime: string;
}

/** The running container a probe targets, looked up when it runs (containers restart). */
export type ContainerLookup = (name: string | undefined) => { runtime: ContainerRuntime; id: string } | undefined;

export function parseQualityProbes(annotations: Record<string, string> | undefined): { key: string; probes: QualityProbe[] } {
  const raw = annotations?.[SERVICE_QUALITY_PROBES_ANNOTATION] ?? '';
  if (!raw) return { key: '', probes: [] };
  try {
    const probes = JSON.parse(raw) as QualityProbe[];
    return { key: raw, probes: Array.isArray(probes) ? probes.filter((p) => p && typeof p.name === 'string') : [] };
  } catch {
    return { key: raw, probes: [] };
  }
}

export class QualityProber {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  readonly results = new Map<string, QualityResult>();

  constructor(
    readonly key: string,
    private readonly probes: readonly QualityProbe[],
    private readonly container: ContainerLookup,
    private readonly annotations: () => Record<string, string>,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    for (const p of this.probes) this.later(Math.max(0, p.initialDelaySeconds ?? 0) * 1000, () => void this.loop(p, { passes: 0, failures: 0 }));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private async loop(p: QualityProbe, run: { passes: number; failures: number }): Promise<void> {
    const target = this.container(p.containerName);
    if (target) {
      const { ok, output } = await this.once(p, target);
      if (ok) {
        run.passes++;
        run.failures = 0;
      } else {
        run.failures++;
        run.passes = 0;
      }
      const prev = this.results.get(p.name);
      let status = prev?.status;
      if (ok && run.passes >= Math.max(1, p.successThreshold ?? 1)) status = 'True';
      if (!ok && run.failures >= Math.max(1, p.failureThreshold ?? 3)) status = 'False';
      // Before a threshold is reached the first time, the first answer is taken as it is.
      if (!status) status = ok ? 'True' : 'False';
      if (!this.stopped && (status !== prev?.status || output !== prev?.message)) {
        this.results.set(p.name, { status, message: output, lastProbeTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
        this.onChange();
      }
    }
    this.later(Math.max(1, p.periodSeconds ?? 10) * 1000, () => void this.loop(p, run));
  }

  private async once(p: QualityProbe, t: { runtime: ContainerRuntime; id: string }): Promise<{ ok: boolean; output: string }> {
    const timeoutMs = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
    if (p.exec?.command?.length && t.runtime.exec) {
      let session;
      try {
        session = t.runtime.exec(t.id, p.exec.command, { stdin: false, annotations: this.annotations() });
      } catch {
        return { ok: false, output: '' };
      }
      let output = '';
      const take = (d: Buffer | string) => {
        if (output.length < MAX_OUTPUT_BYTES) output = (output + String(d)).slice(0, MAX_OUTPUT_BYTES);
      };
      session.stdout.on('data', take);
      session.stderr.on('data', () => {});
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<{ exitCode: number }>((resolve) => (timer = setTimeout(() => (session.kill(), resolve({ exitCode: -1 })), timeoutMs)));
      const exit = await Promise.race([session.exit, timedOut]);
      clearTimeout(timer);
      // Let the last of the output arrive.
      await new Promise<void>((r) => setImmediate(r));
      return { ok: exit.exitCode === 0, output };
    }
    const ok = await t.runtime.probe(t.id, p, { uid: '', namespace: '', name: '', annotations: this.annotations(), podDir: '', volumeDirs: [], podIP: '' }, 'readiness').catch(() => false);
    return { ok, output: '' };
  }
}
