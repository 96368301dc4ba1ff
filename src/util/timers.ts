// Timers that stop together: what a probe loop schedules, cancelled at once when the container
// (or the pod) it probes goes away. Nothing scheduled after stop() runs.

export class StoppableTimers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stoppedFlag = false;

  /** `unref`: the timers do not keep the process alive on their own. */
  constructor(private readonly unref = false) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  later(ms: number, fn: () => void): void {
    if (this.stoppedFlag) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stoppedFlag) fn();
    }, ms);
    if (this.unref) t.unref();
    this.timers.add(t);
  }

  stop(): void {
    this.stoppedFlag = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
