// The controller's requests in the terms RBAC authorizes (src/util/request-attributes.ts, the
// same reading the embedded API server authorises by). The deploy/ RBAC test records every
// request the controller makes through KubeClient's onRequest and checks each against the
// ClusterRole with these attributes.

import { requestAttributes as attributesOf, type RequestAttributes } from '../util/request-attributes.js';

export type { NonResourceAttributes, RequestAttributes, ResourceAttributes } from '../util/request-attributes.js';

/** One request as the client sends it: the path below the server's URL, and the query. */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export function requestAttributes(req: ApiRequest): RequestAttributes {
  return attributesOf(req.method, req.path, new URLSearchParams(req.query));
}

/** A request as the `hotpod_api_requests_total` metric labels it: `pods`, `pods/status`, '' for discovery. */
export function describeRequest(method: string, path: string, isWatch = false): { verb: string; resource: string } {
  const [pathname = '', search = ''] = path.split('?');
  const query = new URLSearchParams(search);
  if (isWatch) query.set('watch', 'true');
  const a = attributesOf(method, pathname, query);
  if (a.kind === 'nonResource') return { verb: a.verb, resource: '' };
  return { verb: a.verb, resource: a.subresource ? `${a.resource}/${a.subresource}` : a.resource };
}
