// The embedded control plane: store, registry, HTTP API, and the in-process controllers that
// Kubernetes semantics depend on. `startControlPlane` is what `hotpod up` and the tests run.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Store } from './storage/store.js';
import { Registry } from './registry/registry.js';
import { ObjectService } from './objects.js';
import { Watches } from './watch.js';
import { HttpServer } from './http/server.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { startServiceAccounts } from './controllers/service-accounts.js';
import { ensureCredentials, kubeconfigYaml } from './pki.js';
import { ApiError } from './errors.js';

export interface ControlPlaneOptions {
  dataDir: string;
  port?: number;
  address?: string;
  /** Keep objects in memory only (tests, benchmarks). */
  inMemory?: boolean;
  /** Serve plain HTTP instead of HTTPS (benchmarks measuring the API without TLS). */
  insecureHttp?: boolean;
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

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const address = opts.address ?? '127.0.0.1';
  const clientHost = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  const creds = ensureCredentials(dataDir, [clientHost]);

  const store = new Store({ file: opts.inMemory ? undefined : join(dataDir, 'state.db') });
  const registry = new Registry();
  const objects = new ObjectService(store, registry);
  objects.refreshCrds();
  await ensureNamespaces(objects);

  const gc = new GarbageCollector(objects, opts.logger.child({ component: 'garbage-collector' }));
  gc.start();
  const stopServiceAccounts = startServiceAccounts(objects, opts.logger.child({ component: 'serviceaccounts' }));
  const watches = new Watches(store);
  const http = new HttpServer({
    objects,
    watches,
    token: creds.token,
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
