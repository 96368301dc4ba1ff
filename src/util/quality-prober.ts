// Service-quality probes, as kruise-daemon runs OpenKruise's PodProbeMarker probes for
// OpenKruiseGame: each probe of a pod runs on its period against a target (the embedded node
// agent's runtime, or the controller through pods/exec on a cluster without hotpod's node
// agents), and its result is what the pod condition `game.kruise.io/<name>` says: status True
// when the probe passed (an exec probe: exit code 0) after successThreshold passes in a row,
// False after failureThreshold failures, message the command's output. A result changes only
// when the status or the output does, so a steady server costs no write at all.

import { SERVICE_QUALITY_PROBES_ANNOTATION } from './vocabulary.js';
import type { ProbeSpec } from '../node/runtime/types.js';
import { StoppableTimers } from './timers.js';


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

/** Where a probe runs: the container it names, looked up when it runs (containers restart). */
export interface ProbeTarget {
  /** An exec probe: the command's exit code and stdout. */
  exec(command: string[], timeoutMs: number): Promise<{ exitCode: number; stdout: string }>;
  /** httpGet / tcpSocket / grpc: passed or not. */
  check(probe: QualityProbe, timeoutMs: number): Promise<boolean>;
}

export type ContainerLookup = (name: string | undefined) => ProbeTarget | undefined;

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
  private readonly timers = new StoppableTimers(true);
  readonly results = new Map<string, QualityResult>();

  constructor(
    readonly key: string,
    private readonly probes: readonly QualityProbe[],
    private readonly container: ContainerLookup,
    private readonly onChange: () => void,
    /** Results already reported (a restarted prober does not report them again). */
    seed?: Map<string, QualityResult>,
  ) {
    for (const [k, v] of seed ?? []) this.results.set(k, v);
  }

  start(): void {
    for (const p of this.probes) this.timers.later(Math.max(0, p.initialDelaySeconds ?? 0) * 1000, () => void this.loop(p, { passes: 0, failures: 0 }));
  }

  stop(): void {
    this.timers.stop();
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
      if (!this.timers.stopped && (status !== prev?.status || output !== prev?.message)) {
        this.results.set(p.name, { status, message: output, lastProbeTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
        this.onChange();
      }
    }
    this.timers.later(Math.max(1, p.periodSeconds ?? 10) * 1000, () => void this.loop(p, run));
  }

  private async once(p: QualityProbe, t: ProbeTarget): Promise<{ ok: boolean; output: string }> {
    const timeoutMs = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
    try {
      if (p.exec?.command?.length) {
        const r = await t.exec(p.exec.command, timeoutMs);
        return { ok: r.exitCode === 0, output: r.stdout.slice(0, MAX_OUTPUT_BYTES) };
      }
      return { ok: await t.check(p, timeoutMs), output: '' };
    } catch {
      return { ok: false, output: '' };
    }
  }
}
