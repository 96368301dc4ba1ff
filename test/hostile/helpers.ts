// The hostile-input suite's checks, shared by every file in test/hostile: after each input the
// API server must still serve, the store must hold what it held before, and a controller
// started afterwards must fill its caches (become ready).
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { api, type ApiOpts, type ApiResponse, type Cluster } from '../helpers/cluster.js';
import { startController } from '../../src/controller/index.js';

/** The lists a hostile input could break: cluster-wide ones catch an object of any namespace. */
export const CORE_LISTS = [
  '/api/v1/pods',
  '/api/v1/configmaps',
  '/api/v1/namespaces',
  '/apis/game.kruise.io/v1alpha1/gameserversets',
  '/apis/game.kruise.io/v1alpha1/gameservers',
  '/apis/tkex.tencent.com/v1alpha1/gamedeployments',
];

/** name → resourceVersion of every item of each list: what "the store is unchanged" compares. */
export type StoreSnapshot = Record<string, Record<string, string>>;

export async function snapshot(c: Cluster, lists: string[] = CORE_LISTS): Promise<StoreSnapshot> {
  const out: StoreSnapshot = {};
  for (const path of lists) {
    const r = await api(c, 'GET', path);
    assert.equal(r.status, 200, `GET ${path} -> ${r.status}: ${r.text.slice(0, 300)}`);
    const items: Record<string, string> = {};
    for (const it of r.body.items ?? []) items[`${it.metadata.namespace ?? ''}/${it.metadata.name}`] = it.metadata.resourceVersion;
    out[path] = items;
  }
  return out;
}

/** The server answers /readyz and every list (JSON) with 200, and the lists equal `before`. */
export async function assertStillServes(c: Cluster, before?: StoreSnapshot): Promise<void> {
  const ready = await api(c, 'GET', '/readyz', undefined, { accept: 'text/plain' });
  assert.equal(ready.status, 200, `/readyz -> ${ready.status}: ${ready.text}\n${c.logs().slice(-3000)}`);
  const now = await snapshot(c, before ? Object.keys(before) : CORE_LISTS);
  if (before) assert.deepEqual(now, before, 'the store changed');
}

/** A controller started now, through the API alone, fills its caches within `timeoutMs`. */
export async function assertControllerBecomesReady(c: Cluster, timeoutMs = 30_000): Promise<void> {
  const logger = pino({ level: 'silent' });
  const controller = await startController({ kubeconfig: c.kubeconfigPath, logger, cacheSyncTimeoutMs: timeoutMs });
  await controller.stop();
}

/** One request, and the kube-apiserver answer it must get: status code and Status reason. */
export async function expectStatus(
  c: Cluster,
  method: string,
  path: string,
  body: unknown,
  want: { code: number; reason?: string; message?: RegExp },
  opts: ApiOpts = {},
): Promise<ApiResponse> {
  const r = await api(c, method, path, body, opts);
  assert.equal(r.status, want.code, `${method} ${path} -> ${r.status}, want ${want.code}: ${r.text.slice(0, 500)}`);
  if (want.reason !== undefined) {
    assert.equal(r.body?.kind, 'Status', `${method} ${path}: not a Status: ${r.text.slice(0, 300)}`);
    assert.equal(r.body.reason, want.reason, `${method} ${path}: reason ${r.body.reason}, want ${want.reason}: ${r.body.message}`);
  }
  if (want.message) assert.match(r.body?.message ?? r.text, want.message);
  return r;
}
