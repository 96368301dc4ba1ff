// Resource quantities (`100m`, `0.5`, `128Mi`, `1G`, `1e3`) as the scheduler and the volume controller need them: CPU in
// millicores and memory in bytes. Unparseable values count as zero, as a request the API
// server would have refused.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return Number.isFinite(q) ? q : 0;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  if (m[2]) return n * BINARY[m[2]]!;
  if (m[3]) return n * 10 ** Number(m[3].slice(1));
  return n * DECIMAL[m[4] ?? '']!;
}

/** CPU in whole millicores, rounded up as Kubernetes does. */
export function cpuMilli(q: unknown): number {
  const milli = parseQuantity(q) * 1000;
  return milli > 0 ? Math.ceil(milli - 1e-9) : 0;
}

export function memoryBytes(q: unknown): number {
  return Math.ceil(parseQuantity(q));
}
