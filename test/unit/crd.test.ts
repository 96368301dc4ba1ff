import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crdToResourceDefs, storageVersion, validateCrd } from '../../src/apiserver/schema/crd.js';
import { gameServerSetCrd } from './fixtures/gameserverset-crd.js';

const SCHEMA = 'spec.versions[0].schema.openAPIV3Schema';

function causesOf(edit: (crd: any) => void) {
  const crd = gameServerSetCrd();
  edit(crd);
  return validateCrd(crd);
}

describe('validateCrd', () => {
  test('accepts the GameServerSet CRD', () => {
    assert.deepEqual(validateCrd(gameServerSetCrd()), []);
  });

  test('accepts kubebuilder-style schemas: quantity maps, map lists, atomic maps', () => {
    const crd = gameServerSetCrd();
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    spec.properties.resources = {
      type: 'object',
      properties: {
        limits: {
          type: 'object',
          additionalProperties: {
            anyOf: [{ type: 'integer' }, { type: 'string' }],
            pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
            'x-kubernetes-int-or-string': true,
          },
        },
        claims: {
          type: 'array',
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-list-type': 'map',
        },
        selector: { type: 'object', properties: { app: { type: 'string' } }, 'x-kubernetes-map-type': 'atomic' },
      },
    };
    assert.deepEqual(validateCrd(crd), []);
  });

  test('metadata.name must be <plural>.<group>', () => {
    assert.deepEqual(
      causesOf((crd) => (crd.metadata.name = 'gss.game.kruise.io')),
      [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "gss.game.kruise.io": must be spec.names.plural+"."+spec.group',
          field: 'metadata.name',
        },
      ],
    );
    assert.deepEqual(
      causesOf((crd) => delete crd.metadata.name),
      [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
    );
  });

  test('group, plural, kind and scope are required', () => {
    const causes = causesOf((crd) => {
      crd.metadata.name = '.';
      delete crd.spec.group;
      delete crd.spec.scope;
      crd.spec.names = { singular: 'gameserverset' };
    });
    const required = causes.filter((c) => c.reason === 'FieldValueRequired').map((c) => c.field);
    assert.deepEqual(required, ['spec.group', 'spec.scope', 'spec.names.plural', 'spec.names.kind']);
  });

  test('group must be a DNS subdomain with a dot', () => {
    assert.deepEqual(
      causesOf((crd) => {
        crd.spec.group = 'game';
        crd.metadata.name = 'gameserversets.game';
      }),
      [{ reason: 'FieldValueInvalid', message: 'Invalid value: "game": should be a domain with at least one dot', field: 'spec.group' }],
    );
  });

  test('scope is Namespaced or Cluster', () => {
    assert.deepEqual(
      causesOf((crd) => (crd.spec.scope = 'Global')),
      [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
          field: 'spec.scope',
        },
      ],
    );
  });

  test('exactly one storage version, so at least one version', () => {
    const message = 'must have exactly one version marked as storage version';
    const none = causesOf((crd) => (crd.spec.versions = []));
    assert.deepEqual(none, [{ reason: 'FieldValueInvalid', message: `Invalid value: []: ${message}`, field: 'spec.versions' }]);
    const two = causesOf((crd) => crd.spec.versions.push({ ...structuredClone(crd.spec.versions[0]), name: 'v1' }));
    assert.equal(two.length, 1);
    assert.equal(two[0].field, 'spec.versions');
    assert.match(two[0].message, /^Invalid value: \[\{"name":"v1alpha1",.*\]: must have exactly one version marked as storage version$/);
    const zero = causesOf((crd) => (crd.spec.versions[0].storage = false));
    assert.equal(zero.length, 1);
    assert.ok(zero[0].message.endsWith(message));
  });

  test('version names are unique DNS-1035 labels', () => {
    const causes = causesOf((crd) => crd.spec.versions.push({ ...structuredClone(crd.spec.versions[0]), storage: false }));
    assert.deepEqual(
      causes.map((c) => [c.field, c.message.replace(/^Invalid value: .*: /s, '')]),
      [['spec.versions', 'must contain unique version names']],
    );
    const badName = causesOf((crd) => (crd.spec.versions[0].name = 'V1'));
    assert.deepEqual(badName, [
      {
        reason: 'FieldValueInvalid',
        message:
          "Invalid value: \"V1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        field: 'spec.versions[0].name',
      },
    ]);
  });

  test('every version needs a schema', () => {
    assert.deepEqual(
      causesOf((crd) => delete crd.spec.versions[0].schema),
      [{ reason: 'FieldValueRequired', message: 'Required value: schemas are required', field: SCHEMA }],
    );
  });

  test('scale paths are JSON paths under .spec and .status', () => {
    const causes = causesOf((crd) => {
      crd.spec.versions[0].subresources.scale = {
        specReplicasPath: 'spec.replicas',
        statusReplicasPath: '.spec.replicas',
        labelSelectorPath: '.metadata.labels',
      };
    });
    const base = 'spec.versions[0].subresources.scale';
    assert.deepEqual(causes, [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "spec.replicas": must be a simple json path starting with .',
        field: `${base}.specReplicasPath`,
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: ".spec.replicas": should be a json path under .status',
        field: `${base}.statusReplicasPath`,
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
        field: `${base}.labelSelectorPath`,
      },
    ]);
    assert.deepEqual(
      causesOf((crd) => (crd.spec.versions[0].subresources.scale = { statusReplicasPath: '.status.replicas' })),
      [{ reason: 'FieldValueRequired', message: 'Required value', field: `${base}.specReplicasPath` }],
    );
  });

  test('printer columns need a name, a known type and a JSON path', () => {
    const causes = causesOf((crd) => (crd.spec.versions[0].additionalPrinterColumns = [{ type: 'text', jsonPath: 'spec.replicas' }]));
    const col = 'spec.versions[0].additionalPrinterColumns[0]';
    assert.deepEqual(causes, [
      { reason: 'FieldValueRequired', message: 'Required value', field: `${col}.name` },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "text": must be one of boolean,date,integer,number,string', field: `${col}.type` },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "spec.replicas": must be a simple json path starting with .', field: `${col}.JSONPath` },
    ]);
  });

  test('names: kind and listKind differ, short names are DNS-1035 labels', () => {
    const causes = causesOf((crd) => {
      crd.spec.names.listKind = 'GameServerSet';
      crd.spec.names.shortNames = ['GSS'];
    });
    assert.deepEqual(
      causes.map((c) => c.field),
      ['spec.names.shortNames[0]', 'spec.names.listKind'],
    );
    assert.ok(causes[1].message.endsWith('kind and listKind may not be the same'));
  });

  describe('schema', () => {
    const onSpec = (edit: (spec: any) => void) => causesOf((crd) => edit(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec));

    test('every field has a type (structural schema)', () => {
      assert.deepEqual(
        onSpec((spec) => delete spec.properties.replicas.type),
        [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: must not be empty for specified object fields',
            field: `${SCHEMA}.properties[spec].properties[replicas].type`,
          },
        ],
      );
      assert.deepEqual(
        onSpec((spec) => delete spec.properties.reserveGameServerIds.items),
        [{ reason: 'FieldValueRequired', message: 'Required value: must be specified', field: `${SCHEMA}.properties[spec].properties[reserveGameServerIds].items` }],
      );
    });

    test('the root is an object; status needs an object root', () => {
      const causes = causesOf((crd) => (crd.spec.versions[0].schema.openAPIV3Schema = { type: 'array', items: { type: 'string' } }));
      assert.deepEqual(
        causes.map((c) => [c.field, c.message]),
        [
          [`${SCHEMA}.type`, 'Invalid value: "array": only "object" is allowed as the type at the root of the schema if the status subresource is enabled'],
          [`${SCHEMA}.type`, 'Invalid value: "array": must be object at the root'],
        ],
      );
    });

    test('anyOf and friends may not declare types, except the int-or-string pattern', () => {
      assert.deepEqual(
        onSpec((spec) => (spec.properties.serviceName.anyOf = [{ type: 'string', maxLength: 3 }, { pattern: '^a' }])),
        [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: must be empty to be structural',
            field: `${SCHEMA}.properties[spec].properties[serviceName].anyOf[0].type`,
          },
        ],
      );
    });

    test('top-level metadata may restrict only name and generateName', () => {
      const causes = causesOf((crd) => {
        crd.spec.versions[0].schema.openAPIV3Schema.properties.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
      });
      assert.deepEqual(causes, [
        {
          reason: 'FieldValueForbidden',
          message: 'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
          field: `${SCHEMA}.properties[metadata]`,
        },
      ]);
    });

    test('defaults must validate against their own schema', () => {
      assert.deepEqual(
        onSpec((spec) => (spec.properties.updateStrategy.properties.type.default = 'Sideways')),
        [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "Sideways": supported values: "RollingUpdate", "OnDelete"',
            field: `${SCHEMA}.properties[spec].properties[updateStrategy].properties[type].default`,
          },
        ],
      );
      assert.deepEqual(
        onSpec((spec) => (spec.properties.scaleStrategy.default = { scaleDownStrategyType: 'Random' })),
        [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "Random": supported values: "General", "ReserveIds"',
            field: `${SCHEMA}.properties[spec].properties[scaleStrategy].default.scaleDownStrategyType`,
          },
        ],
      );
    });

    test('defaults may not carry unknown fields', () => {
      const causes = onSpec((spec) => (spec.properties.scaleStrategy.default = { surge: 1 }));
      assert.deepEqual(causes, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: {"surge":1}: must not have unknown fields',
          field: `${SCHEMA}.properties[spec].properties[scaleStrategy].default`,
        },
      ]);
    });

    test('unsupported keywords and extension misuse', () => {
      const causes = onSpec((spec) => {
        spec.properties.serviceName.$ref = '#/definitions/name';
        spec.properties.reserveGameServerIds.uniqueItems = true;
        spec.properties.network['x-kubernetes-preserve-unknown-fields'] = false;
        spec.properties.serviceQualities['x-kubernetes-list-type'] = 'bag';
      });
      assert.deepEqual(
        causes.map((c) => [(c.field ?? '').replace(`${SCHEMA}.properties[spec].`, ''), c.reason]),
        [
          ['properties[serviceName].$ref', 'FieldValueForbidden'],
          ['properties[reserveGameServerIds].uniqueItems', 'FieldValueForbidden'],
          ['properties[serviceQualities].x-kubernetes-list-type', 'FieldValueNotSupported'],
          ['properties[network].x-kubernetes-preserve-unknown-fields', 'FieldValueInvalid'],
        ],
      );
    });

    test('a schema ajv cannot compile is reported, not thrown', () => {
      const causes = onSpec((spec) => (spec.properties.serviceName.pattern = '(unclosed'));
      assert.equal(causes.length, 1);
      assert.equal(causes[0].field, 'spec.versions[0].schema');
      assert.match(causes[0].message, /^Invalid value: "": error building validator: /);
    });
  });
});

describe('crdToResourceDefs', () => {
  test('one ResourceDef per served version, with names, scope and subresources', () => {
    assert.deepEqual(crdToResourceDefs(gameServerSetCrd()), [
      {
        group: 'game.kruise.io',
        version: 'v1alpha1',
        resource: 'gameserversets',
        singular: 'gameserverset',
        kind: 'GameServerSet',
        listKind: 'GameServerSetList',
        namespaced: true,
        shortNames: ['gss'],
        categories: ['all'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        subresources: ['status', 'scale'],
        scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
        printerColumns: gameServerSetCrd().spec.versions[0].additionalPrinterColumns,
        builtin: false,
        tracksGeneration: true,
      },
    ]);
  });

  test('skips versions that are not served', () => {
    const crd = gameServerSetCrd();
    crd.spec.versions.push({ ...structuredClone(crd.spec.versions[0]), name: 'v1beta1', storage: false, served: false });
    crd.spec.versions.push({ ...structuredClone(crd.spec.versions[0]), name: 'v1', storage: false });
    assert.deepEqual(
      crdToResourceDefs(crd).map((d) => d.version),
      ['v1alpha1', 'v1'],
    );
  });

  test('defaults singular and listKind from kind, and serves cluster scope', () => {
    const crd = gameServerSetCrd();
    crd.spec.scope = 'Cluster';
    crd.spec.names = { plural: 'gameserversets', kind: 'GameServerSet' };
    delete crd.spec.versions[0].subresources;
    const [def] = crdToResourceDefs(crd);
    assert.equal(def.singular, 'gameserverset');
    assert.equal(def.listKind, 'GameServerSetList');
    assert.equal(def.namespaced, false);
    assert.deepEqual(def.shortNames, []);
    assert.deepEqual(def.subresources, []);
    assert.equal(def.scale, undefined);
  });

  test('a version without printer columns gets Age; declared columns come as declared', () => {
    const crd = gameServerSetCrd();
    delete crd.spec.versions[0].additionalPrinterColumns;
    const [bare] = crdToResourceDefs(crd);
    assert.deepEqual(
      bare.printerColumns!.map(({ name, type, jsonPath }) => ({ name, type, jsonPath })),
      [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
    );
    crd.spec.versions[0].additionalPrinterColumns = [{ name: 'Image', type: 'string', jsonPath: '.spec.image', priority: 1 }];
    const [declared] = crdToResourceDefs(crd);
    assert.deepEqual(declared.printerColumns, [{ name: 'Image', type: 'string', jsonPath: '.spec.image', priority: 1 }]);
  });
});

describe('storageVersion', () => {
  test('names the version marked storage', () => {
    const crd = gameServerSetCrd();
    crd.spec.versions[0].storage = false;
    crd.spec.versions.push({ ...structuredClone(crd.spec.versions[0]), name: 'v1', storage: true });
    assert.equal(storageVersion(crd), 'v1');
  });

  test('throws for a CRD without one', () => {
    const crd = gameServerSetCrd();
    crd.spec.versions[0].storage = false;
    assert.throws(() => storageVersion(crd), /has no storage version/);
  });
});
