// Impersonation (`kubectl --as`, `--as-group`, `--as-uid`): a request made on behalf of another
// user, allowed when the requester may `impersonate` each part of that identity, as
// kube-apiserver's impersonation filter checks it.

import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, type ApiError } from '../errors.js';
import type { ResourceAttributes } from '../../util/request-attributes.js';
import { AUTHENTICATED_GROUP, SERVICE_ACCOUNTS_GROUP, UNAUTHENTICATED_GROUP, type UserInfo } from './user.js';

const EXTRA_PREFIX = 'impersonate-extra-';
const SA_PREFIX = 'system:serviceaccount:';

/** Three lookups rather than a scan of every header: this runs on each request. Extras alone are ignored (they need a user). */
export function wantsImpersonation(headers: IncomingHttpHeaders): boolean {
  return headers['impersonate-user'] !== undefined || headers['impersonate-group'] !== undefined || headers['impersonate-uid'] !== undefined;
}

/**
 * The identity a request asks to act as, once `may` has allowed every part of it; throws
 * 400 for a malformed request and the error `deny` makes for a part not allowed.
 */
export function impersonatedUser(
  headers: NodeJS.Dict<string[]>,
  may: (attrs: ResourceAttributes) => boolean,
  deny: (attrs: ResourceAttributes) => ApiError,
): UserInfo {
  const name = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [header, values] of Object.entries(headers)) {
    if (header.startsWith(EXTRA_PREFIX) && values) extra[decodeURIComponent(header.slice(EXTRA_PREFIX.length))] = values;
  }
  if (!name) throw badRequest('requested impersonation of groups, uid or extra without impersonating a user');
  const check = (attrs: Omit<ResourceAttributes, 'kind' | 'verb' | 'apiVersion'>) => {
    const full: ResourceAttributes = { kind: 'resource', verb: 'impersonate', apiVersion: '', ...attrs };
    if (!may(full)) throw deny(full);
  };
  let impliedGroups: string[] = [];
  if (name.startsWith(SA_PREFIX) && name.split(':').length === 4) {
    const [, , namespace, saName] = name.split(':');
    check({ apiGroup: '', resource: 'serviceaccounts', subresource: '', name: saName, namespace });
    // A service account's groups follow from its name.
    if (!groups.length) impliedGroups = [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
  } else {
    check({ apiGroup: '', resource: 'users', subresource: '', name, namespace: '' });
  }
  for (const group of groups) check({ apiGroup: '', resource: 'groups', subresource: '', name: group, namespace: '' });
  if (uid) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', subresource: '', name: uid, namespace: '' });
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value, namespace: '' });
  }
  const all = [...groups, ...impliedGroups];
  if (name === 'system:anonymous') {
    if (!all.includes(UNAUTHENTICATED_GROUP)) all.push(UNAUTHENTICATED_GROUP);
  } else if (!all.includes(AUTHENTICATED_GROUP) && !all.includes(UNAUTHENTICATED_GROUP)) {
    all.push(AUTHENTICATED_GROUP);
  }
  const user: UserInfo = { name, groups: all };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}
