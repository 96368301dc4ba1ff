// Container image references as docker and containerd parse them. Kubelet refuses a reference
// that does not parse before it asks any runtime (waiting reason InvalidImageName), so the agent
// checks here, whatever runtime would run the image.

export interface ImageReference {
  /** Registry host (and port); docker.io when the reference names none. */
  domain: string;
  /** Repository path inside the registry: `library/nginx` for `nginx`. */
  path: string;
  tag?: string;
  digest?: string;
}

// The grammar of github.com/distribution/reference (reference.go), written out as regexps.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`);
const NAME_TOTAL_LENGTH_MAX = 255;

/** Parses a reference the way kubelet does, or returns undefined when it is not valid. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) return undefined;
  // The first component names a registry only if it looks like a host; otherwise it is Docker Hub.
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let host = isDomain ? first : 'docker.io';
  let path = isDomain ? name.slice(slash + 1) : name;
  if (host === 'index.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { domain: host, path, tag: m[2], digest: m[3] };
}

/** The message kubelet writes next to InvalidImageName. */
export function invalidImageMessage(ref: string): string {
  return `Failed to apply default image tag "${ref}": couldn't parse image name "${ref}": invalid reference format`;
}

/** `docker.io/library/nginx`: the repository part of a reference, fully qualified. */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}
