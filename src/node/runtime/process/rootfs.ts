// A container's own copy of its image's files, its volume mounts, and the in-place file swap
// that a hot-patch does.
//
// There is no mount namespace: a volume is a symlink at `<rootfs>/<mountPath>` pointing to
// the pod's volume directory, so processes that use paths relative to their working dir (or
// `$HOTPOD_ROOTFS/<mountPath>`) see what a mount would show them.

import { randomBytes } from 'node:crypto';
import { chmodSync, constants, copyFileSync, cpSync, lstatSync, mkdirSync, renameSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import type { Image, TreeEntry } from '../../images/index.js';

/** The host path of a path inside the container; `..` cannot climb out of the rootfs. */
export function hostPath(rootfs: string, containerPath: string): string {
  const normal = posix.normalize(`/${containerPath}`);
  return normal === '/' ? rootfs : join(rootfs, normal);
}

/** Relative form of a container path (`/data/x` → `data/x`), as image manifests list them. */
export function relativePath(containerPath: string): string {
  return posix.normalize(`/${containerPath}`).slice(1);
}

export function copyImage(image: Image, rootfs: string): void {
  mkdirSync(dirname(rootfs), { recursive: true });
  // Clone where the filesystem can (cheap copy-on-write), copy otherwise.
  cpSync(image.rootfs, rootfs, { recursive: true, verbatimSymlinks: true, mode: constants.COPYFILE_FICLONE });
}

/** Replaces whatever the image has at each mount path by a symlink to the volume. */
export function linkMounts(rootfs: string, mounts: { mountPath: string; target: string }[]): void {
  for (const m of mounts) {
    const at = hostPath(rootfs, m.mountPath);
    if (at === rootfs) throw new Error(`cannot mount a volume at "/"`);
    mkdirSync(dirname(at), { recursive: true });
    rmSync(at, { recursive: true, force: true });
    // A relative target would be read from the link's own folder: `hotpod up`'s default data
    // dir (.hotpod) is relative to where it was started.
    symlinkSync(resolve(m.target), at);
  }
}

/**
 * Makes the rootfs hold the new image's files without replacing any directory, so a running
 * process keeps a valid working dir and open files keep their old contents (each changed file
 * is replaced by a rename). Files the old image did not have (written by the container) stay,
 * as in the container's writable layer; image files the new image drops go; mount points are
 * left alone. An image file the container modified is overwritten when the new image changes it.
 */
export function patchRootfs(rootfs: string, oldFiles: TreeEntry[], image: Image, mountPaths: string[]): void {
  const mounted = (p: string) => mountPaths.some((m) => p === m || p.startsWith(`${m}/`));
  const before = new Map(oldFiles.map((e) => [e.path, e]));
  const after = new Set<string>();
  for (const e of image.files) {
    after.add(e.path);
    if (mounted(e.path)) continue;
    const old = before.get(e.path);
    if (old && sameEntry(old, e) && existsAs(join(rootfs, e.path), e.type)) continue;
    placeEntry(rootfs, image.rootfs, e);
  }
  // Children before parents, so a dropped directory is empty by the time it is reached.
  const dropped = oldFiles.filter((e) => !after.has(e.path) && !mounted(e.path)).reverse();
  for (const e of dropped) {
    const at = join(rootfs, e.path);
    try {
      if (e.type === 'dir') rmdirSync(at);
      else rmSync(at, { force: true });
    } catch {
      // A directory the container put files of its own in stays, with them.
    }
  }
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  return a.type === b.type && a.mode === b.mode && a.sha256 === b.sha256 && a.target === b.target;
}

function existsAs(p: string, type: TreeEntry['type']): boolean {
  try {
    const st = lstatSync(p);
    return type === 'dir' ? st.isDirectory() : type === 'symlink' ? st.isSymbolicLink() : st.isFile();
  } catch {
    return false;
  }
}

function placeEntry(rootfs: string, source: string, e: TreeEntry): void {
  const at = join(rootfs, e.path);
  if (e.type === 'dir') {
    if (!existsAs(at, 'dir')) {
      rmSync(at, { force: true });
      mkdirSync(at, { recursive: true });
    }
    chmodSync(at, e.mode);
    return;
  }
  if (existsAs(at, 'dir')) rmSync(at, { recursive: true, force: true });
  mkdirSync(dirname(at), { recursive: true });
  const tmp = join(dirname(at), `.hotpod-patch-${randomBytes(6).toString('hex')}`);
  if (e.type === 'symlink') symlinkSync(e.target!, tmp);
  else {
    copyFileSync(join(source, e.path), tmp);
    chmodSync(tmp, e.mode);
  }
  renameSync(tmp, at);
}
