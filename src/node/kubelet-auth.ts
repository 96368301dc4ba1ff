// Who may use a node's kubelet endpoint, decided as kubelet's webhook mode decides it: the
// bearer token is checked with a TokenReview and the request with a SubjectAccessReview
// (resource `nodes`, subresource `proxy`, the node's name), both asked of the API server and
// both cached, so a `kubectl logs -f` burst costs the API server one review of each kind.

import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/index.js';

interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface NodeRequest {
  verb: string;
  subresource: string;
}

export interface KubeletAuth {
  /** The user the token names, or undefined when the API server does not know it. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether that user may make that request of this node. */
  authorize(user: ReviewedUser, request: NodeRequest): Promise<boolean>;
}

// kubelet's defaults (authentication.webhook.cacheTTL, authorization.webhook.cacheAuthorizedTTL
// and cacheUnauthorizedTTL).
const TOKEN_TTL_MS = 2 * 60_000;
const ALLOWED_TTL_MS = 5 * 60_000;
const DENIED_TTL_MS = 30_000;
/** Enough for every client of a node; a flood of made-up tokens evicts only older answers. */
const MAX_CACHED = 1024;

/** A map whose entries expire and whose size is bounded (the oldest entry goes first). */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until > now) return e.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, ttlMs: number, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_CACHED) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: now + ttlMs });
  }
}

/** Reviews asked of the API server through `client`, for the node `nodeName`. */
export function webhookAuth(client: KubeClient, nodeName: string): KubeletAuth {
  const tokens = new TtlCache<ReviewedUser | null>();
  const decisions = new TtlCache<boolean>();
  return {
    async authenticate(token) {
      // The cache keys on a digest, so the tokens themselves are not kept in memory.
      const key = createHash('sha256').update(token).digest('hex');
      const cached = tokens.get(key, Date.now());
      if (cached !== undefined) return cached ?? undefined;
      const review = await client.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      } });
      const user = review.status?.authenticated === true && typeof review.status.user?.username === 'string' ? (review.status.user as ReviewedUser) : null;
      tokens.set(key, user, TOKEN_TTL_MS, Date.now());
      return user ?? undefined;
    },
    async authorize(user, request) {
      const key = JSON.stringify([user.username, user.uid ?? '', user.groups ?? [], user.extra ?? {}, request.verb, request.subresource]);
      const cached = decisions.get(key, Date.now());
      if (cached !== undefined) return cached;
      const review = await client.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: { verb: request.verb, group: '', version: 'v1', resource: 'nodes', subresource: request.subresource, name: nodeName },
        },
      } });
      const allowed = review.status?.allowed === true;
      decisions.set(key, allowed, allowed ? ALLOWED_TTL_MS : DENIED_TTL_MS, Date.now());
      return allowed;
    },
  };
}
