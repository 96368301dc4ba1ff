// Installs hotpod's CustomResourceDefinitions (the YAML files of deploy/crds) through the API:
// created when missing, updated when their spec differs, and waited for until Established and
// served, so that `kubectl apply` of a GameServerSet works the moment this returns.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { deepEqual } from '../util/equal.js';
import { isNotFound, type KubeClient, type KubeObject } from '../kube/index.js';

const CRD_API = 'apiextensions.k8s.io/v1';
const CRD_KIND = 'CustomResourceDefinition';

/** deploy/crds of the hotpod installation this module belongs to (found upwards from it). */
function defaultCrdDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'deploy', 'crds');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no deploy/crds folder above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Every CRD in the folder's *.yaml files, sorted by file name. */
function readCrds(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj) continue;
      if (obj.kind !== CRD_KIND) throw new Error(`${join(dir, file)}: expected kind ${CRD_KIND}, got ${obj.kind ?? 'none'}`);
      out.push(obj);
    }
  }
  return out;
}

interface InstallCrdsOptions {
  client: KubeClient;
  logger: Logger;
  /** default: defaultCrdDir() */
  dir?: string;
  /** how long to wait for each CRD to be Established and served; default 30 s */
  timeoutMs?: number;
}

/** Creates or updates each CRD, then waits until all are served. Returns their names. */
export async function installCrds(opts: InstallCrdsOptions): Promise<string[]> {
  const crds = readCrds(opts.dir ?? defaultCrdDir());
  for (const crd of crds) await applyCrd(opts.client, crd, opts.logger);
  for (const crd of crds) await waitServed(opts.client, crd, opts.timeoutMs ?? 30_000);
  return crds.map((c) => c.metadata!.name!);
}

async function applyCrd(objects: KubeClient, crd: KubeObject, log: Logger): Promise<void> {
  const name = crd.metadata!.name!;
  let current: KubeObject;
  try {
    current = await objects.get(CRD_API, CRD_KIND, { namespace: '', name });
  } catch (err) {
    if (!isNotFound(err)) throw new Error(`CRD ${name}: read failed: ${(err as Error).message}`, { cause: err });
    await objects.createObject(crd);
    log.info({ crd: name }, 'CRD created');
    return;
  }
  if (deepEqual(current.spec, crd.spec)) return;
  const next = { ...crd, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...crd.metadata?.labels } } };
  await objects.updateObject(next);
  log.info({ crd: name }, 'CRD updated');
}

async function waitServed(objects: KubeClient, crd: KubeObject, timeoutMs: number): Promise<void> {
  const name = crd.metadata!.name!;
  const group = crd.spec.group as string;
  const version = ((crd.spec.versions ?? []) as { name: string; served?: boolean }[]).find((v) => v.served !== false)?.name;
  const kind = crd.spec.names?.kind as string;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const got = await objects.get(CRD_API, CRD_KIND, { namespace: '', name });
      const established = ((got.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Established' && c.status === 'True');
      if (established && version) {
        await objects.resourceFor(`${group}/${version}`, kind);
        return;
      }
      last = 'not Established yet';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`CRD ${name}: not served within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
