// Kubeconfigs for ServiceAccounts of a test cluster: a token from the TokenRequest API
// (POST serviceaccounts/<name>/token), written next to the cluster's own kubeconfig, so kubectl
// and client-node act as that account and RBAC applies to them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenKubeconfigYaml } from '../../src/apiserver/pki.js';
import { api, apiOk, ensureNamespace, type Cluster } from './cluster.js';

export interface ServiceAccountKubeconfig {
  /** the kubeconfig file (mode 0600) */
  path: string;
  token: string;
  /** system:serviceaccount:<namespace>:<name> */
  username: string;
}

/**
 * Creates the namespace and ServiceAccount when missing, asks for a token (default lifetime one
 * hour) and writes a kubeconfig whose context defaults to the namespace.
 */
export async function serviceAccountKubeconfig(
  cluster: Cluster,
  namespace: string,
  name: string,
  opts: { expirationSeconds?: number } = {},
): Promise<ServiceAccountKubeconfig> {
  await ensureNamespace(cluster, namespace);
  const created = await api(cluster, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  if (created.status !== 201 && created.status !== 409) throw new Error(`create serviceaccount ${namespace}/${name} -> ${created.status}: ${created.text}`);
  const review = await apiOk(cluster, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: opts.expirationSeconds ?? 3600 },
  });
  const token = String(review.status.token);
  const path = join(cluster.dataDir, `sa-${namespace}-${name}.kubeconfig`);
  writeFileSync(path, tokenKubeconfigYaml(cluster.url, cluster.caPem, { user: `${namespace}-${name}`, token, namespace }), { mode: 0o600 });
  return { path, token, username: `system:serviceaccount:${namespace}:${name}` };
}
