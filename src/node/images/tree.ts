// A directory tree described entry by entry. An image's manifest is this list; its id hashes
// it, and a hot-patch compares two of them to touch only the files that changed.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  /** Relative path with `/` separators, never empty. */
  path: string;
  type: 'dir' | 'file' | 'symlink';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  size?: number;
  /** Content hash of a file. */
  sha256?: string;
  /** Target of a symlink, as written. */
  target?: string;
}

/** Every entry under root, parents before children, in a stable order. */
export function walkTree(root: string, skip: (relPath: string) => boolean = () => false): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (skip(relPath)) continue;
      const abs = join(dir, name);
      const st = lstatSync(abs);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) {
        out.push({ path: relPath, type: 'symlink', mode, target: readlinkSync(abs) });
      } else if (st.isDirectory()) {
        out.push({ path: relPath, type: 'dir', mode });
        visit(abs, relPath);
      } else if (st.isFile()) {
        const sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
        out.push({ path: relPath, type: 'file', mode, size: st.size, sha256 });
      } else {
        throw new Error(`${abs}: only regular files, directories and symlinks can go into an image`);
      }
    }
  };
  visit(root, '');
  return out;
}

export function treeSize(entries: TreeEntry[]): number {
  return entries.reduce((n, e) => n + (e.size ?? 0), 0);
}
