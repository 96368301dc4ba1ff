// The verbs of the Kubernetes API on stored objects: get, list, create, update, patch, delete.
// HTTP handlers and the in-process controllers of the control plane (garbage collector,
// namespace cleanup) both go through here, so every write obeys the same rules.

import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  unsupportedMediaType,
  type StatusCause,
} from './errors.js';
import { Registry, storageKey } from './registry/registry.js';
import { conversionFor } from './registry/conversion.js';
import { checkBodyDepth, checkBuiltinTypes, checkPatchedDepth } from './registry/decode.js';
import { defaultBuiltin, initialStatus, validateBuiltin } from './registry/strategy.js';
import { defaultClassName, PVC_PROTECTION_FINALIZER, STORAGE_GROUP } from './registry/storage-strategy.js';
import { allocateNodePorts } from './registry/service-ports.js';
import { randomSuffix, validateSubdomain } from './registry/names.js';
import { Store } from './storage/store.js';
import { apiVersionOf, type KObject, type ResourceDef } from './types.js';
import { deepEqual } from '../util/equal.js';
import { parseLabelSelector } from './selectors/labels.js';
import { parseFieldSelector } from './selectors/fields.js';
import { jsonMergePatch } from './patch/merge.js';
import { applyJsonPatch } from './patch/json.js';
import { strategicMergePatch } from './patch/strategic.js';
import { validateCrd } from './schema/crd.js';
import { rfc3339 } from '../util/time.js';

type Json = Record<string, any>;

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  fieldManager?: string;
  /** Runs on the defaulted, validated object before it is stored (e.g. RBAC escalation checks); throws to refuse. */
  check?: (obj: KObject) => void;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

interface WriteResult {
  object: KObject;
  /** 201 on create, 200 otherwise. */
  created: boolean;
  warnings: string[];
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

let lastSecond = -1;
let lastTimestamp = '';

/** RFC 3339 to the second, formatted once per second (every write asks for it). */
function nowTimestamp(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastTimestamp = rfc3339(second * 1000);
  }
  return lastTimestamp;
}

export class ObjectService {
  constructor(
    readonly store: Store,
    readonly registry: Registry,
  ) {}

  // ---- reads -------------------------------------------------------------------------------

  get(def: ResourceDef, namespace: string | undefined, name: string): KObject {
    const obj = this.store.get(storageKey(def), ns(def, namespace), name);
    if (!obj) throw notFound(def.group, def.resource, name);
    return this.present(def, obj);
  }

  /** Objects matching the options plus the revision the list reflects and a continue token. */
  list(def: ResourceDef, namespace: string | undefined, opts: ListOptions): { items: KObject[]; revision: string; continue?: string; remaining?: number } {
    const matches = this.matcher(def, opts);
    const after = opts.continue ? decodeContinue(opts.continue) : undefined;
    let items = this.store.list(storageKey(def), ns(def, namespace), after).filter(matches);
    const revision = String(this.store.revision);
    let token: string | undefined;
    let remaining: number | undefined;
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      remaining = items.length - opts.limit;
      items = items.slice(0, opts.limit);
      token = encodeContinue(keyOf(items[items.length - 1]), revision);
    }
    return { items: items.map((o) => this.present(def, o)), revision, continue: token, remaining };
  }

  /** A predicate for list and watch filters (label and field selectors). */
  matcher(def: ResourceDef, opts: { labelSelector?: string; fieldSelector?: string }): (o: KObject) => boolean {
    const labels = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector, def.resource) : undefined;
    return (o) => (!labels || labels(o.metadata.labels)) && (!fields || fields(o));
  }

  /** The object as JSON, reusing the text the store already made of it. */
  jsonOf(obj: KObject): string {
    return this.store.serialized(obj) ?? JSON.stringify(obj);
  }

  /** Objects are stored at one version; a request for another sees its own apiVersion. */
  present(def: ResourceDef, obj: KObject): KObject {
    const apiVersion = apiVersionOf(def);
    if (obj.apiVersion === apiVersion) return obj;
    const conversion = conversionFor(def.group, def.version, def.resource);
    return conversion ? conversion.fromStorage(obj) : { ...obj, apiVersion };
  }

  // ---- create ------------------------------------------------------------------------------

  async create(def: ResourceDef, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const obj = this.checkBody(def, body, namespace);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name) {
      throw invalid(def.group, def.kind, '', [
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
    }
    if (def.namespaced) this.checkNamespaceOpen(meta.namespace!);
    const existing = this.store.get(storageKey(def), meta.namespace, meta.name);
    if (existing) throw alreadyExists(def.group, def.resource, meta.name);

    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    if (def.tracksGeneration || !def.builtin) meta.generation = 1;
    else delete meta.generation;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (def.subresources.includes('status') && !def.builtin) delete obj.status;
    if (def.group === '' && def.resource === 'persistentvolumeclaims') this.admitNewClaim(obj);
    const warnings = this.admit(def, obj, undefined, opts);
    // Built-in status is the server's to set, from the defaulted object.
    if (def.subresources.includes('status') && def.builtin) obj.status = initialStatus(def, obj);
    if (isCrd(def)) obj.status = establishedStatus(obj);
    if (opts.dryRun) return { object: obj, created: true, warnings };
    const stored = await this.store.put(storageKey(def), this.toStorage(def, obj));
    if (isCrd(def)) this.refreshCrds();
    return { object: this.present(def, stored), created: true, warnings };
  }

  // ---- update ------------------------------------------------------------------------------

  /** PUT on the object or its status subresource. */
  async update(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, subresource: string | undefined, opts: WriteOptions = {}): Promise<WriteResult> {
    const obj = this.checkBody(def, body, namespace);
    if (obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    const current = this.store.get(storageKey(def), ns(def, namespace), name);
    if (!current) throw notFound(def.group, def.resource, name);
    // A PUT's uid is a precondition (kube's DefaultUpdatedObjectInfo), checked before the resourceVersion.
    const uid = obj.metadata.uid;
    if (uid && uid !== current.metadata.uid) {
      throw conflict(def.group, def.resource, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
    }
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      throw conflict(def.group, def.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.replace(def, current, obj, subresource, opts);
  }

  /** Writes `next` over `current` following the update rules of the (sub)resource. */
  private async replace(def: ResourceDef, current: KObject, next: KObject, subresource: string | undefined, opts: WriteOptions): Promise<WriteResult> {
    const merged = subresource === 'status' ? this.statusUpdate(current, next) : this.mainUpdate(def, current, next);
    const warnings = subresource === 'status' ? [] : this.admit(def, merged, current, opts);
    if (deepEqual(withoutVersion(merged), withoutVersion(current))) {
      return { object: this.present(def, current), created: false, warnings };
    }
    if (tracksGeneration(def, subresource) && specChanged(current, merged)) {
      merged.metadata.generation = (current.metadata.generation ?? 1) + 1;
      if (isCrd(def)) merged.status = establishedStatus(merged);
    }
    if (opts.dryRun) return { object: merged, created: false, warnings };
    const finished = merged.metadata.deletionTimestamp && !holdsDeletion(def, merged);
    const stored = finished
      ? await this.store.remove(storageKey(def), merged)
      : await this.store.put(storageKey(def), this.toStorage(def, merged));
    if (isCrd(def)) this.refreshCrds();
    return { object: this.present(def, stored), created: false, warnings };
  }

  private mainUpdate(def: ResourceDef, current: KObject, next: KObject): KObject {
    const merged: KObject = { ...next, metadata: { ...next.metadata } };
    const m = merged.metadata;
    const c = current.metadata;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    m.namespace = c.namespace;
    m.generation = c.generation;
    m.resourceVersion = c.resourceVersion;
    if (c.deletionTimestamp) {
      m.deletionTimestamp = c.deletionTimestamp;
      m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    delete m.managedFields;
    if (def.subresources.includes('status')) {
      if (current.status === undefined) delete merged.status;
      else merged.status = current.status;
    }
    return merged;
  }

  private statusUpdate(current: KObject, next: KObject): KObject {
    const merged: KObject = { ...current };
    if (next.status === undefined) delete merged.status;
    else merged.status = next.status;
    return merged;
  }

  // ---- patch -------------------------------------------------------------------------------

  async patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    subresource: string | undefined,
    opts: WriteOptions & { force?: boolean } = {},
  ): Promise<WriteResult> {
    const type = contentType.split(';')[0].trim().toLowerCase();
    if (type === PATCH_TYPES.strategic && !def.builtin) throw unsupportedMediaType();
    if (!Object.values(PATCH_TYPES).includes(type as never)) throw unsupportedMediaType();
    const patch = type === PATCH_TYPES.apply ? parseYamlBody(rawBody) : parseJsonBody(rawBody);
    checkBodyDepth(patch);
    const current = this.store.get(storageKey(def), ns(def, namespace), name);
    if (!current) {
      if (type === PATCH_TYPES.apply && subresource === undefined) return this.create(def, namespace, patch, opts);
      throw notFound(def.group, def.resource, name);
    }
    const patched = this.applyPatch(def, type, this.present(def, current), patch);
    checkPatchedDepth(patched);
    const next = this.checkBody(def, patched, namespace);
    if (next.metadata.name !== name) throw badRequest(`metadata.name: Invalid value: "${next.metadata.name}": field is immutable`);
    const uid = next.metadata.uid;
    if (uid && uid !== current.metadata.uid) {
      throw invalid(def.group, def.kind, name, [{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: ${JSON.stringify(uid)}: field is immutable` }]);
    }
    const rv = (patch as Json)?.metadata?.resourceVersion;
    if (type !== PATCH_TYPES.json && typeof rv === 'string' && rv !== current.metadata.resourceVersion) {
      throw conflict(def.group, def.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.replace(def, current, next, subresource, opts);
  }

  applyPatch(def: ResourceDef, type: string, current: unknown, patch: unknown): unknown {
    switch (type) {
      case PATCH_TYPES.json:
        return applyJsonPatch(current, patch);
      case PATCH_TYPES.merge:
        return jsonMergePatch(current, requireObject(patch));
      case PATCH_TYPES.strategic:
        return strategicMergePatch(current, requireObject(patch));
      default:
        // Server-side apply without field ownership: the applied configuration is merged in.
        return def.builtin ? strategicMergePatch(current, requireObject(patch)) : jsonMergePatch(current, requireObject(patch));
    }
  }

  /** pods/binding: sets the node and PodScheduled=True in one write, as kube-apiserver does. */
  async bind(def: ResourceDef, pod: KObject): Promise<KObject> {
    const status = ((pod as Json).status ??= {});
    const conditions = ((status.conditions ?? []) as Json[]).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTimestamp() });
    status.conditions = conditions;
    return this.store.put(storageKey(def), pod);
  }

  // ---- delete ------------------------------------------------------------------------------

  /** Deletes now, or marks for deletion when finalizers or a grace period hold the object. */
  async delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    const key = storageKey(def);
    const current = this.store.get(key, ns(def, namespace), name);
    if (!current) throw notFound(def.group, def.resource, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(def.group, def.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(def.group, def.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    const finalizers = [...(current.metadata.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? 'Background';
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    const grace = this.gracePeriod(def, current, opts.gracePeriodSeconds);
    const namespaceContent = def.group === '' && def.resource === 'namespaces' && ((current as Json).spec?.finalizers ?? []).length > 0;

    if (current.metadata.deletionTimestamp) {
      // Already terminating: a shorter grace period (kubelet's final delete with 0) finishes it.
      if (grace === 0 && finalizers.length === 0 && !namespaceContent) return this.remove(def, current, opts);
      return this.present(def, current);
    }
    if (finalizers.length === 0 && grace === 0 && !namespaceContent) return this.remove(def, current, opts);

    const marked: KObject = structuredClone(current);
    const when = rfc3339(Date.now() + grace * 1000);
    marked.metadata.deletionTimestamp = when;
    marked.metadata.deletionGracePeriodSeconds = grace;
    marked.metadata.finalizers = finalizers.length ? finalizers : undefined;
    if (!marked.metadata.finalizers) delete marked.metadata.finalizers;
    if (namespaceContent) (marked as Json).status = { ...((marked as Json).status ?? {}), phase: 'Terminating' };
    if (opts.dryRun) return marked;
    const stored = await this.store.put(key, marked);
    if (isCrd(def)) this.refreshCrds();
    return this.present(def, stored);
  }

  private async remove(def: ResourceDef, current: KObject, opts: DeleteOptions): Promise<KObject> {
    if (opts.dryRun) return current;
    const gone = await this.store.remove(storageKey(def), current);
    if (isCrd(def)) this.refreshCrds();
    return this.present(def, gone);
  }

  /** Pods on a node terminate gracefully (the node agent finishes them); all else goes at once. */
  private gracePeriod(def: ResourceDef, obj: KObject, requested: number | undefined): number {
    if (!(def.group === '' && def.resource === 'pods')) return 0;
    const spec = (obj as Json).spec ?? {};
    if (!spec.nodeName) return 0;
    const phase = (obj as Json).status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  }

  async deleteCollection(def: ResourceDef, namespace: string | undefined, list: ListOptions, opts: DeleteOptions): Promise<KObject[]> {
    const { items } = this.list(def, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    const out: KObject[] = [];
    for (const item of items) {
      try {
        out.push(await this.delete(def, item.metadata.namespace, item.metadata.name!, opts));
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  // ---- shared rules ------------------------------------------------------------------------

  /** The body must be an object of this resource's kind, in the request's namespace. */
  private checkBody(def: ResourceDef, body: unknown, namespace: string | undefined): KObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest(`the body of the request must be a ${def.kind} object`);
    }
    // Callers hand the body over (a freshly parsed request, a patch result, a copy): no clone.
    const obj = body as KObject;
    // Built-in kinds take a missing kind and apiVersion from the URL; custom resources are
    // decoded as unstructured objects, which must name their kind (kube's json serializer).
    if (!def.builtin && (obj.kind === undefined || obj.kind === '')) {
      const data = JSON.stringify(body);
      const summary = data.length > 30 ? `${data.slice(0, 30)} ...` : data;
      throw badRequest(`the object provided is unrecognized (must be of type ${def.kind}): Object 'Kind' is missing in '${data}' (${summary})`);
    }
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw badRequest(`the kind of the object (${String(obj.kind)}) does not match the kind of the resource (${def.kind})`);
    }
    const apiVersion = apiVersionOf(def);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    obj.kind = def.kind;
    obj.apiVersion = apiVersion;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: metadata must be an object`);
    }
    const meta = obj.metadata;
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else {
      delete meta.namespace;
    }
    this.checkMetadataTypes(def, obj);
    checkBuiltinTypes(def, storageKey(def), obj);
    return obj;
  }

  private checkMetadataTypes(def: ResourceDef, obj: KObject): void {
    const meta = obj.metadata;
    for (const field of ['labels', 'annotations'] as const) {
      const v = meta[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal into Go struct field ObjectMeta.metadata.${field} of type map[string]string`);
      }
    }
    if (meta.name !== undefined && typeof meta.name !== 'string') {
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${typeof meta.name} into Go struct field ObjectMeta.metadata.name of type string`);
    }
  }

  private checkNamespaceOpen(namespace: string): void {
    const nsObj = this.store.get('/namespaces', undefined, namespace);
    if (!nsObj) throw notFound('', 'namespaces', namespace);
    if (nsObj.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** Defaults, pruning and validation: built-in rules or the CRD's structural schema. */
  private admit(def: ResourceDef, obj: KObject, old: KObject | undefined, opts: WriteOptions): string[] {
    const warnings: string[] = [];
    const causes: StatusCause[] = [];
    if (def.builtin) {
      defaultBuiltin(def, obj);
      causes.push(...validateBuiltin(def, obj, old));
      if (def.group === '' && def.resource === 'services' && !causes.length) causes.push(...allocateNodePorts(obj, old, this.store.list(storageKey(def))));
      if (def.group === 'apiextensions.k8s.io') causes.push(...validateCrd(obj));
    } else {
      causes.push(...validateSubdomain(obj.metadata.name ?? '', 'metadata.name'));
      const schema = this.registry.customVersion(def)?.schema;
      if (schema) {
        const pruned = schema.prune(obj);
        if (pruned.length) {
          const unknown = pruned.map((p) => `unknown field "${p}"`);
          if (opts.fieldValidation === 'Strict') {
            throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.join(', ')}`);
          }
          if (opts.fieldValidation !== 'Ignore') warnings.push(...unknown);
        }
        schema.applyDefaults(obj);
        causes.push(...schema.validate(obj, old));
      }
    }
    if (causes.length) throw invalid(def.group, def.kind, obj.metadata.name ?? '', causes);
    opts.check?.(obj);
    return warnings;
  }

  /**
   * kube-apiserver's admission of a new claim: DefaultStorageClass gives one that names no class
   * the default class (an explicit "" asks for none), and StorageObjectInUseProtection adds the
   * finalizer that keeps it while a pod uses it.
   */
  private admitNewClaim(pvc: KObject): void {
    const spec = (pvc as Json).spec;
    if (spec && typeof spec === 'object' && (spec.storageClassName === undefined || spec.storageClassName === null)) {
      const name = defaultClassName(this.store.list(`${STORAGE_GROUP}/storageclasses`));
      if (name) spec.storageClassName = name;
    }
    const finalizers = pvc.metadata.finalizers ?? [];
    if (!finalizers.includes(PVC_PROTECTION_FINALIZER)) pvc.metadata.finalizers = [...finalizers, PVC_PROTECTION_FINALIZER];
  }

  private toStorage(def: ResourceDef, obj: KObject): KObject {
    const conversion = conversionFor(def.group, def.version, def.resource);
    if (conversion) return conversion.toStorage(obj);
    if (def.builtin) return obj;
    const crd = this.registry.customVersion(def)?.crd;
    const storage = ((crd?.spec as Json)?.versions ?? []).find((v: Json) => v.storage)?.name;
    return storage && storage !== def.version ? { ...obj, apiVersion: `${def.group}/${storage}` } : obj;
  }

  /** CRDs change what is served: rebuild the registry and mark new CRDs established. */
  refreshCrds(): void {
    this.registry.rebuild(this.store.list('apiextensions.k8s.io/customresourcedefinitions'));
  }
}

function isCrd(def: ResourceDef): boolean {
  return def.group === 'apiextensions.k8s.io' && def.resource === 'customresourcedefinitions';
}

/** CRDs are served as soon as they are stored, so they are established at once. */
function establishedStatus(crd: KObject): Json {
  const now = nowTimestamp();
  const spec = (crd as Json).spec ?? {};
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: spec.names ?? {},
    storedVersions: ((spec.versions ?? []) as Json[]).filter((v) => v.storage).map((v) => v.name),
  };
}

function ns(def: ResourceDef, namespace: string | undefined): string | undefined {
  return def.namespaced ? namespace : undefined;
}

function keyOf(o: KObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

function encodeContinue(key: string, revision: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: revision, start: key })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed?.v === 1 && typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw badRequest(`continue key is not valid: ${token}`);
}

function withoutVersion(o: KObject): KObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
}

function tracksGeneration(def: ResourceDef, subresource: string | undefined): boolean {
  return subresource === undefined && (def.tracksGeneration || !def.builtin);
}

function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

/**
 * What keeps a terminating object stored: finalizers, a namespace's content finalizer, or a
 * pod on a node whose agent has not yet confirmed its containers stopped.
 */
function holdsDeletion(def: ResourceDef, obj: KObject): boolean {
  if ((obj.metadata.finalizers ?? []).length) return true;
  if (def.group === '' && def.resource === 'namespaces' && ((obj as Json).spec?.finalizers ?? []).length) return true;
  return podAwaitsKubelet(def, obj);
}

function podAwaitsKubelet(def: ResourceDef, obj: KObject): boolean {
  return def.group === '' && def.resource === 'pods' && Boolean((obj as Json).spec?.nodeName) && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

function requireObject(patch: unknown): Record<string, unknown> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw badRequest('the patch must be a JSON object');
  }
  return patch as Record<string, unknown>;
}

export function parseJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

function parseYamlBody(raw: string): unknown {
  try {
    return YAML.parse(raw);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
}
