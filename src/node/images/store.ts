// The image store on disk, shared by `hotpod image` and every node's process runtime:
//
//   <data-dir>/images/sha256/<hex>/rootfs/       the image's files
//   <data-dir>/images/sha256/<hex>/image.json    { config, files, created, size }
//   <data-dir>/images/tags/<urlencoded name:tag> one line: sha256:<hex>
//
// Images are immutable and land by one rename, tags are one file each, so a CLI building or
// removing images while `hotpod up` runs needs no lock.

import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IMAGE_CONFIG_FILE, readImageConfig, type ImageConfig } from './config.js';
import { parseImageReference } from '../../util/image-reference.js';
import { treeSize, walkTree, type TreeEntry } from './tree.js';

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** `name:tag` as tags are stored, the default tag made explicit: `game` is `game:latest`. */
function nameTag(ref: string): string {
  const r = IMAGE_ID.test(ref) ? undefined : parseImageReference(ref);
  if (!r) throw new Error(`invalid image reference "${ref}"`);
  if (r.digest !== undefined) throw new Error(`"${ref}" is not a name:tag reference`);
  return `${r.name}:${r.tag ?? 'latest'}`;
}

export interface Image {
  id: string; // sha256:<hex>
  config: ImageConfig;
  files: TreeEntry[];
  created: string;
  size: number;
  /** Directory holding the image's files. */
  rootfs: string;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  created: string;
  size: number;
}

export class ImageStore {
  readonly root: string;
  // Images never change once written, so what was read once stays true.
  private readonly cache = new Map<string, Image>();

  constructor(dataDir: string) {
    this.root = join(resolve(dataDir), 'images');
  }

  /** Copies DIR into the store and tags it; the id depends on the files and config only. */
  build(dir: string, tags: string[]): Image {
    const src = resolve(dir);
    if (!existsSync(src) || !statSync(src).isDirectory()) throw new Error(`${dir}: not a directory`);
    const config = readImageConfig(src);
    const normalized = tags.map(nameTag);
    const shaDir = join(this.root, 'sha256');
    mkdirSync(shaDir, { recursive: true });
    const tmp = join(shaDir, `.build-${randomBytes(6).toString('hex')}`);
    try {
      const configFile = join(src, IMAGE_CONFIG_FILE);
      cpSync(src, join(tmp, 'rootfs'), { recursive: true, verbatimSymlinks: true, filter: (p) => p !== configFile });
      // Hash the copy, not the source, so the id describes exactly what was stored.
      const files = walkTree(join(tmp, 'rootfs'));
      const id = `sha256:${createHash('sha256').update(JSON.stringify({ config, files })).digest('hex')}`;
      const final = this.imageDir(id);
      if (existsSync(final)) {
        rmSync(tmp, { recursive: true, force: true });
      } else {
        const meta = { config, files, created: new Date().toISOString(), size: treeSize(files) };
        writeFileSync(join(tmp, 'image.json'), JSON.stringify(meta));
        renameSync(tmp, final);
      }
      for (const tag of normalized) this.tag(tag, id);
      return this.get(id)!;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  tag(ref: string, id: string): void {
    const dir = join(this.root, 'tags');
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
    writeFileSync(tmp, `${id}\n`);
    renameSync(tmp, this.tagFile(nameTag(ref)));
  }

  /** The image id a reference names, or undefined when the store does not hold it. */
  resolve(ref: string): string | undefined {
    if (IMAGE_ID.test(ref)) return existsSync(this.imageDir(ref)) ? ref : undefined;
    const r = parseImageReference(ref);
    if (!r) return undefined;
    if (r.digest === undefined) {
      // Most images a node sees are not in the store: existsSync answers that without the
      // cost of a thrown ENOENT (the read below still copes with a tag removed in between).
      const file = this.tagFile(`${r.name}:${r.tag ?? 'latest'}`);
      if (!existsSync(file)) return undefined;
      try {
        const id = readFileSync(file, 'utf8').trim();
        return existsSync(this.imageDir(id)) ? id : undefined;
      } catch {
        return undefined;
      }
    }
    return IMAGE_ID.test(r.digest) && existsSync(this.imageDir(r.digest)) ? r.digest : undefined;
  }

  get(id: string): Image | undefined {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const dir = this.imageDir(id);
    let meta: { config: ImageConfig; files: TreeEntry[]; created: string; size: number };
    try {
      meta = JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8'));
    } catch {
      return undefined;
    }
    const image: Image = { id, ...meta, rootfs: join(dir, 'rootfs') };
    this.cache.set(id, image);
    return image;
  }

  /** Every image with its tags, newest first. */
  list(): ImageSummary[] {
    const tagsById = new Map<string, string[]>();
    for (const { tag, id } of this.tags()) tagsById.set(id, [...(tagsById.get(id) ?? []), tag]);
    const shaDir = join(this.root, 'sha256');
    const ids = existsSync(shaDir) ? readdirSync(shaDir).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`) : [];
    return ids
      .map((id) => this.get(id))
      .filter((img): img is Image => img !== undefined)
      .map((img) => ({ id: img.id, tags: (tagsById.get(img.id) ?? []).sort(), created: img.created, size: img.size }))
      .sort((a, b) => b.created.localeCompare(a.created));
  }

  tags(): { tag: string; id: string }[] {
    const dir = join(this.root, 'tags');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .map((n) => ({ tag: decodeURIComponent(n), id: readFileSync(join(dir, n), 'utf8').trim() }));
  }

  /**
   * `name:tag` removes that tag, and the image once no tag is left; an id (or its first 12+
   * hex digits) removes the image and all its tags. Running containers keep their own copies,
   * but their next restart would find no image and run simulated, so an image that `usedBy`
   * names a container of is refused with docker's conflict messages: a tag unless `force`,
   * an id always.
   */
  remove(ref: string, opts: { force?: boolean; usedBy?: (id: string) => string | undefined } = {}): { untagged: string[]; deleted?: string } {
    const untagged: string[] = [];
    let id: string | undefined;
    const prefix = /^(sha256:)?([0-9a-f]{12,64})$/.exec(ref);
    if (prefix) {
      const matches = this.list().filter((img) => img.id.slice(7).startsWith(prefix[2]!));
      if (matches.length > 1) throw new Error(`image id prefix "${ref}" is ambiguous`);
      id = matches[0]?.id;
    }
    const user = (imageId: string) => opts.usedBy?.(imageId)?.slice(0, 12);
    if (id) {
      const container = user(id);
      if (container) throw new Error(`conflict: unable to delete ${shortImageId(id)} (cannot be forced) - image is being used by running container ${container}`);
      for (const t of this.tags()) {
        if (t.id === id) {
          rmSync(this.tagFile(t.tag), { force: true });
          untagged.push(t.tag);
        }
      }
    } else {
      const tag = nameTag(ref);
      id = this.resolve(tag);
      if (!existsSync(this.tagFile(tag))) throw new Error(`no such image: ${ref}`);
      const last = id !== undefined && !this.tags().some((t) => t.id === id && t.tag !== tag);
      const container = last && !opts.force ? user(id!) : undefined;
      if (container) throw new Error(`conflict: unable to remove repository reference "${ref}" (must force) - container ${container} is using its referenced image ${shortImageId(id!)}`);
      rmSync(this.tagFile(tag), { force: true });
      untagged.push(tag);
      if (!id || this.tags().some((t) => t.id === id)) return { untagged };
    }
    rmSync(this.imageDir(id), { recursive: true, force: true });
    this.cache.delete(id);
    return { untagged, deleted: id };
  }

  private imageDir(id: string): string {
    return join(this.root, 'sha256', id.replace(/^sha256:/, ''));
  }

  private tagFile(tag: string): string {
    return join(this.root, 'tags', encodeURIComponent(tag));
  }
}

/** An image id as docker prints it: 12 hex digits, without `sha256:`. */
export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
