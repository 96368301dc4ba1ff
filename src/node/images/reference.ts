// Image references as users write them: `name`, `name:tag`, `host:5000/team/name:tag`,
// `name@sha256:<hex>`, or an image id `sha256:<hex>` (or its first 12+ hex digits).

export type ImageRef =
  | { kind: 'tag'; name: string; tag: string }
  | { kind: 'digest'; name: string; id: string }
  | { kind: 'id'; id: string };

const HEX64 = /^[0-9a-f]{64}$/;

export function parseImageRef(ref: string): ImageRef {
  const s = ref.trim();
  if (s.startsWith('sha256:')) {
    if (!HEX64.test(s.slice(7))) throw new Error(`invalid image id "${ref}": expected sha256:<64 hex digits>`);
    return { kind: 'id', id: s };
  }
  const at = s.indexOf('@');
  if (at >= 0) {
    const id = s.slice(at + 1);
    if (!id.startsWith('sha256:') || !HEX64.test(id.slice(7))) throw new Error(`invalid image digest in "${ref}"`);
    return { kind: 'digest', name: s.slice(0, at), id };
  }
  if (!s || /\s/.test(s)) throw new Error(`invalid image reference "${ref}"`);
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) {
    const tag = s.slice(colon + 1);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`invalid tag in image reference "${ref}"`);
    return { kind: 'tag', name: s.slice(0, colon), tag };
  }
  return { kind: 'tag', name: s, tag: 'latest' };
}

/** `name:tag` with the default tag made explicit, as tags are stored. */
export function normalizeTag(ref: string): string {
  const r = parseImageRef(ref);
  if (r.kind !== 'tag') throw new Error(`"${ref}" is not a name:tag reference`);
  return `${r.name}:${r.tag}`;
}

/** The repository part (`name` of `name:tag`), for `<repo>@sha256:...` image IDs. */
export function repositoryOf(ref: string): string {
  try {
    const r = parseImageRef(ref);
    return r.kind === 'id' ? '' : r.name;
  } catch {
    return ref;
  }
}
