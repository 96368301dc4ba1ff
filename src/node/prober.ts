// Kubelet's probe workers for one container instance: startup first (the container is not
// `started` until it passes), then readiness and liveness, each on its own period with its
// success and failure thresholds. The runtime answers each probe; this only counts.

import type { ContainerRuntime, ContainerSpec, PodContext, ProbeKind, ProbeSpec } from './runtime/types.js';
import { StoppableTimers } from '../util/timers.js';

interface ProbeChange {
  started?: boolean;
  ready?: boolean;
  /** The liveness (or startup) probe failed its threshold: the container must be restarted. */
  failed?: ProbeKind;
}

/** Kubelet's defaults for the fields a probe leaves out. */
function probeTiming(p: ProbeSpec) {
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds ?? 1) * 1000,
    successThreshold: Math.max(1, p.successThreshold ?? 1),
    failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

export class Prober {
  private readonly timers = new StoppableTimers();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly id: string,
    private readonly spec: ContainerSpec,
    private readonly pod: PodContext,
    private readonly onChange: (change: ProbeChange) => void,
  ) {}

  start(): void {
    if (this.spec.startupProbe) this.loop('startup', this.spec.startupProbe);
    else this.afterStarted();
  }

  stop(): void {
    this.timers.stop();
  }

  private afterStarted(): void {
    this.onChange({ started: true });
    if (this.spec.readinessProbe) this.loop('readiness', this.spec.readinessProbe);
    if (this.spec.livenessProbe) this.loop('liveness', this.spec.livenessProbe);
  }

  private loop(kind: ProbeKind, probe: ProbeSpec): void {
    const t = probeTiming(probe);
    let successes = 0;
    let failures = 0;
    let ready: boolean | undefined;
    const once = async () => {
      const ok = await this.probeOnce(kind, probe, t.timeoutMs);
      if (this.timers.stopped) return;
      if (ok) {
        successes++;
        failures = 0;
      } else {
        failures++;
        successes = 0;
      }
      if (kind === 'startup') {
        if (ok) return this.afterStarted();
        if (failures >= t.failureThreshold) return this.onChange({ failed: 'startup' });
      } else if (kind === 'liveness') {
        if (failures >= t.failureThreshold) return this.onChange({ failed: 'liveness' });
      } else {
        // Readiness starts out false and flips only once a threshold is reached.
        if (ok && successes >= t.successThreshold && ready !== true) {
          ready = true;
          this.onChange({ ready: true });
        } else if (!ok && failures >= t.failureThreshold && ready !== false) {
          ready = false;
          this.onChange({ ready: false });
        }
      }
      this.timers.later(t.periodMs, () => void once());
    };
    this.timers.later(t.initialDelayMs, () => void once());
  }

  private async probeOnce(kind: ProbeKind, probe: ProbeSpec, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.runtime.probe(this.id, probe, this.pod, kind),
        new Promise<boolean>((res) => {
          timer = setTimeout(() => res(false), timeoutMs + 100);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
