// A keyed work queue in the manner of client-go's: a key waits at most once, a key is never
// handled by two workers at the same time, and a key added while it is being handled is
// handled again afterwards. Events only add keys; the handler reads the current state.

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private running = 0;
  private closed = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly concurrency = 16,
  ) {}

  add(key: string): void {
    if (this.closed) return;
    if (this.active.has(key)) {
      this.again.add(key);
      return;
    }
    this.pending.add(key);
    this.pump();
  }

  /** Adds the key at `at` (epoch ms); an earlier wake-up already set wins. */
  addAt(key: string, at: number): void {
    if (this.closed) return;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, Math.max(0, at - Date.now()));
    this.timers.set(key, { at, timer });
  }

  close(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
    this.again.clear();
  }

  /** Nothing is pending or being handled. */
  get idle(): boolean {
    return this.pending.size === 0 && this.running === 0;
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.pending.size > 0) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      void this.handle(key)
        .catch((err) => this.onError(key, err))
        .finally(() => {
          this.active.delete(key);
          this.running--;
          if (this.again.delete(key)) this.pending.add(key);
          this.pump();
        });
    }
  }
}
