// Every namespace gets a `default` ServiceAccount, as kube-controller-manager makes one, so
// pods that name no service account refer to an object that exists.

import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { ObjectService } from '../objects.js';

export function startServiceAccounts(objects: ObjectService, logger: Logger): () => void {
  const saDef = objects.registry.lookup('', 'v1', 'serviceaccounts')!;
  const ensure = (namespace: string) => {
    if (objects.store.get('/serviceaccounts', namespace, 'default')) return;
    objects
      .create(saDef, namespace, { metadata: { name: 'default' } })
      .catch((err) => {
        if (err instanceof ApiError && (err.code === 409 || err.code === 403 || err.code === 404)) return;
        logger.warn({ err, namespace }, 'could not create the default service account');
      });
  };
  for (const ns of objects.store.list('/namespaces')) if (!ns.metadata.deletionTimestamp) ensure(ns.metadata.name!);
  return objects.store.subscribe((e) => {
    if (e.groupResource === '/namespaces' && e.type === 'ADDED') ensure(e.object.metadata.name!);
  });
}
