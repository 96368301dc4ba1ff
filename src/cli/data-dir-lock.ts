// One `hotpod up` per data dir. Two would share state.db, run two sets of nodes and two
// controllers on the same objects, and the second would overwrite the kubeconfig the first
// one's users hold, so the second refuses to start. The lock is a pid file: a file left by a
// process that no longer runs (a crash, SIGKILL) is taken over.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'hotpod.pid';

/** Takes the data dir for this process; the returned function gives it back. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = readPid(path);
      if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
        throw new Error(`data dir ${dataDir} is in use by another hotpod (pid ${holder}); stop it or pass another --data-dir`);
      }
      unlinkSync(path);
    }
  }
  const release = () => {
    try {
      if (readPid(path) === process.pid) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', release);
  return release;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
