// What a request asks to do, in the terms RBAC rules are written in, derived from the URL and
// method the way kube-apiserver's RequestInfoFactory does it. One reading for both sides: the
// embedded API server authorises by it, and the controller names its requests by it (the
// request metric, and the RBAC test of deploy/).

export interface ResourceAttributes {
  kind: 'resource';
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
  /** '' for cluster-scoped requests. */
  namespace: string;
}

export interface NonResourceAttributes {
  kind: 'nonResource';
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** Subresources of a namespace, whose paths would otherwise look like a namespaced resource. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  method = method.toUpperCase();
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const nonResource = (): NonResourceAttributes => ({ kind: 'nonResource', verb: method.toLowerCase(), path });
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource();
  let rest = parts.slice(1);
  let apiGroup = '';
  if (parts[0] === 'apis') {
    if (rest.length < 3) return nonResource();
    apiGroup = rest[0];
    rest = rest.slice(1);
  }
  const apiVersion = rest[0];
  rest = rest.slice(1);
  let verb: string;
  if (rest[0] === 'watch' && rest.length >= 2) {
    verb = 'watch';
    rest = rest.slice(1);
  } else {
    verb = METHOD_VERBS[method] ?? '';
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const [resource = '', pathName = '', subresource = ''] = rest;
  let name = pathName;
  if (!name && verb === 'get') {
    verb = query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    name = exactNameSelector(query.get('fieldSelector')) ?? '';
  }
  if (!name && verb === 'delete') verb = 'deletecollection';
  return { kind: 'resource', verb, apiGroup, apiVersion, resource, subresource, name, namespace };
}

/** `metadata.name=x` in a list or watch narrows it to one object, as `kubectl get pod x -w` sends. */
function exactNameSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*([^\s,]+)\s*$/.exec(term);
    if (m && !m[1].includes('/') && m[1] !== '.' && m[1] !== '..') return m[1];
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
