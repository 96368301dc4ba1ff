// Parses a Kubernetes API path into what it addresses.

type ParsedPath =
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | ResourceRequest;

export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix. */
  watch: boolean;
}

/** Subresources of a namespace, which look like a namespaced resource path of length three. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestPath(path: string): ParsedPath | undefined {
  const parts = path.split('/').filter(Boolean);
  if (path.includes('%')) for (let i = 0; i < parts.length; i++) parts[i] = decodeURIComponent(parts[i]);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 2) return undefined;
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 2) return undefined;
    if (parts.length === 2) return { kind: 'group', group: parts[1] };
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { kind: 'resources', group, version };
  let watch = false;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [resource, name, subresource] = rest;
  return { kind: 'resource', group, version, resource, namespace, name, subresource, watch };
}
