// A wait between retries that a stop can cut short, so loops that back off (informers, leader
// election) end at once on shutdown instead of sleeping out their period.

export class InterruptibleSleep {
  private wake?: () => void;

  /** Resolves after `ms`, or as soon as interrupt() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        res();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        res();
      };
    });
  }

  interrupt(): void {
    this.wake?.();
  }
}
