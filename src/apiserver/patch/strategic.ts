// Strategic merge patch, the `application/strategic-merge-patch+json` content type that kubectl
// sends for built-in kinds (`kubectl apply` client-side, `patch`, `edit`, `label`, `annotate`,
// `set image`, `rollout restart`).
//
// It is a JSON merge patch that knows, per field, whether a list is atomic (the patch's list
// replaces it), a set of primitives (union), or a list of maps merged by a merge key. Kubernetes
// reads that from struct tags (`patchStrategy:"merge" patchMergeKey:"name"`); we have no Go types,
// so the same knowledge lives in `listStrategy`, keyed by the field path.
//
// Directives understood, all removed from the result:
//   null                              delete the field
//   $patch: replace | delete | merge  on a map: use only the patch / empty the map / the default
//   {$patch: replace} in a list       the list becomes exactly the patch's other elements
//   {$patch: delete, <key>: v}        remove the element whose merge key is v
//   $setElementOrder/<field>: [...]   final order of a merged list (kubectl apply sends it)
//   $deleteFromPrimitiveList/<field>  values to remove from a primitive list
//   $retainKeys: [...]                drop every other field of the original map, then merge
//
// Element ordering follows kube-apiserver exactly, because `kubectl apply` followed by
// `kubectl get -o yaml` makes it visible: elements named by the patch (or by $setElementOrder)
// come in that order; elements only the server had keep their relative order and are slotted back
// where they stood in the live list; a brand-new element goes in as soon as the patch order reaches
// it, so without $setElementOrder it lands ahead of the server-only elements (kubectl patch docs).

import { badRequest, type ApiError } from '../errors.js';
import { deepClone, getOwn, goJsonType, hasOwn, isObject, setOwn, type JsonObject } from './values.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Field names from the object root; stepping into a list element adds nothing. */
type Path = readonly string[];

type ListStrategy =
  | { kind: 'atomic' } // the patch's list replaces the original (no patchStrategy tag)
  | { kind: 'set' } // primitives merged as a union (patchStrategy merge, no merge key)
  | { kind: 'keyed'; key: string }; // maps merged by the merge key

/** Identity used to match list elements: the merge key's value, or the whole value for primitives. */
type Identity = (element: unknown) => string | undefined;

/** Applies `patch` to `original` and returns the result; neither input is modified. */
export function strategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`);
  }
  // The merge below rewrites the original in place, so it works on a private copy.
  const base = isObject(original) ? deepClone(original) : {};
  return mergeMap(base, patch, []);
}

// ---------------------------------------------------------------------------------------------
// Which lists merge, and by what key (the patchStrategy/patchMergeKey tags of k8s.io/api).

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Lists of a container (Container, InitContainer, EphemeralContainer). */
const CONTAINER_KEYS: Record<string, string> = {
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
};

/** Lists directly under a `spec`: PodSpec (also inside templates), and ServiceSpec's `ports`. */
const SPEC_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  schedulingGates: 'name',
  resourceClaims: 'name',
  ports: 'port', // PodSpec has no `ports`, so under `spec` this is a Service's
};

/** PodStatus and NodeStatus lists. */
const STATUS_KEYS: Record<string, string> = {
  podIPs: 'ip',
  hostIPs: 'ip',
  addresses: 'type',
};

function listStrategy(path: Path): ListStrategy {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  // Every built-in condition list (pods, nodes, deployments, jobs, ...) merges by type.
  if (field === 'conditions') return keyed('type');
  // ServiceAccount.secrets, the only merge list at the root of a built-in kind.
  if (path.length === 1 && field === 'secrets') return keyed('name');
  let key: string | undefined;
  if (parent === 'metadata') {
    if (field === 'finalizers') return { kind: 'set' };
    if (field === 'ownerReferences') key = 'uid';
  } else if (parent !== undefined && CONTAINER_LISTS.has(parent)) {
    key = lookup(CONTAINER_KEYS, field);
  } else if (parent === 'spec') {
    key = lookup(SPEC_KEYS, field);
  } else if (parent === 'status') {
    key = lookup(STATUS_KEYS, field);
  }
  return key === undefined ? { kind: 'atomic' } : keyed(key);
}

function keyed(key: string): ListStrategy {
  return { kind: 'keyed', key };
}

function lookup(table: Record<string, string>, field: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(table, field) ? table[field] : undefined;
}

function identityFor(strategy: ListStrategy): Identity {
  if (strategy.kind === 'keyed') {
    const key = strategy.key;
    return (el) => (isObject(el) && hasOwn(el, key) ? JSON.stringify(el[key]) : undefined);
  }
  return (el) => JSON.stringify(el);
}

// ---------------------------------------------------------------------------------------------
// Maps.

interface MapPatch {
  fields: [string, unknown][];
  orders: Map<string, unknown[]>;
  deletions: Map<string, unknown[]>;
  retainKeys?: string[];
}

/** Merges `patch` into `original` (a private copy, modified and returned). */
function mergeMap(original: JsonObject, patch: JsonObject, path: Path): JsonObject {
  switch (mapDirective(patch)) {
    case 'delete':
      // kube-apiserver leaves an empty map rather than removing the field.
      return {};
    case 'replace':
      return mergeMap({}, withoutKey(patch, PATCH), path);
    case 'merge':
      break;
  }
  const parts = splitMapPatch(patch);
  if (parts.retainKeys) retainOnly(original, parts.retainKeys, patch);
  const patchedFields = new Set<string>();
  for (const [field, value] of parts.fields) {
    patchedFields.add(field);
    mergeField(original, field, value, [...path, field], parts.orders.get(field));
  }
  for (const [field, order] of parts.orders) {
    if (!patchedFields.has(field)) reorderField(original, field, order, [...path, field]);
  }
  for (const [field, values] of parts.deletions) deleteFromPrimitiveList(original, field, values);
  return original;
}

function mapDirective(patch: JsonObject): 'replace' | 'delete' | 'merge' {
  const directive = getOwn(patch, PATCH);
  if (directive === undefined || directive === 'merge') return 'merge';
  if (directive === 'replace' || directive === 'delete') return directive;
  throw badPatchType(directive, patch);
}

function splitMapPatch(patch: JsonObject): MapPatch {
  const parts: MapPatch = { fields: [], orders: new Map(), deletions: new Map() };
  for (const [key, value] of Object.entries(patch)) {
    if (key === PATCH) continue;
    if (key === RETAIN_KEYS) {
      parts.retainKeys = stringList(value, 'invalid patch format of retainKeys');
    } else if (key.startsWith(SET_ELEMENT_ORDER)) {
      parts.orders.set(key.slice(SET_ELEMENT_ORDER.length), list(value, 'invalid patch format of setElementOrder list'));
    } else if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      parts.deletions.set(field, list(value, 'invalid patch format of primitive list'));
    } else {
      parts.fields.push([key, value]);
    }
  }
  return parts;
}

function mergeField(target: JsonObject, field: string, value: unknown, path: Path, order?: unknown[]): void {
  if (value === undefined) return;
  if (value === null) {
    delete target[field];
    return;
  }
  const current = getOwn(target, field);
  if (isObject(value)) {
    // A field that is absent or of another type is built from an empty map, which also
    // strips nulls and directives from the patch value before it is stored.
    setOwn(target, field, mergeMap(isObject(current) ? current : {}, value, path));
  } else if (Array.isArray(value)) {
    setOwn(target, field, mergeList(Array.isArray(current) ? current : [], value, path, order));
  } else {
    setOwn(target, field, value);
  }
}

/** `$retainKeys`: the patch states the complete set of fields this map may keep. */
function retainOnly(original: JsonObject, keep: string[], patch: JsonObject): void {
  const allowed = new Set(keep);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || isDirectiveKey(key)) continue;
    if (!allowed.has(key)) {
      throw badRequest(`patch content doesn't match retainKeys list: field "${key}" is not in $retainKeys ${JSON.stringify(keep)}`);
    }
  }
  for (const key of Object.keys(original)) {
    if (!allowed.has(key)) delete original[key];
  }
}

function isDirectiveKey(key: string): boolean {
  return (
    key === PATCH ||
    key === RETAIN_KEYS ||
    key.startsWith(SET_ELEMENT_ORDER) ||
    key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
  );
}

/** `$setElementOrder` for a list the patch does not otherwise touch: only its order changes. */
function reorderField(target: JsonObject, field: string, order: unknown[], path: Path): void {
  const current = getOwn(target, field);
  if (!Array.isArray(current)) return;
  const strategy = listStrategy(path);
  const identity = identityFor(strategy);
  checkOrderEntries(order, strategy);
  setOwn(target, field, arrange(current, order, current, identity));
}

function deleteFromPrimitiveList(target: JsonObject, field: string, values: unknown[]): void {
  const current = getOwn(target, field);
  if (!Array.isArray(current)) return;
  const doomed = new Set(values.map((v) => JSON.stringify(v)));
  setOwn(target, field, current.filter((v) => !doomed.has(JSON.stringify(v))));
}

// ---------------------------------------------------------------------------------------------
// Lists.

/** What merging a patch list produced, and the inputs ordering needs. */
interface Combined {
  merged: unknown[];
  /** The patch's own elements, which set the order when there is no $setElementOrder. */
  patchItems: unknown[];
  /** The list whose order server-only elements keep. */
  serverOrder: unknown[];
}

function mergeList(original: unknown[], patch: unknown[], path: Path, order?: unknown[]): unknown[] {
  const strategy = listStrategy(path);
  const identity = identityFor(strategy);
  const combined = combine(original, patch, path, strategy);
  if (order !== undefined) {
    checkOrderEntries(order, strategy);
    checkPatchFollowsOrder(combined.patchItems, order, identity);
    return arrange(combined.merged, order, combined.serverOrder, identity);
  }
  return arrange(combined.merged, combined.patchItems, combined.serverOrder, identity);
}

function combine(original: unknown[], patch: unknown[], path: Path, strategy: ListStrategy): Combined {
  switch (strategy.kind) {
    case 'keyed':
      return mergeKeyedList(original, patch, strategy.key, path);
    case 'set':
      return unionList(original, patch);
    case 'atomic': {
      const merged = patch.map((el) => cleanValue(el, path));
      return { merged, patchItems: merged, serverOrder: original };
    }
  }
}

/** A value stored as-is (atomic lists): nulls and directives are still removed from maps in it. */
function cleanValue(value: unknown, path: Path): unknown {
  if (isObject(value)) return mergeMap({}, value, path);
  if (Array.isArray(value)) return value.map((el) => cleanValue(el, path));
  return value;
}

function unionList(original: unknown[], patch: unknown[]): Combined {
  const seen = new Set<string>();
  const merged: unknown[] = [];
  for (const value of [...original, ...patch]) {
    const id = JSON.stringify(value);
    if (seen.has(id)) continue;
    seen.add(id);
    merged.push(deepClone(value));
  }
  return { merged, patchItems: patch, serverOrder: original };
}

interface KeyedPatch {
  elements: JsonObject[];
  deletions: JsonObject[];
  replace: boolean;
}

function mergeKeyedList(original: unknown[], patch: unknown[], key: string, path: Path): Combined {
  const { elements, deletions, replace } = splitKeyedPatch(patch, key, path);
  const keyOf = identityFor({ kind: 'keyed', key });
  if (replace) {
    const merged = elements.map((el) => mergeMap({}, el, path));
    return { merged, patchItems: merged, serverOrder: merged };
  }
  const doomed = new Set(deletions.map(keyOf));
  const merged = original.filter((el) => !doomed.has(keyOf(el)));
  for (const element of elements) {
    const id = keyOf(element);
    const index = merged.findIndex((el) => keyOf(el) === id);
    if (index >= 0) merged[index] = mergeMap(merged[index] as JsonObject, element, path);
    else merged.push(mergeMap({}, element, path));
  }
  return { merged, patchItems: elements, serverOrder: original };
}

function splitKeyedPatch(patch: unknown[], key: string, path: Path): KeyedPatch {
  const parts: KeyedPatch = { elements: [], deletions: [], replace: false };
  for (const element of patch) {
    if (!isObject(element)) {
      throw badRequest(
        `${path.join('.')}: expected a list of maps merged by "${key}", found ${goJsonType(element)} element ${JSON.stringify(element)}`,
      );
    }
    const directive = getOwn(element, PATCH);
    if (directive === 'replace') {
      // The remaining elements become the whole list; keep scanning to drop other directives.
      parts.replace = true;
    } else if (directive === 'delete') {
      requireMergeKey(element, key);
      parts.deletions.push(element);
    } else if (directive === undefined || directive === 'merge') {
      requireMergeKey(element, key);
      parts.elements.push(element);
    } else {
      throw badPatchType(directive, element);
    }
  }
  return parts;
}

function requireMergeKey(element: JsonObject, key: string): void {
  if (!hasOwn(element, key) || element[key] === null) {
    throw badRequest(`map: ${JSON.stringify(element)} does not contain declared merge key: ${key}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Ordering.

function checkOrderEntries(order: unknown[], strategy: ListStrategy): void {
  if (strategy.kind !== 'keyed') return;
  for (const entry of order) {
    if (!isObject(entry)) throw badRequest('invalid patch format of setElementOrder list');
    requireMergeKey(entry, strategy.key);
  }
}

/** kubectl builds $setElementOrder from the same config as the list, so they must agree. */
function checkPatchFollowsOrder(patchItems: unknown[], order: unknown[], identity: Identity): void {
  let matched = 0;
  for (const entry of order) {
    if (matched < patchItems.length && identity(entry) === identity(patchItems[matched])) matched++;
  }
  if (matched < patchItems.length) {
    throw badRequest(
      `the order in patch list ${JSON.stringify(patchItems)} doesn't match $setElementOrder list ${JSON.stringify(order)}`,
    );
  }
}

/**
 * Elements named in `order` come first in that order; the others keep their order from `server`
 * and are slotted back in before the first named element that followed them on the server.
 */
function arrange(merged: unknown[], order: unknown[], server: unknown[], identity: Identity): unknown[] {
  const orderIndex = positions(order, identity);
  const serverIndex = positions(server, identity);
  const named = sortByIndex(
    merged.filter((el) => isIn(orderIndex, identity(el))),
    orderIndex,
    identity,
  );
  const serverOnly = sortByIndex(
    merged.filter((el) => !isIn(orderIndex, identity(el))),
    serverIndex,
    identity,
  );
  return interleave(serverOnly, named, serverIndex, identity);
}

function positions(list: unknown[], identity: Identity): Map<string, number> {
  const index = new Map<string, number>();
  list.forEach((el, i) => {
    const id = identity(el);
    if (id !== undefined && !index.has(id)) index.set(id, i);
  });
  return index;
}

function isIn(index: Map<string, number>, id: string | undefined): boolean {
  return id !== undefined && index.has(id);
}

function sortByIndex(list: unknown[], index: Map<string, number>, identity: Identity): unknown[] {
  const rank = (el: unknown): number => {
    const id = identity(el);
    return (id === undefined ? undefined : index.get(id)) ?? Number.MAX_SAFE_INTEGER;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}

/**
 * Merges two sorted lists. A server-only element goes first only when both it and the next named
 * element were in the live list and it stood earlier there; otherwise the named element wins,
 * which is why brand-new elements land before server-only ones.
 */
function interleave(
  serverOnly: unknown[],
  named: unknown[],
  serverIndex: Map<string, number>,
  identity: Identity,
): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  const at = (el: unknown): number | undefined => {
    const id = identity(el);
    return id === undefined ? undefined : serverIndex.get(id);
  };
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) {
      out.push(serverOnly[i++]);
    } else if (i >= serverOnly.length) {
      out.push(named[j++]);
    } else {
      const left = at(serverOnly[i]);
      const right = at(named[j]);
      if (left !== undefined && right !== undefined && left < right) out.push(serverOnly[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (k !== key) setOwn(out, k, v);
  return out;
}

function list(value: unknown, message: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(message);
  return value;
}

function stringList(value: unknown, message: string): string[] {
  const values = list(value, message);
  if (!values.every((v) => typeof v === 'string')) throw badRequest(message);
  return values as string[];
}

function badPatchType(directive: unknown, where: JsonObject): ApiError {
  return badRequest(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(where)}`);
}
