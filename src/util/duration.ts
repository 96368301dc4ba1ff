// Go's time.Duration, as Kubernetes tools write it: parsed from flags and annotations
// (`30s`, `1m30s`, `500ms`), printed in messages the way kubelet prints them (`1m20s`).

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration in ms (rounded); throws on anything else, a bare number included. */
export function parseGoDuration(value: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value) ? value.match(/\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)/g)! : null;
  if (!parts) throw new Error(`"${value}" is not a duration such as 30s, 5m or 1h30m`);
  let ms = 0;
  for (const p of parts) {
    const [, n, unit] = /^(\d+(?:\.\d+)?)(.+)$/.exec(p)!;
    ms += Number(n) * UNIT_MS[unit!]!;
  }
  return Math.round(ms);
}

/** `10s`, `1m20s`, `5m0s`, `1h0m0s`: Go's time.Duration printing. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds - hours * 3600) / 60);
  const seconds = totalSeconds - hours * 3600 - minutes * 60;
  const secText = Number.isInteger(seconds) ? String(seconds) : String(Number(seconds.toFixed(3)));
  if (hours > 0) return `${hours}h${minutes}m${secText}s`;
  return minutes > 0 ? `${minutes}m${secText}s` : `${secText}s`;
}
