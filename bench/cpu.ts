// CPU time of the processes a benchmark runs, and of everything else on the machine (Linux
// /proc), so a figure taken while other programs used the CPU can say so. Wall-clock rates
// suffer from a busy machine; CPU seconds per pod hardly do, so they are what compares runs.

import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ: /proc counts CPU time in these ticks

/** CPU seconds (user + system, all threads) process `pid` has used so far; 0 off Linux. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine spent busy (all cores); 0 off Linux. */
function machineBusySeconds(): number {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds of each named process, of the machine's other processes, and the wall time. */
export interface CpuSpan {
  seconds: number;
  byProcess: Record<string, number>;
  other: number;
}

/** Starts measuring the named processes (this one is `process.pid`); call the result to read. */
export function cpuMeter(pids: Record<string, number>): () => CpuSpan {
  const read = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]));
  const p0 = read();
  const m0 = machineBusySeconds();
  const t0 = performance.now();
  return () => {
    const p1 = read();
    const byProcess = Object.fromEntries(Object.keys(pids).map((k) => [k, p1[k]! - p0[k]!]));
    const ours = Object.values(byProcess).reduce((a, b) => a + b, 0);
    return { seconds: (performance.now() - t0) / 1000, byProcess, other: Math.max(0, machineBusySeconds() - m0 - ours) };
  };
}

/** The machine's other processes used more than a fifth of a core: the figures are pessimistic. */
export function busyWarning(spans: [string, CpuSpan][]): string | undefined {
  const busy = spans.filter(([, s]) => s.seconds > 0 && s.other / s.seconds > 0.2).map(([name, s]) => `${name} ${Math.round((100 * s.other) / s.seconds)}%`);
  if (busy.length === 0) return undefined;
  return `WARNING: other processes were busy during ${busy.join(', ')} (of a core): rerun on a quiet machine.`;
}

/**
 * CPU seconds of each thread of process `pid`, keyed `main` or `name:tid` (V8's GC and compiler
 * threads, workers, libuv's pool: Node leaves most of them named `node`); {} off Linux.
 */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}:${tid}`;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Per-thread-name CPU seconds used between two `threadCpuSeconds` readings, largest first. */
export function threadCpuSpan(before: Record<string, number>, after: Record<string, number>): [string, number][] {
  return Object.entries(after)
    .map(([name, s]) => [name, s - (before[name] ?? 0)] as [string, number])
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1]);
}
