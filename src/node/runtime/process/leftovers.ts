// Container processes run in process groups of their own, so a `hotpod up` killed with
// SIGKILL leaves them behind (holding ports). Each live group is recorded under
// `<data-dir>/run/process-runtime/` with the pid of the hotpod that started it; a runtime
// starting later kills the groups whose hotpod is gone.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LiveRecord {
  pid: number;
  owner: number;
  /** Start time of pid (from /proc) so a reused pid is never killed. */
  started?: string;
}

export class LiveProcesses {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'run', 'process-runtime');
    mkdirSync(this.dir, { recursive: true });
  }

  add(id: string, pid: number): void {
    const rec: LiveRecord = { pid, owner: process.pid, started: startTime(pid) };
    writeFileSync(join(this.dir, id), JSON.stringify(rec));
  }

  remove(id: string): void {
    rmSync(join(this.dir, id), { force: true });
  }

  /** Kills the process groups left by hotpods that no longer run; returns how many. */
  reapOrphans(): number {
    let killed = 0;
    for (const name of readdirSync(this.dir)) {
      let rec: LiveRecord;
      try {
        rec = JSON.parse(readFileSync(join(this.dir, name), 'utf8'));
      } catch {
        continue;
      }
      if (rec.owner === process.pid || alive(rec.owner)) continue;
      if (alive(rec.pid) && (rec.started === undefined || startTime(rec.pid) === rec.started)) {
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
