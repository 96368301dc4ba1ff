// Container log files: how a runtime writes them and how the kubelet endpoint reads them.
//
// One entry per line, as kubelet's CRI format: `<RFC3339 time> <stdout|stderr> <F|P> <text>`
// (P marks a partial line, continued by the next entry). Keeping the time of every line is
// what serves `kubectl logs --timestamps` and `--since`. When the container has exited its
// runtime writes `<log>.exited` (the exit as JSON): a follow (`-f`) ends there.

import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';

const MAX_LINE = 16 * 1024;

function exitMarkerPath(logPath: string): string {
  return `${logPath}.exited`;
}

export function markLogExited(logPath: string, exit: unknown): void {
  writeFileSync(exitMarkerPath(logPath), JSON.stringify(exit));
}

/** Appends timestamped lines of a container's stdout and stderr to its log file. */
export class LogWriter {
  private readonly fd: number;
  private readonly pending = { stdout: '', stderr: '' };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.closed) return;
    let text = this.pending[stream] + this.decoders[stream].write(chunk);
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.entry(stream, 'F', text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_LINE) {
      this.entry(stream, 'P', text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.pending[stream] = text;
  }

  /** Writes what is left of unterminated lines; further writes are dropped. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream] + this.decoders[stream].end();
      if (rest) this.entry(stream, 'F', rest);
    }
    this.closed = true;
    closeSync(this.fd);
  }

  private entry(stream: string, tag: 'F' | 'P', text: string): void {
    writeSync(this.fd, `${new Date().toISOString()} ${stream} ${tag} ${text}\n`);
  }
}

export interface LogReadOptions {
  follow?: boolean;
  /** Only the last N lines (before following). */
  tailLines?: number;
  timestamps?: boolean;
  /** Only lines written at or after this time. */
  since?: Date;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** How often a follow looks for new lines. */
  pollMs?: number;
}

interface Entry {
  time: string;
  tag: string;
  text: string;
}

function parseEntry(line: string): Entry | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  return { time: line.slice(0, a), tag: line.slice(b + 1, c), text: line.slice(c + 1) };
}

/**
 * Writes the log to `out` as kubectl shows it; with `follow`, keeps going until the container
 * has exited, the file is gone, or `signal` aborts (the client went away).
 */
export async function readContainerLog(path: string, opts: LogReadOptions, out: Writable, signal?: AbortSignal): Promise<void> {
  let written = 0;
  const limit = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const sinceIso = opts.since?.toISOString();
  const emit = (entries: Entry[]): boolean => {
    let chunk = '';
    for (const e of entries) {
      if (sinceIso && e.time < sinceIso) continue;
      chunk += (opts.timestamps ? `${e.time} ` : '') + e.text + (e.tag === 'P' ? '' : '\n');
    }
    if (!chunk) return written < limit;
    if (written + Buffer.byteLength(chunk) > limit) chunk = Buffer.from(chunk).subarray(0, limit - written).toString();
    written += Buffer.byteLength(chunk);
    out.write(chunk);
    return written < limit;
  };

  const reader = new LineReader(path);
  try {
    let entries = reader.readEntries();
    if (opts.tailLines !== undefined && opts.tailLines >= 0) entries = lastLines(entries, opts.tailLines);
    if (!emit(entries) || !opts.follow) return;
    const pollMs = opts.pollMs ?? 100;
    while (!signal?.aborted) {
      // Read the marker before the file, so lines written just before the exit still go out.
      const exited = existsSync(exitMarkerPath(path));
      if (!existsSync(path)) return;
      if (!emit(reader.readEntries())) return;
      if (exited) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    reader.close();
  }
}

/** The last n lines, a line being its partial entries plus the full one that ends it. */
function lastLines(entries: Entry[], n: number): Entry[] {
  if (n === 0) return [];
  let seen = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.tag === 'P') continue;
    if (seen === n) return entries.slice(i + 1);
    seen++;
  }
  return entries;
}

/** Reads a growing file from where it left off, complete lines only. */
class LineReader {
  private fd: number | undefined;
  private offset = 0;
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly path: string) {}

  readEntries(): Entry[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return [];
    }
    const buf = Buffer.alloc(64 * 1024);
    let text = this.rest;
    while (this.offset < size) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      text += this.decoder.write(buf.subarray(0, n));
    }
    const end = text.lastIndexOf('\n');
    this.rest = text.slice(end + 1);
    if (end < 0) return [];
    return text
      .slice(0, end)
      .split('\n')
      .map(parseEntry)
      .filter((e): e is Entry => e !== undefined);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
