// Legacy ServiceAccount token Secrets: a Secret of type kubernetes.io/service-account-token
// that names an existing account (annotation kubernetes.io/service-account.name) gets a token,
// the cluster CA and the namespace written into it, as kube-controller-manager's tokens
// controller does. The token is bound to the Secret: deleting the Secret (or the account)
// revokes it.

import type { Logger } from 'pino';
import type { ObjectService } from '../objects.js';
import type { KObject } from '../types.js';
import { API_AUDIENCE, type TokenSigner } from '../auth/tokens.js';
import { ApiError } from '../errors.js';

type Json = Record<string, any>;

const TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';
/** Legacy tokens do not expire; a century is as close as a JWT with `exp` gets. */
const LEGACY_TOKEN_SECONDS = 100 * 365 * 24 * 3600;

export function startTokenSecrets(objects: ObjectService, signer: TokenSigner, caCert: string, logger: Logger): () => void {
  const secrets = objects.registry.lookup('', 'v1', 'secrets')!;
  const populate = (secret: KObject) => {
    if (!needsToken(secret)) return;
    const namespace = secret.metadata.namespace!;
    const annotations = secret.metadata.annotations ?? {};
    const sa = objects.store.get('/serviceaccounts', namespace, annotations[NAME_ANNOTATION]);
    if (!sa) return;
    if (annotations[UID_ANNOTATION] && annotations[UID_ANNOTATION] !== sa.metadata.uid) return;
    const { token } = signer.issue({
      namespace,
      serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
      audiences: [API_AUDIENCE],
      expirationSeconds: LEGACY_TOKEN_SECONDS,
      secret: { name: secret.metadata.name!, uid: secret.metadata.uid! },
    });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const next: Json = structuredClone(secret);
    next.metadata.annotations = { ...annotations, [UID_ANNOTATION]: sa.metadata.uid };
    next.data = { ...(next.data ?? {}), token: b64(token), 'ca.crt': b64(caCert), namespace: b64(namespace) };
    objects.update(secrets, namespace, secret.metadata.name!, next, undefined).catch((err) => {
      // A concurrent write wins; its event brings the secret back here.
      if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) logger.warn({ err, namespace, secret: secret.metadata.name }, 'could not write a service account token');
    });
  };
  for (const secret of objects.store.list('/secrets')) populate(secret);
  return objects.store.subscribe((e) => {
    if (e.groupResource === '/secrets' && e.type !== 'DELETED') populate(e.object);
    // An account created after its token Secret fills it then.
    if (e.groupResource === '/serviceaccounts' && e.type === 'ADDED') {
      for (const secret of objects.store.list('/secrets', e.object.metadata.namespace)) populate(secret);
    }
  });
}

function needsToken(secret: KObject): boolean {
  const s = secret as Json;
  return s.type === TOKEN_SECRET_TYPE && !s.data?.token && !!secret.metadata.annotations?.[NAME_ANNOTATION] && !secret.metadata.deletionTimestamp;
}
