// Bearer tokens to identities: the admin token of the kubeconfig hotpod writes, and
// ServiceAccount tokens, which stay valid only while their account (and the pod or secret they
// are bound to, if any) still exists with the uid it had when the token was made.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../storage/store.js';
import type { TokenSigner, BoundRef } from './tokens.js';
import { ADMIN_USER, KUBELET_CLIENT_USER, serviceAccountUser, type UserInfo } from './user.js';

const DELETION_GRACE_MS = 60_000;

export class Authenticator {
  private readonly adminToken: Buffer;
  /**
   * The credential the API server presents to kubelet endpoints: made anew at each start and
   * kept in memory only (nodes check it with a TokenReview), so no file holds it.
   */
  readonly kubeletClientToken = randomBytes(32).toString('base64url');
  private readonly kubeletClient = Buffer.from(this.kubeletClientToken);

  constructor(
    adminToken: string,
    private readonly signer: TokenSigner,
    private readonly store: Store,
  ) {
    this.adminToken = Buffer.from(adminToken);
  }

  /** The user a request's Authorization header names; undefined when it names none or an invalid one. */
  authenticate(header: string | undefined): UserInfo | undefined {
    if (!header || !header.startsWith('Bearer ')) return undefined;
    return this.authenticateToken(header.slice(7).trim());
  }

  /** One token, for requests and for TokenReview (which may ask for other audiences than the API server's). */
  authenticateToken(token: string, audiences?: string[]): UserInfo | undefined {
    const given = Buffer.from(token);
    if (given.length === this.adminToken.length && timingSafeEqual(given, this.adminToken)) return ADMIN_USER;
    if (given.length === this.kubeletClient.length && timingSafeEqual(given, this.kubeletClient)) return KUBELET_CLIENT_USER;
    return this.serviceAccount(token, audiences);
  }

  private serviceAccount(token: string, audiences?: string[]): UserInfo | undefined {
    const claims = this.signer.verify(token, Date.now(), audiences);
    if (!claims) return undefined;
    const k = claims['kubernetes.io'];
    if (!this.exists('/serviceaccounts', k.namespace, k.serviceaccount)) return undefined;
    if (k.pod && !this.exists('/pods', k.namespace, k.pod)) return undefined;
    if (k.secret && !this.exists('/secrets', k.namespace, k.secret)) return undefined;
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    return { ...serviceAccountUser(k.namespace, k.serviceaccount.name, k.serviceaccount.uid), extra };
  }

  /** Still there with the same uid; one being deleted counts for a minute more, as in kube, so a terminating pod can still call home. */
  private exists(groupResource: string, namespace: string, ref: BoundRef): boolean {
    const obj = this.store.get(groupResource, namespace, ref.name);
    if (!obj || obj.metadata.uid !== ref.uid) return false;
    const deleted = obj.metadata.deletionTimestamp;
    return !deleted || Date.parse(deleted) > Date.now() - DELETION_GRACE_MS;
  }
}
