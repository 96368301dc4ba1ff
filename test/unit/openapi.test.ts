import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  openapiV3Document,
  openapiV3Hash,
  openapiV3Index,
  schemaComponentName,
} from '../../src/apiserver/openapi/v3.js';
import { crdToResourceDefs } from '../../src/apiserver/schema/crd.js';
import type { ResourceDef } from '../../src/apiserver/types.js';
import { gameServerSetCrd, gameServerSetSchema } from './fixtures/gameserverset-crd.js';

type Json = Record<string, any>;

const gssDef = () => crdToResourceDefs(gameServerSetCrd())[0];
const gssDoc = () => openapiV3Document([gssDef()], new Map([['GameServerSet', gameServerSetSchema()]])) as Json;

function builtin(over: Partial<ResourceDef>): ResourceDef {
  return {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    builtin: true,
    tracksGeneration: false,
    ...over,
  };
}

/** What kubectl (QueryParamVerifierV3) checks before sending fieldValidation=Strict. */
function supportsFieldValidation(doc: Json, gvk: Json): boolean {
  for (const item of Object.values(doc.paths) as Json[]) {
    const op = item.patch;
    const ext = op?.['x-kubernetes-group-version-kind'];
    if (!op || ext?.group !== gvk.group || ext?.version !== gvk.version || ext?.kind !== gvk.kind) continue;
    return op.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query');
  }
  return false;
}

/** What kubectl's apply checks before building a strategic merge patch from the document. */
function supportsStrategicMerge(doc: Json, gvk: Json): boolean {
  for (const item of Object.values(doc.paths) as Json[]) {
    const ext = item.patch?.['x-kubernetes-group-version-kind'];
    if (ext?.kind === gvk.kind && ext?.group === gvk.group) return 'application/strategic-merge-patch+json' in item.patch.requestBody.content;
  }
  return false;
}

function resolve(doc: Json, schema: Json): Json {
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  if (schema.allOf?.length === 1) return { ...resolve(doc, schema.allOf[0]), ...schema, allOf: undefined };
  return schema;
}

/** As `kubectl explain <kind>.<path>`: find the kind by its GVK extension, then walk properties. */
function explain(doc: Json, gvk: Json, path: string): Json {
  const found = Object.values(doc.components.schemas as Record<string, Json>).find((s) =>
    (s['x-kubernetes-group-version-kind'] ?? []).some((g: Json) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind),
  );
  assert.ok(found, `no schema for ${gvk.kind}`);
  let schema = resolve(doc, found);
  for (const field of path.split('.').filter(Boolean)) {
    const next = schema.properties?.[field];
    assert.ok(next, `field ${field} of ${path} not found`);
    schema = resolve(doc, next);
  }
  return schema;
}

function refsOf(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) x.forEach((v) => refsOf(v, out));
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

const GSS = { group: 'game.kruise.io', version: 'v1alpha1', kind: 'GameServerSet' };

describe('openapiV3Index', () => {
  test('lists group-versions under api/ and apis/ with their server-relative URLs', () => {
    assert.deepEqual(
      openapiV3Index([
        { group: '', version: 'v1' },
        { group: 'game.kruise.io', version: 'v1alpha1', hash: 'ABC' },
      ]),
      {
        paths: {
          'api/v1': { serverRelativeURL: '/openapi/v3/api/v1' },
          'apis/game.kruise.io/v1alpha1': { serverRelativeURL: '/openapi/v3/apis/game.kruise.io/v1alpha1?hash=ABC' },
        },
      },
    );
  });

  test('openapiV3Hash is the uppercase SHA-512 of the document and follows its content', () => {
    const a = openapiV3Hash(gssDoc());
    assert.match(a, /^[0-9A-F]{128}$/);
    assert.equal(openapiV3Hash(gssDoc()), a);
    const other = gssDoc();
    other.info.version = 'changed';
    assert.notEqual(openapiV3Hash(other), a);
  });
});

describe('openapiV3Document', () => {
  test('is an OpenAPI 3.0 document whose references all resolve', () => {
    const doc = gssDoc();
    assert.equal(doc.openapi, '3.0.0');
    for (const r of refsOf(doc)) {
      assert.ok(doc.components.schemas[r.replace('#/components/schemas/', '')], `dangling ${r}`);
    }
  });

  test('the patch operation makes kubectl leave validation to the server', () => {
    const doc = gssDoc();
    assert.equal(supportsFieldValidation(doc, GSS), true);
    const patch = doc.paths['/apis/game.kruise.io/v1alpha1/namespaces/{namespace}/gameserversets/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], GSS);
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(
      patch.parameters.map((p: Json) => p.name),
      ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
    );
  });

  test('custom kinds are published under the reversed group, with their CRD schema and GVK', () => {
    const doc = gssDoc();
    const schema = doc.components.schemas['io.kruise.game.v1alpha1.GameServerSet'];
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [GSS]);
    assert.deepEqual(schema.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    assert.deepEqual(schema.properties.spec, gameServerSetSchema().properties.spec);
    assert.deepEqual(schema.required, undefined);
    const list = doc.components.schemas['io.kruise.game.v1alpha1.GameServerSetList'];
    assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ ...GSS, kind: 'GameServerSetList' }]);
    assert.deepEqual(list.properties.items.items.allOf, [{ $ref: '#/components/schemas/io.kruise.game.v1alpha1.GameServerSet' }]);
  });

  test('kubectl explain can walk spec.updateStrategy.rollingUpdate and metadata', () => {
    const doc = gssDoc();
    const rollingUpdate = explain(doc, GSS, 'spec.updateStrategy.rollingUpdate');
    assert.deepEqual(Object.keys(rollingUpdate.properties), [
      'partition',
      'maxUnavailable',
      'podUpdatePolicy',
      'paused',
      'inPlaceUpdateStrategy',
      'minReadySeconds',
    ]);
    assert.equal(rollingUpdate.properties.maxUnavailable['x-kubernetes-int-or-string'], true);
    assert.equal(explain(doc, GSS, 'spec.replicas').description, 'Desired number of game servers.');
    assert.equal(explain(doc, GSS, 'metadata.labels').type, 'object');
    assert.equal(explain(doc, GSS, 'metadata.creationTimestamp').format, 'date-time');
  });

  test('paths: namespaced collection and item, all namespaces, status and scale', () => {
    const doc = gssDoc();
    const base = '/apis/game.kruise.io/v1alpha1';
    const ns = `${base}/namespaces/{namespace}/gameserversets`;
    assert.deepEqual(Object.keys(doc.paths).sort(), [`${base}/gameserversets`, ns, `${ns}/{name}`, `${ns}/{name}/scale`, `${ns}/{name}/status`].sort());
    const ops = (path: string) =>
      Object.fromEntries(
        Object.entries(doc.paths[path] as Json)
          .filter(([k]) => k !== 'parameters')
          .map(([k, v]) => [k, [(v as Json).operationId, (v as Json)['x-kubernetes-action']]]),
      );
    assert.deepEqual(ops(ns), {
      get: ['listGameKruiseIoV1alpha1NamespacedGameServerSet', 'list'],
      post: ['createGameKruiseIoV1alpha1NamespacedGameServerSet', 'post'],
      delete: ['deleteGameKruiseIoV1alpha1CollectionNamespacedGameServerSet', 'deletecollection'],
    });
    assert.deepEqual(ops(`${ns}/{name}`), {
      get: ['readGameKruiseIoV1alpha1NamespacedGameServerSet', 'get'],
      put: ['replaceGameKruiseIoV1alpha1NamespacedGameServerSet', 'put'],
      patch: ['patchGameKruiseIoV1alpha1NamespacedGameServerSet', 'patch'],
      delete: ['deleteGameKruiseIoV1alpha1NamespacedGameServerSet', 'delete'],
    });
    assert.deepEqual(ops(`${base}/gameserversets`), { get: ['listGameKruiseIoV1alpha1GameServerSetForAllNamespaces', 'list'] });
    assert.deepEqual(
      doc.paths[`${ns}/{name}`].parameters.map((p: Json) => [p.name, p.in]),
      [
        ['name', 'path'],
        ['namespace', 'path'],
        ['pretty', 'query'],
      ],
    );
    const scale = doc.paths[`${ns}/{name}/scale`];
    assert.equal(scale.patch.operationId, 'patchGameKruiseIoV1alpha1NamespacedGameServerSetScale');
    assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.deepEqual(scale.get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/io.k8s.api.autoscaling.v1.Scale' });
    assert.ok(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
    assert.equal(doc.paths[`${ns}/{name}/status`].get.operationId, 'readGameKruiseIoV1alpha1NamespacedGameServerSetStatus');
  });

  test('custom kinds never advertise strategic merge patch', () => {
    const doc = gssDoc();
    assert.equal(supportsStrategicMerge(doc, GSS), false);
    const item = doc.paths['/apis/game.kruise.io/v1alpha1/namespaces/{namespace}/gameserversets/{name}'];
    assert.deepEqual(Object.keys(item.patch.requestBody.content), [
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
  });

  test('built-in kinds: Kubernetes component names; no schema means any fields and no strategic merge from here', () => {
    const doc = openapiV3Document([builtin({})], new Map()) as Json;
    const pod = doc.components.schemas['io.k8s.api.core.v1.Pod'];
    assert.equal(pod['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.ok(doc.components.schemas['io.k8s.api.core.v1.PodList']);
    assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch.operationId, 'patchCoreV1NamespacedPod');
    assert.equal(supportsFieldValidation(doc, { group: '', version: 'v1', kind: 'Pod' }), true);
    assert.equal(supportsStrategicMerge(doc, { group: '', version: 'v1', kind: 'Pod' }), false);

    const withSchema = openapiV3Document([builtin({})], new Map([['Pod', { type: 'object', properties: { spec: { type: 'object' } } }]])) as Json;
    assert.equal(supportsStrategicMerge(withSchema, { group: '', version: 'v1', kind: 'Pod' }), true);
    assert.deepEqual(withSchema.components.schemas['io.k8s.api.core.v1.Pod'].properties.spec, { type: 'object' });
  });

  test('component names of built-in groups', () => {
    const name = (group: string, kind: string) => schemaComponentName({ group, version: 'v1', kind, builtin: true });
    assert.equal(name('apps', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(name('rbac.authorization.k8s.io', 'Role'), 'io.k8s.api.rbac.v1.Role');
    assert.equal(name('coordination.k8s.io', 'Lease'), 'io.k8s.api.coordination.v1.Lease');
    assert.equal(
      name('apiextensions.k8s.io', 'CustomResourceDefinition'),
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    );
    assert.equal(schemaComponentName({ group: 'game.kruise.io', version: 'v1alpha1', kind: 'GameServer', builtin: false }), 'io.kruise.game.v1alpha1.GameServer');
  });

  test('cluster-scoped resources have no namespace in their paths; verbs limit operations', () => {
    const nodes = builtin({ resource: 'nodes', kind: 'Node', listKind: 'NodeList', namespaced: false, verbs: ['get', 'list', 'watch'], subresources: [] });
    const doc = openapiV3Document([nodes], new Map()) as Json;
    assert.deepEqual(Object.keys(doc.paths), ['/api/v1/nodes', '/api/v1/nodes/{name}']);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/nodes']), ['get', 'parameters']);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/nodes/{name}']), ['get', 'parameters']);
    assert.equal(doc.paths['/api/v1/nodes'].get.operationId, 'listCoreV1Node');
    assert.equal(doc.paths['/apis/apps/v1/deployments'], undefined);
    const rbac = builtin({ group: 'rbac.authorization.k8s.io', resource: 'roles', kind: 'Role', listKind: 'RoleList', subresources: [] });
    const rbacDoc = openapiV3Document([rbac], new Map()) as Json;
    assert.equal(
      rbacDoc.paths['/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}'].patch.operationId,
      'patchRbacAuthorizationV1NamespacedRole',
    );
  });

  test('does not share objects with its inputs', () => {
    const schemas = new Map([['GameServerSet', gameServerSetSchema()]]);
    const doc = openapiV3Document([gssDef()], schemas) as Json;
    doc.components.schemas['io.kruise.game.v1alpha1.GameServerSet'].properties.spec.properties.replicas.minimum = 99;
    assert.equal(schemas.get('GameServerSet').properties.spec.properties.replicas.minimum, 0);
    assert.deepEqual(schemas.get('GameServerSet').properties.metadata, { type: 'object' });
  });
});

test('OpenAPI v2 is an empty protobuf document of this content type', () => {
  assert.equal(OPENAPI_V2_PROTOBUF_CONTENT_TYPE, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
});
