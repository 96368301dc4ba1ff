// Container processes run in process groups of their own, so a `hotpod up` killed with
// SIGKILL leaves them behind (holding ports). Each live group is recorded under
// `<data-dir>/run/process-runtime/` with the pid of the hotpod that started it; a runtime
// starting later kills the groups whose hotpod is gone. The record names the container's
// image too, so `hotpod image rm` (another process) can refuse to delete an image in use.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LiveRecord {
  pid: number;
  owner: number;
  /** Start time of pid (from /proc) so a reused pid is never killed. */
  started?: string;
  /** Id in the image store of the image the container runs (`sha256:...`). */
  image?: string;
}

export class LiveProcesses {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'run', 'process-runtime');
    mkdirSync(this.dir, { recursive: true });
  }

  /** Records a started container; again after a hot-patch, with its new image. */
  add(id: string, pid: number, image?: string): void {
    const rec: LiveRecord = { pid, owner: process.pid, started: startTime(pid), image };
    writeFileSync(join(this.dir, id), JSON.stringify(rec));
  }

  remove(id: string): void {
    rmSync(join(this.dir, id), { force: true });
  }

  /** Kills the process groups left by hotpods that no longer run; returns how many. */
  reapOrphans(): number {
    let killed = 0;
    for (const [name, rec] of readRecords(this.dir)) {
      if (rec.owner === process.pid || alive(rec.owner)) continue;
      if (isRunning(rec)) {
        try {
          process.kill(-rec.pid, 'SIGKILL');
          killed++;
        } catch {
          /* gone meanwhile */
        }
      }
      rmSync(join(this.dir, name), { force: true });
    }
    return killed;
  }
}

/** The containers of running hotpods on this data dir, read without creating anything. */
export function runningContainers(dataDir: string): { id: string; image?: string }[] {
  const out: { id: string; image?: string }[] = [];
  for (const [id, rec] of readRecords(join(dataDir, 'run', 'process-runtime'))) {
    // A group whose hotpod is gone is a leftover about to be reaped, not a container.
    if (alive(rec.owner) && isRunning(rec)) out.push({ id, image: rec.image });
  }
  return out;
}

function readRecords(dir: string): [string, LiveRecord][] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: [string, LiveRecord][] = [];
  for (const name of names) {
    try {
      out.push([name, JSON.parse(readFileSync(join(dir, name), 'utf8')) as LiveRecord]);
    } catch {
      /* removed meanwhile, or half written */
    }
  }
  return out;
}

function isRunning(rec: LiveRecord): boolean {
  return alive(rec.pid) && (rec.started === undefined || startTime(rec.pid) === rec.started);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
