// The API of authentication and authorization itself: TokenRequest (serviceaccounts/token),
// SelfSubjectReview (`kubectl auth whoami`), SelfSubjectAccessReview (`kubectl auth can-i`),
// SelfSubjectRulesReview (`kubectl auth can-i --list`), and TokenReview, SubjectAccessReview
// and LocalSubjectAccessReview for servers that delegate to this one. Answered, never stored.

import { ApiError, badRequest, conflict, invalid } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { ResourceDef } from '../types.js';
import type { RbacAuthorizer } from '../auth/authorizer.js';
import { API_AUDIENCE, type BoundRef, type TokenSigner } from '../auth/tokens.js';
import type { RequestAttributes } from '../../util/request-attributes.js';
import type { UserInfo } from '../auth/user.js';
import type { Authenticator } from '../auth/authenticator.js';
import { rfc3339 } from '../../util/time.js';

type Json = Record<string, any>;

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export async function requestToken(objects: ObjectService, signer: TokenSigner, namespace: string, name: string, body: unknown): Promise<object> {
  const req = (body ?? {}) as Json;
  const spec = (req.spec ?? {}) as Json;
  const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [API_AUDIENCE];
  if (typeof expirationSeconds !== 'number' || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
    const why = expirationSeconds > MAX_EXPIRATION_SECONDS ? 'may not specify a duration larger than 2^32 seconds' : 'may not specify a duration less than 10 minutes';
    throw invalid('authentication.k8s.io', 'TokenRequest', name, [
      { reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(expirationSeconds)}: ${why}` },
    ]);
  }
  const sa = objects.get(lookup(objects, '', 'serviceaccounts'), namespace, name);
  const bound = boundObject(objects, namespace, name, spec.boundObjectRef);
  const { token, claims } = signer.issue({
    namespace,
    serviceAccount: { name, uid: sa.metadata.uid! },
    audiences,
    expirationSeconds,
    ...bound,
  });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: rfc3339(claims.exp * 1000) },
  };
}

/** A token bound to a pod or secret dies with it. */
function boundObject(objects: ObjectService, namespace: string, saName: string, ref: Json | undefined): { pod?: BoundRef; secret?: BoundRef } {
  if (!ref) return {};
  const resource = ref.kind === 'Pod' ? 'pods' : ref.kind === 'Secret' ? 'secrets' : undefined;
  if (!resource || (ref.apiVersion ?? 'v1') !== 'v1') {
    throw badRequest(`cannot bind token for serviceaccount "${saName}" to object of kind "${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}"`);
  }
  const obj = objects.get(lookup(objects, '', resource), namespace, String(ref.name ?? ''));
  if (ref.uid && ref.uid !== obj.metadata.uid) {
    throw conflict('', resource, String(ref.name), `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  const bound = { name: obj.metadata.name!, uid: obj.metadata.uid! };
  return resource === 'pods' ? { pod: bound } : { secret: bound };
}

function userInfoJson(user: UserInfo): Json {
  const userInfo: Json = { username: user.name, groups: user.groups };
  if (user.uid) userInfo.uid = user.uid;
  if (user.extra) userInfo.extra = user.extra;
  return userInfo;
}

export function selfSubjectReview(user: UserInfo): object {
  const userInfo = userInfoJson(user);
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    status: { userInfo },
  };
}

export function selfSubjectAccessReview(authorizer: RbacAuthorizer, user: UserInfo, body: unknown): object {
  const spec = (((body ?? {}) as Json).spec ?? {}) as Json;
  return accessReview('SelfSubjectAccessReview', authorizer, user, spec, {});
}

/** SubjectAccessReview and LocalSubjectAccessReview: may this user (not the caller) do that? */
export function subjectAccessReview(authorizer: RbacAuthorizer, body: unknown, namespace?: string): object {
  const review = (body ?? {}) as Json;
  const spec = (review.spec ?? {}) as Json;
  const kind = namespace === undefined ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
  if (!spec.user && !(Array.isArray(spec.groups) && spec.groups.length)) {
    throw invalid('authorization.k8s.io', kind, '', [
      { reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' },
    ]);
  }
  if (namespace !== undefined && spec.resourceAttributes && str(spec.resourceAttributes.namespace) !== namespace) {
    throw invalid('authorization.k8s.io', kind, '', [
      { reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: `Invalid value: ${JSON.stringify(str(spec.resourceAttributes.namespace))}: must match metadata.namespace` },
    ]);
  }
  const user: UserInfo = { name: str(spec.user), groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [] };
  const metadata = namespace === undefined ? {} : { namespace };
  return accessReview(kind, authorizer, user, spec, metadata);
}

function accessReview(kind: string, authorizer: RbacAuthorizer, user: UserInfo, spec: Json, metadata: Json): object {
  const resource = spec.resourceAttributes as Json | undefined;
  const nonResource = spec.nonResourceAttributes as Json | undefined;
  if (!resource === !nonResource) {
    throw invalid('authorization.k8s.io', kind, '', [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.resourceAttributes',
        message: `Invalid value: ${resource ? 'v1.ResourceAttributes' : '"null"'}: exactly one of nonResourceAttributes or resourceAttributes must be specified`,
      },
    ]);
  }
  const attrs: RequestAttributes = resource
    ? {
        kind: 'resource',
        verb: str(resource.verb),
        apiGroup: str(resource.group),
        apiVersion: str(resource.version),
        resource: str(resource.resource),
        subresource: str(resource.subresource),
        name: str(resource.name),
        namespace: str(resource.namespace),
      }
    : { kind: 'nonResource', verb: str(nonResource!.verb), path: str(nonResource!.path) };
  const decision = authorizer.authorize(user, attrs);
  const status: Json = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return { kind, apiVersion: 'authorization.k8s.io/v1', metadata: { ...metadata, creationTimestamp: null }, spec, status };
}

/** TokenReview: what a token says about its bearer, for servers that delegate authentication. */
export function tokenReview(authenticator: Authenticator, body: unknown): object {
  const spec = (((body ?? {}) as Json).spec ?? {}) as Json;
  const wanted: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [API_AUDIENCE];
  const user = typeof spec.token === 'string' && spec.token ? authenticator.authenticateToken(spec.token, wanted) : undefined;
  const status: Json = user ? { authenticated: true, user: userInfoJson(user), audiences: wanted } : { user: {}, error: 'invalid bearer token' };
  return { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status };
}

export function selfSubjectRulesReview(authorizer: RbacAuthorizer, user: UserInfo, body: unknown): object {
  const spec = (((body ?? {}) as Json).spec ?? {}) as Json;
  const { rules, errors } = authorizer.rulesFor(user, str(spec.namespace));
  const resourceRules = rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs }));
  const status: Json = { resourceRules, nonResourceRules, incomplete: errors.length > 0 };
  if (errors.length) status.evaluationError = errors.join(', ');
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  };
}

function lookup(objects: ObjectService, group: string, resource: string): ResourceDef {
  const def = objects.registry.all().find((d) => d.group === group && d.resource === resource);
  if (!def) throw new ApiError(500, 'InternalError', `Internal error occurred: ${resource} is not served`);
  return def;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
