// Container image references, parsed one way everywhere (the grammar docker, containerd and
// kubelet share, github.com/distribution/reference): `[host[:port]/]path[:tag][@digest]`.
// `localhost:5000/game` has a registry port and no tag; `game@sha256:<hex>` has a digest and no
// tag. Kubelet refuses a reference that does not parse before it asks any runtime (waiting
// reason InvalidImageName); the API server and the update engine default imagePullPolicy from
// the tag, and must agree on it, or an image-only change would look like a spec change.

interface ImageReference {
  /** The name as written, without tag or digest: `nginx`, `localhost:5000/team/app`. */
  name: string;
  /** Registry host (and port); docker.io when the reference names none. */
  domain: string;
  /** Repository path inside the registry: `library/nginx` for `nginx`. */
  path: string;
  tag?: string;
  digest?: string;
}

// The grammar of reference.go, written out as regexps.
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
/** A bare image id (`<64 hex>`) is not a repository name (docker's ParseNormalizedNamed). */
const IMAGE_ID = /^[a-f0-9]{64}$/;

/** Parses a reference the way kubelet does, or returns undefined when it is not valid. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX || IMAGE_ID.test(name)) return undefined;
  // The first component names a registry only if it looks like a host; otherwise it is Docker Hub.
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let host = isDomain ? first : 'docker.io';
  let path = isDomain ? name.slice(slash + 1) : name;
  if (host === 'index.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { name, domain: host, path, tag: m[2], digest: m[3] };
}

/** The message kubelet writes next to InvalidImageName. */
export function invalidImageMessage(ref: string): string {
  return `Failed to apply default image tag "${ref}": couldn't parse image name "${ref}": invalid reference format`;
}

/** `docker.io/library/nginx`: the repository part of a reference, fully qualified. */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/**
 * A container's default imagePullPolicy, as the API server sets it: Always for the tag `latest`
 * (and for no tag without a digest, which means latest), IfNotPresent otherwise, including a
 * reference that does not parse (kube ignores the error there; validation reports it).
 */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  const ref = typeof image === 'string' ? parseImageReference(image) : undefined;
  if (!ref) return 'IfNotPresent';
  return ref.tag === 'latest' || (ref.tag === undefined && ref.digest === undefined) ? 'Always' : 'IfNotPresent';
}
