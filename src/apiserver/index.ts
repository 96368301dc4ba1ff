// The embedded control plane: store, registry, HTTP API, and the in-process controllers that
// Kubernetes semantics depend on. `startControlPlane` is what `hotpod up` and the tests run.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Store } from './storage/store.js';
import { Registry } from './registry/registry.js';
import { ObjectService } from './objects.js';
import type { KObject } from './types.js';
import { Watches } from './watch.js';
import { HttpServer } from './http/server.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { startServiceAccounts } from './controllers/service-accounts.js';
import { ClusterRoleAggregator } from './controllers/cluster-role-aggregation.js';
import { startTokenSecrets } from './controllers/token-secrets.js';
import { startEventTtl } from './controllers/event-ttl.js';
import { LOCAL_PROVISIONER, VolumeController } from './controllers/volumes.js';
import { DEFAULT_CLASS_ANNOTATION, STORAGE_GROUP } from './registry/storage-strategy.js';
import { ensureCredentials, kubeconfigYaml } from './pki.js';
import { ApiError } from './errors.js';
import { Authenticator } from './auth/authenticator.js';
import { RbacAuthorizer } from './auth/authorizer.js';
import { TokenSigner } from './auth/tokens.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './auth/bootstrap-policy.js';
import { NODE_LEASE_NAMESPACE } from '../util/vocabulary.js';

export interface ControlPlaneOptions {
  dataDir: string;
  port?: number;
  address?: string;
  /** Keep objects in memory only (tests, benchmarks). */
  inMemory?: boolean;
  /** Serve plain HTTP instead of HTTPS (benchmarks measuring the API without TLS). */
  insecureHttp?: boolean;
  /** JSON bytes of objects the watch history keeps (default 64 MiB); older resourceVersions get 410. */
  watchHistoryBytes?: number;
  /** How long an Event object lives after its last write (default an hour, kube's --event-ttl). */
  eventTtlMs?: number;
  /** How long an event stays in the watch history (default 5 minutes, kube's compaction interval). */
  watchHistoryMaxAgeMs?: number;
  /** Bytes a watch may have queued for a client that does not read before it is closed (default 16 MiB). */
  watchSendBufferBytes?: number;
  logger: Logger;
}

export interface ControlPlane {
  url: string;
  kubeconfigPath: string;
  token: string;
  caCert: string;
  objects: ObjectService;
  close(): Promise<void>;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', NODE_LEASE_NAMESPACE];

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dataDir = resolve(opts.dataDir);
  // The data dir holds the store, keys and kubeconfig: its owner's only, as etcd keeps its own.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const address = opts.address ?? '127.0.0.1';
  const clientHost = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  const creds = ensureCredentials(dataDir, [clientHost]);

  const store = new Store({ file: opts.inMemory ? undefined : join(dataDir, 'state.db'), historyBytes: opts.watchHistoryBytes, historyMaxAgeMs: opts.watchHistoryMaxAgeMs });
  const registry = new Registry();
  const objects = new ObjectService(store, registry);
  objects.refreshCrds();
  await ensureNamespaces(objects);
  await ensureBootstrapPolicy(objects);
  await ensureDefaultStorageClass(objects);
  const tokens = TokenSigner.fromDataDir(dataDir);
  const authorizer = new RbacAuthorizer(store);
  const aggregator = new ClusterRoleAggregator(objects, opts.logger.child({ component: 'clusterrole-aggregation' }));
  await aggregator.start();
  const stopTokenSecrets = startTokenSecrets(objects, tokens, creds.caCert, opts.logger.child({ component: 'token-secrets' }));

  const gc = new GarbageCollector(objects, opts.logger.child({ component: 'garbage-collector' }));
  gc.start();
  const stopServiceAccounts = startServiceAccounts(objects, opts.logger.child({ component: 'serviceaccounts' }));
  const volumes = new VolumeController(objects, dataDir, opts.logger.child({ component: 'volumes' }));
  volumes.start();
  const stopEventTtl = startEventTtl(store, opts.logger.child({ component: 'event-ttl' }), { ttlMs: opts.eventTtlMs });
  const watches = new Watches(store, { sendBufferBytes: opts.watchSendBufferBytes, logger: opts.logger.child({ component: 'watch' }) });
  const http = new HttpServer({
    objects,
    watches,
    authenticator: new Authenticator(creds.token, tokens, store),
    authorizer,
    tokens,
    tls: opts.insecureHttp ? undefined : { key: creds.serverKey, cert: creds.serverCert },
    logger: opts.logger.child({ component: 'apiserver' }),
  });
  const bound = await http.listen(opts.port ?? 6443, address);
  const scheme = opts.insecureHttp ? 'http' : 'https';
  const url = `${scheme}://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${bound.port}`;
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(url, creds, opts.insecureHttp === true), { mode: 0o600 });

  let closed = false;
  return {
    url,
    kubeconfigPath,
    token: creds.token,
    caCert: creds.caCert,
    objects,
    async close() {
      if (closed) return;
      closed = true;
      gc.stop();
      stopServiceAccounts();
      volumes.stop();
      stopEventTtl();
      authorizer.stop();
      aggregator.stop();
      stopTokenSecrets();
      await http.close();
      store.close();
    },
  };
}

async function ensureNamespaces(objects: ObjectService): Promise<void> {
  const def = objects.registry.lookup('', 'v1', 'namespaces')!;
  for (const name of INITIAL_NAMESPACES) {
    try {
      await objects.create(def, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}

/** Created when absent and left alone otherwise, so an edited default survives a restart. */
async function ensureBootstrapPolicy(objects: ObjectService): Promise<void> {
  const rbac = (resource: string) => objects.registry.lookup('rbac.authorization.k8s.io', 'v1', resource)!;
  const wanted: [ReturnType<typeof rbac>, KObject[]][] = [
    [rbac('clusterroles'), bootstrapClusterRoles()],
    [rbac('clusterrolebindings'), bootstrapClusterRoleBindings()],
  ];
  for (const [def, list] of wanted) {
    for (const obj of list) {
      if (objects.store.get(`${def.group}/${def.resource}`, undefined, obj.metadata.name!)) continue;
      await objects.create(def, undefined, obj);
    }
  }
}

/** hotpod's default StorageClass. */
export const DEFAULT_STORAGE_CLASS = 'local';

/**
 * The class a claim without storageClassName gets: volumes are directories under the data dir,
 * deleted with their claim. Immediate binding: every embedded node runs on this machine and
 * reaches the directory, so there is no topology to wait for, and a claim is Bound as soon as it
 * is made (before its pod is scheduled), as `kubectl get pvc` then shows. Created when absent, so
 * a user's edit (or a deleted annotation) survives a restart, as kube's addon manager's
 * EnsureExists mode keeps classes.
 */
async function ensureDefaultStorageClass(objects: ObjectService): Promise<void> {
  const def = objects.registry.lookup(STORAGE_GROUP, 'v1', 'storageclasses')!;
  if (objects.store.get(`${STORAGE_GROUP}/storageclasses`, undefined, DEFAULT_STORAGE_CLASS)) return;
  await objects.create(def, undefined, {
    apiVersion: `${STORAGE_GROUP}/v1`,
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
}
