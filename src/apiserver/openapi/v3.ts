// OpenAPI documents as kube-apiserver serves them, for kubectl:
// - `/openapi/v3`: an index of group-version documents. kubectl ≥ 1.27 reads it first.
// - `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`: one document per group-version.
//   A `patch` operation carrying `x-kubernetes-group-version-kind` and a `fieldValidation`
//   query parameter makes kubectl send `fieldValidation=Strict` and leave validation to the
//   server; `kubectl explain` walks the component schema whose x-kubernetes-group-version-kind
//   names the kind.
// - `/openapi/v2`: answered 200 with an EMPTY body of OPENAPI_V2_PROTOBUF_CONTENT_TYPE. That is
//   the known minimum every kubectl from 1.20 to 1.35 accepts (a 404 on both v2 and v3 makes
//   `kubectl apply` fail validation; a JSON body, or echoing the Accept type, fails too).

import { createHash } from 'node:crypto';
import type { ResourceDef } from '../types.js';
import {
  API_VERSION_PROPERTY,
  DELETE_OPTIONS,
  describedRef,
  KIND_PROPERTY,
  LIST_META,
  metaComponents,
  OBJECT_META,
  PATCH,
  ref,
  SCALE,
  STATUS,
} from './components.js';

export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

type Json = Record<string, any>;

interface GroupVersionRef {
  group: string;
  version: string;
  /** Content hash of the document (openapiV3Hash); kubectl caches hashed URLs as immutable. */
  hash?: string;
}

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise: the keys of the index. */
function openapiV3PathOf(gv: { group: string; version: string }): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

/** The `/openapi/v3` index. Pass a hash only if it changes whenever the document does. */
export function openapiV3Index(groupVersions: GroupVersionRef[]): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions) {
    const path = openapiV3PathOf(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}${gv.hash ? `?hash=${gv.hash}` : ''}` };
  }
  return { paths };
}

/** Kubernetes' form of a document hash: SHA-512 of the serialized document, uppercase hex. */
export function openapiV3Hash(document: object): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
}

/**
 * The document of one group-version.
 * @param defs the resources of that group-version
 * @param schemasByKind OpenAPI v3 schema per kind: a CRD version's openAPIV3Schema, or a
 *   built-in's schema when one is known; built-in kinds without one accept any fields.
 */
export function openapiV3Document(defs: ResourceDef[], schemasByKind: Map<string, any>): object {
  const schemas: Json = metaComponents(defs.some((d) => d.subresources.includes('scale')));
  const paths: Json = {};
  for (const def of defs) {
    const schema = schemasByKind.get(def.kind);
    const kindName = schemaComponentName(def);
    const listName = schemaComponentName({ ...def, kind: def.listKind });
    schemas[kindName] = kindSchema(def, schema);
    schemas[listName] = listSchema(def, kindName);
    Object.assign(paths, resourcePaths(def, kindName, listName, patchContentTypes(def, schema !== undefined)));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// component schemas

/** Groups whose Go types live outside k8s.io/api, hence under another schema prefix. */
const BUILTIN_SCHEMA_PREFIXES: Record<string, string> = {
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

/**
 * The component name Kubernetes gives a kind: `io.k8s.api.core.v1.Pod`, `io.k8s.api.apps.v1.
 * Deployment`, `io.k8s.api.rbac.v1.Role` for built-ins; the reversed group for custom kinds,
 * `io.kruise.game.v1alpha1.GameServerSet`.
 */
export function schemaComponentName(def: Pick<ResourceDef, 'group' | 'version' | 'kind' | 'builtin'>): string {
  if (!def.builtin) return [...def.group.split('.').reverse(), def.version, def.kind].join('.');
  const prefix = BUILTIN_SCHEMA_PREFIXES[def.group] ?? `io.k8s.api.${def.group ? def.group.split('.')[0] : 'core'}`;
  return `${prefix}.${def.version}.${def.kind}`;
}

function gvk(def: ResourceDef, kind = def.kind): Json {
  return { group: def.group, kind, version: def.version };
}

function kindSchema(def: ResourceDef, schema: unknown): Json {
  const gvkExtension = { 'x-kubernetes-group-version-kind': [gvk(def)] };
  if (!isObject(schema)) {
    return {
      type: 'object',
      description: `${def.kind}: no schema is published for this kind; fields are not checked here.`,
      properties: standardProperties(),
      'x-kubernetes-preserve-unknown-fields': true,
      ...gvkExtension,
    };
  }
  const copy: Json = structuredClone(schema);
  if (def.builtin) return { ...copy, ...gvkExtension };
  // A CRD's own apiVersion/kind/metadata give way to the standard ones, as kube-apiserver publishes them.
  const { apiVersion: _a, kind: _k, metadata: _m, ...own } = isObject(copy.properties) ? copy.properties : {};
  return { ...copy, type: 'object', properties: { ...standardProperties(), ...own }, ...gvkExtension };
}

function standardProperties(): Json {
  return {
    apiVersion: { ...API_VERSION_PROPERTY },
    kind: { ...KIND_PROPERTY },
    metadata: describedRef(OBJECT_META, 'Standard object metadata.', { default: {} }),
  };
}

function listSchema(def: ResourceDef, kindName: string): Json {
  return {
    type: 'object',
    description: `${def.listKind} is a list of ${def.kind}.`,
    required: ['items'],
    properties: {
      apiVersion: { ...API_VERSION_PROPERTY },
      items: { type: 'array', description: `List of ${def.resource}.`, items: describedRef(kindName, '', { default: {} }) },
      kind: { ...KIND_PROPERTY },
      metadata: describedRef(LIST_META, 'Standard list metadata.', { default: {} }),
    },
    'x-kubernetes-group-version-kind': [gvk(def, def.listKind)],
  };
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// ---------------------------------------------------------------------------------------------
// paths and operations

/**
 * kubectl computes a strategic merge patch from the published schema when the patch operation
 * lists that content type. With no real schema, leaving it out makes kubectl fall back to its
 * compiled-in types for built-ins, and to a JSON merge patch for custom kinds (which cannot
 * take strategic merge patches at all).
 */
function patchContentTypes(def: ResourceDef, hasSchema: boolean): string[] {
  const types = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  if (def.builtin && hasSchema) types.push('application/strategic-merge-patch+json');
  return types;
}

interface OperationNames {
  /** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `GameKruiseIoV1alpha1`. */
  groupVersion: string;
  tag: string;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function operationNames(def: ResourceDef): OperationNames {
  const group = !def.group ? 'core' : def.builtin ? def.group.replace(/\.k8s\.io$/, '') : def.group;
  const groupPart = group.split('.').map(capitalize).join('');
  return {
    groupVersion: `${groupPart}${capitalize(def.version)}`,
    tag: `${groupPart.charAt(0).toLowerCase()}${groupPart.slice(1)}_${def.version}`,
  };
}

interface OperationSpec {
  verb: string; // Kubernetes verb the server must allow
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string; // x-kubernetes-action
  operationId: string;
  description: string;
  parameters: Json[];
  requestBody?: Json;
  responses: Json;
}

function resourcePaths(def: ResourceDef, kindName: string, listName: string, patchTypes: string[]): Json {
  const prefix = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const scope = def.namespaced ? '/namespaces/{namespace}' : '';
  const collection = `${prefix}${scope}/${def.resource}`;
  const item = `${collection}/{name}`;
  const names = operationNames(def);
  const namespaced = def.namespaced ? 'Namespaced' : '';
  const id = (verb: string, middle: string, suffix = '') => `${verb}${names.groupVersion}${middle}${def.kind}${suffix}`;
  const scopeParams = def.namespaced ? [namespaceParameter()] : [];
  const paths: Json = {};

  paths[collection] = pathItem(def, names, [...scopeParams, prettyParameter()], [
    listOperation(def, listName, id('list', namespaced)),
    createOperation(def, kindName, id('create', namespaced)),
    deleteCollectionOperation(def, id('delete', `Collection${namespaced}`)),
  ]);
  paths[item] = pathItem(def, names, [nameParameter(def.kind), ...scopeParams, prettyParameter()], [
    readOperation(def, kindName, id('read', namespaced)),
    replaceOperation(def, kindName, id('replace', namespaced)),
    patchOperation(def, kindName, id('patch', namespaced), patchTypes),
    deleteOperation(def, id('delete', namespaced)),
  ]);
  if (def.namespaced) {
    paths[`${prefix}/${def.resource}`] = pathItem(def, names, [prettyParameter()], [
      listOperation(def, listName, id('list', '', 'ForAllNamespaces'), true),
    ]);
  }
  for (const sub of ['status', 'scale'] as const) {
    if (!def.subresources.includes(sub)) continue;
    const schemaName = sub === 'scale' ? SCALE : kindName;
    const subGvk = sub === 'scale' ? { group: 'autoscaling', kind: 'Scale', version: 'v1' } : gvk(def);
    const suffix = capitalize(sub);
    paths[`${item}/${sub}`] = pathItem(
      def,
      names,
      [nameParameter(sub === 'scale' ? 'Scale' : def.kind), ...scopeParams, prettyParameter()],
      [
        readOperation(def, schemaName, id('read', namespaced, suffix), sub),
        replaceOperation(def, schemaName, id('replace', namespaced, suffix), sub),
        patchOperation(def, schemaName, id('patch', namespaced, suffix), patchTypes, sub),
      ],
      subGvk,
    );
  }
  return paths;
}

function pathItem(def: ResourceDef, names: OperationNames, parameters: Json[], specs: OperationSpec[], kind = gvk(def)): Json {
  const item: Json = {};
  for (const spec of specs) {
    if (!def.verbs.includes(spec.verb)) continue;
    item[spec.method] = {
      tags: [names.tag],
      description: spec.description,
      operationId: spec.operationId,
      ...(spec.parameters.length ? { parameters: spec.parameters } : {}),
      ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
      responses: spec.responses,
      'x-kubernetes-action': spec.action,
      'x-kubernetes-group-version-kind': kind,
    };
  }
  item.parameters = parameters;
  return item;
}

function of(sub?: string): string {
  return sub ? `${sub} of ` : '';
}

function listOperation(def: ResourceDef, listName: string, operationId: string, allNamespaces = false): OperationSpec {
  return {
    verb: 'list',
    method: 'get',
    action: 'list',
    operationId,
    description: `list or watch objects of kind ${def.kind}${allNamespaces ? ' in all namespaces' : ''}`,
    parameters: listParameters(),
    responses: responses({ 200: listName }),
  };
}

function createOperation(def: ResourceDef, kindName: string, operationId: string): OperationSpec {
  return {
    verb: 'create',
    method: 'post',
    action: 'post',
    operationId,
    description: `create a ${def.kind}`,
    parameters: writeParameters(),
    requestBody: body(kindName),
    responses: responses({ 200: kindName, 201: kindName, 202: kindName }),
  };
}

function readOperation(def: ResourceDef, schemaName: string, operationId: string, sub?: string): OperationSpec {
  return {
    verb: 'get',
    method: 'get',
    action: 'get',
    operationId,
    description: `read ${of(sub)}the specified ${def.kind}`,
    parameters: [],
    responses: responses({ 200: schemaName }),
  };
}

function replaceOperation(def: ResourceDef, schemaName: string, operationId: string, sub?: string): OperationSpec {
  return {
    verb: 'update',
    method: 'put',
    action: 'put',
    operationId,
    description: `replace ${of(sub)}the specified ${def.kind}`,
    parameters: writeParameters(),
    requestBody: body(schemaName),
    responses: responses({ 200: schemaName, 201: schemaName }),
  };
}

function patchOperation(def: ResourceDef, schemaName: string, operationId: string, patchTypes: string[], sub?: string): OperationSpec {
  return {
    verb: 'patch',
    method: 'patch',
    action: 'patch',
    operationId,
    description: `partially update ${of(sub)}the specified ${def.kind}`,
    parameters: [...writeParameters(), forceParameter()],
    requestBody: { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: ref(PATCH) }])), required: true },
    responses: responses({ 200: schemaName, 201: schemaName }),
  };
}

function deleteOperation(def: ResourceDef, operationId: string): OperationSpec {
  return {
    verb: 'delete',
    method: 'delete',
    action: 'delete',
    operationId,
    description: `delete a ${def.kind}`,
    parameters: deleteParameters(),
    requestBody: body(DELETE_OPTIONS, false),
    responses: responses({ 200: STATUS, 202: STATUS }),
  };
}

function deleteCollectionOperation(def: ResourceDef, operationId: string): OperationSpec {
  return {
    verb: 'deletecollection',
    method: 'delete',
    action: 'deletecollection',
    operationId,
    description: `delete collection of ${def.kind}`,
    parameters: [...deleteParameters(), ...listParameters().filter((p) => !['watch', 'allowWatchBookmarks'].includes(p.name))],
    requestBody: body(DELETE_OPTIONS, false),
    responses: responses({ 200: STATUS }),
  };
}

function body(schemaName: string, required = true): Json {
  return { content: { '*/*': { schema: ref(schemaName) } }, ...(required ? { required: true } : {}) };
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

function responses(byCode: Record<number, string>): Json {
  const out: Json = {};
  for (const [code, schemaName] of Object.entries(byCode)) {
    out[code] = {
      description: STATUS_TEXT[Number(code)],
      content: { 'application/json': { schema: ref(schemaName) }, 'application/yaml': { schema: ref(schemaName) } },
    };
  }
  out['401'] = { description: 'Unauthorized' };
  return out;
}

// ---------------------------------------------------------------------------------------------
// parameters (Kubernetes puts uniqueItems on every parameter schema; kubectl ignores it)

function query(name: string, description: string, type = 'string'): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

function pathParameter(name: string, description: string): Json {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

function nameParameter(kind: string): Json {
  return pathParameter('name', `name of the ${kind}`);
}

function namespaceParameter(): Json {
  return pathParameter('namespace', 'object name and auth scope, such as for teams and projects');
}

function prettyParameter(): Json {
  return query('pretty', "If 'true', then the output is pretty printed.");
}

function writeParameters(): Json[] {
  return [
    query('dryRun', 'When present, the request is processed but not persisted. The only valid value is All.'),
    query('fieldManager', 'Name of the actor making these changes, recorded for field ownership.'),
    query(
      'fieldValidation',
      'What the server does with unknown or duplicate fields: Ignore drops them, Warn drops them with a warning (the default), Strict rejects the request.',
    ),
  ];
}

function forceParameter(): Json {
  return query('force', 'Apply requests only: take over fields that other managers own.', 'boolean');
}

function deleteParameters(): Json[] {
  return [
    query('dryRun', 'When present, the request is processed but not persisted. The only valid value is All.'),
    query('gracePeriodSeconds', 'Seconds before the object is deleted; 0 deletes at once.', 'integer'),
    query('orphanDependents', 'Deprecated: use propagationPolicy.', 'boolean'),
    query('propagationPolicy', 'Orphan, Background or Foreground: what happens to dependents.'),
  ];
}

function listParameters(): Json[] {
  return [
    query('allowWatchBookmarks', 'Ask for BOOKMARK events in a watch.', 'boolean'),
    query('continue', 'Token of the next page, from a previous chunked list.'),
    query('fieldSelector', 'Restrict the list by their fields.'),
    query('labelSelector', 'Restrict the list by their labels.'),
    query('limit', 'Maximum number of items in one page.', 'integer'),
    query('resourceVersion', 'Which version of the list to serve, or to watch from.'),
    query('resourceVersionMatch', 'How resourceVersion applies: Exact or NotOlderThan.'),
    query('sendInitialEvents', 'Begin a watch with the current objects, then a bookmark.', 'boolean'),
    query('timeoutSeconds', 'Time limit of the list or watch call.', 'integer'),
    query('watch', 'Watch for changes instead of listing.', 'boolean'),
  ];
}
