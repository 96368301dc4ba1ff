// What an API request asks for, in the terms RBAC authorizes: API group, resource, subresource,
// namespace, name and verb (the API server's RequestInfo). The deploy/ RBAC test records every
// request the controller makes through createClients' onRequest and checks each against the
// ClusterRole with these attributes.

/** One request as the client sends it: the path below the server's URL, and the query. */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface ResourceAttributes {
  resourceRequest: true;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  /** '' when the request is on the object itself */
  subresource: string;
  /** '' for cluster-scoped resources and all-namespace lists */
  namespace: string;
  /** '' for collections */
  name: string;
}

/** Discovery (/api, /apis/group/version) and other paths outside any resource. */
export interface NonResourceAttributes {
  resourceRequest: false;
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

const WRITE_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

export function requestAttributes(req: ApiRequest): RequestAttributes {
  const method = req.method.toUpperCase();
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    [group, version, rest] = ['', parts[1]!, parts.slice(2)];
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  } else {
    return { resourceRequest: false, verb: method.toLowerCase(), path: req.path };
  }
  // /namespaces/NS/<resource>... is a namespaced resource; /namespaces and /namespaces/NS are the
  // namespaces themselves.
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    namespace = rest[1]!;
  }
  const [resource = '', name = '', subresource = ''] = rest;
  return { resourceRequest: true, verb: verbOf(method, name, req.query), apiGroup: group, apiVersion: version, resource, subresource, namespace, name };
}

function verbOf(method: string, name: string, query: Record<string, string>): string {
  if (method === 'GET' || method === 'HEAD') {
    if (query.watch === 'true' || query.watch === '1') return 'watch';
    return name ? 'get' : 'list';
  }
  if (method === 'DELETE') return name ? 'delete' : 'deletecollection';
  return WRITE_VERBS[method] ?? method.toLowerCase();
}
