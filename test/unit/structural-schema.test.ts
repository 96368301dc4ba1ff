import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema } from '../../src/apiserver/schema/structural.js';
import { gameServerSet, gameServerSetSchema } from './fixtures/gameserverset-crd.js';

const gss = () => compileSchema(gameServerSetSchema());

/** prune, default, validate: the order kube-apiserver runs them on a write. */
function admit(obj: any, schema = gss()) {
  const pruned = schema.prune(obj);
  schema.applyDefaults(obj);
  return { pruned, causes: schema.validate(obj) };
}

describe('prune', () => {
  test('drops undeclared fields and reports their paths', () => {
    const obj = gameServerSet();
    obj.spec.bogus = 1;
    obj.spec.updateStrategy.rollingUpdate.surge = 2;
    obj.status = { replicas: 1, phase: 'Running' };
    obj.extra = true;
    const pruned = gss().prune(obj);
    assert.deepEqual(pruned.sort(), ['extra', 'spec.bogus', 'spec.updateStrategy.rollingUpdate.surge', 'status.phase']);
    assert.equal(obj.spec.bogus, undefined);
    assert.equal(obj.extra, undefined);
    assert.deepEqual(obj.status, { replicas: 1 });
  });

  test('keeps apiVersion, kind and all of metadata at the root', () => {
    const obj = gameServerSet();
    obj.metadata.annotations = { a: 'b' };
    obj.metadata.notAField = 'kept: metadata is ObjectMeta decoding business';
    assert.deepEqual(gss().prune(obj), []);
    assert.equal(obj.apiVersion, 'game.kruise.io/v1alpha1');
    assert.equal(obj.kind, 'GameServerSet');
    assert.equal(obj.metadata.notAField, 'kept: metadata is ObjectMeta decoding business');
  });

  test('keeps unknown fields under x-kubernetes-preserve-unknown-fields (pod template)', () => {
    const obj = gameServerSet();
    const template = structuredClone(obj.spec.gameServerTemplate);
    assert.deepEqual(gss().prune(obj), []);
    assert.deepEqual(obj.spec.gameServerTemplate, template);
  });

  test('still prunes declared fields below a preserving node', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
        },
      },
    });
    const obj: any = { spec: { anything: { goes: 1 }, known: { a: 'x', b: 2 } } };
    assert.deepEqual(schema.prune(obj), ['spec.known.b']);
    assert.deepEqual(obj.spec, { anything: { goes: 1 }, known: { a: 'x' } });
  });

  test('names array items by index and map entries by key', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            template: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    containers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
                  },
                },
              },
            },
            selectors: { type: 'object', additionalProperties: { type: 'object', properties: { a: { type: 'string' } } } },
          },
        },
      },
    });
    const obj: any = {
      spec: {
        template: { spec: { containers: [{ name: 'a', bogus: 1 }, { name: 'b' }] } },
        selectors: { foo: { a: 'x', bogus: true } },
      },
    };
    assert.deepEqual(schema.prune(obj), ['spec.template.spec.containers[0].bogus', 'spec.selectors.foo.bogus']);
    assert.deepEqual(obj.spec.template.spec.containers, [{ name: 'a' }, { name: 'b' }]);
  });

  test('an object with no properties keeps nothing; additionalProperties: true keeps everything', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        closed: { type: 'object' },
        open: { type: 'object', additionalProperties: true },
      },
    });
    const obj: any = { closed: { a: 1 }, open: { b: { c: 2 } } };
    assert.deepEqual(schema.prune(obj), ['closed.a']);
    assert.deepEqual(obj, { closed: {}, open: { b: { c: 2 } } });
  });

  test('embedded resources keep apiVersion, kind and ObjectMeta fields of their metadata', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            template: {
              type: 'object',
              'x-kubernetes-embedded-resource': true,
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
            },
          },
        },
      },
    });
    const obj: any = {
      spec: {
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', labels: { a: 'b' }, color: 'red' }, spec: { size: 1, bogus: 2 } },
      },
    };
    assert.deepEqual(schema.prune(obj).sort(), ['spec.template.metadata.color', 'spec.template.spec.bogus']);
    assert.deepEqual(obj.spec.template, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', labels: { a: 'b' } }, spec: { size: 1 } });
  });
});

describe('applyDefaults', () => {
  test('fills absent fields, at every level that exists', () => {
    const obj: any = { spec: { replicas: 1, updateStrategy: { rollingUpdate: {} } } };
    gss().applyDefaults(obj);
    assert.deepEqual(obj.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, podUpdatePolicy: 'ReCreate' },
    });
  });

  test('does not create a parent object just to default its children', () => {
    const obj: any = { spec: { replicas: 1, updateStrategy: {} } };
    gss().applyDefaults(obj);
    assert.deepEqual(obj.spec.updateStrategy, { type: 'RollingUpdate' });
  });

  test('applies the defaults nested inside a default value', () => {
    const obj: any = { spec: { replicas: 1 } };
    gss().applyDefaults(obj);
    assert.deepEqual(obj.spec.scaleStrategy, { scaleDownStrategyType: 'General' });
  });

  test('defaults inside array items', () => {
    const obj: any = { spec: { replicas: 1, serviceQualities: [{ name: 'a' }, { name: 'b', permanent: true }] } };
    gss().applyDefaults(obj);
    assert.deepEqual(obj.spec.serviceQualities, [
      { name: 'a', permanent: false },
      { name: 'b', permanent: true },
    ]);
  });

  test('defaults inside additionalProperties map values', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        ports: { type: 'object', additionalProperties: { type: 'object', properties: { protocol: { type: 'string', default: 'UDP' } } } },
      },
    });
    const obj: any = { ports: { game: { port: 7777 }, query: { protocol: 'TCP' } } };
    schema.applyDefaults(obj);
    assert.deepEqual(obj.ports, { game: { port: 7777, protocol: 'UDP' }, query: { protocol: 'TCP' } });
  });

  test('never overwrites a present value, falsy ones included', () => {
    const obj: any = { spec: { replicas: 0, updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 0, podUpdatePolicy: '' } } } };
    gss().applyDefaults(obj);
    assert.equal(obj.spec.updateStrategy.type, 'OnDelete');
    assert.equal(obj.spec.updateStrategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(obj.spec.updateStrategy.rollingUpdate.podUpdatePolicy, '');
  });

  test('null: defaulted when not nullable, dropped without a default, kept when nullable', () => {
    const obj: any = {
      spec: { replicas: 1, serviceName: null, updateStrategy: { type: null } },
      status: { lastUpdateTime: null },
    };
    gss().applyDefaults(obj);
    assert.equal(obj.spec.updateStrategy.type, 'RollingUpdate');
    assert.equal('serviceName' in obj.spec, false);
    assert.equal(obj.status.lastUpdateTime, null);
  });

  test('each object gets its own copy of a default', () => {
    const schema = gss();
    const a: any = { spec: { replicas: 1 } };
    const b: any = { spec: { replicas: 1 } };
    schema.applyDefaults(a);
    schema.applyDefaults(b);
    a.spec.scaleStrategy.scaleDownStrategyType = 'ReserveIds';
    assert.equal(b.spec.scaleStrategy.scaleDownStrategyType, 'General');
  });
});

describe('validate', () => {
  test('accepts a valid GameServerSet after pruning and defaulting', () => {
    assert.deepEqual(admit(gameServerSet()).causes, []);
  });

  test('wrong type: FieldValueTypeInvalid naming the JSON type, as kube-apiserver', () => {
    const obj = gameServerSet();
    obj.spec.replicas = 'three';
    assert.deepEqual(admit(obj).causes, [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        field: 'spec.replicas',
      },
    ]);
  });

  test('missing required field: FieldValueRequired', () => {
    const obj = gameServerSet();
    delete obj.spec.replicas;
    obj.spec.serviceQualities.push({ containerName: 'server' });
    assert.deepEqual(admit(obj).causes, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.replicas' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.serviceQualities[1].name' },
    ]);
  });

  test('value outside an enum: FieldValueNotSupported listing the supported values', () => {
    const obj = gameServerSet();
    obj.spec.updateStrategy.rollingUpdate.podUpdatePolicy = 'Foo';
    assert.deepEqual(admit(obj).causes, [
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Foo": supported values: "ReCreate", "InPlaceIfPossible", "InPlaceOnly"',
        field: 'spec.updateStrategy.rollingUpdate.podUpdatePolicy',
      },
    ]);
  });

  test('minimum and maximum: FieldValueInvalid with the bound', () => {
    const obj = gameServerSet();
    obj.spec.replicas = -1;
    obj.spec.updateStrategy.rollingUpdate.minReadySeconds = 301;
    assert.deepEqual(admit(obj).causes, [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
        field: 'spec.replicas',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 301: spec.updateStrategy.rollingUpdate.minReadySeconds in body should be less than or equal to 300',
        field: 'spec.updateStrategy.rollingUpdate.minReadySeconds',
      },
    ]);
  });

  test('exclusive bounds (OpenAPI 3.0 booleans) and multipleOf', () => {
    const schema = compileSchema({
      type: 'object',
      properties: { ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, multipleOf: 0.5 } },
    });
    assert.deepEqual(schema.validate({ ratio: 0.5 }), []);
    assert.deepEqual(schema.validate({ ratio: 0 }), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: ratio in body should be greater than 0', field: 'ratio' },
    ]);
    assert.deepEqual(schema.validate({ ratio: 0.7 }), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0.7: ratio in body should be a multiple of 0.5', field: 'ratio' },
    ]);
  });

  test('int-or-string takes integers and strings, and nothing else', () => {
    for (const maxUnavailable of [2, '25%']) {
      const obj = gameServerSet();
      obj.spec.updateStrategy.rollingUpdate.maxUnavailable = maxUnavailable;
      assert.deepEqual(admit(obj).causes, [], String(maxUnavailable));
    }
    const obj = gameServerSet();
    obj.spec.updateStrategy.rollingUpdate.maxUnavailable = 1.5;
    obj.spec.reserveGameServerIds = [true];
    const causes = admit(obj).causes;
    assert.deepEqual(causes.find((c) => c.field === 'spec.updateStrategy.rollingUpdate.maxUnavailable'), {
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: "number": spec.updateStrategy.rollingUpdate.maxUnavailable in body must be of type integer,string: "number"',
      field: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
    });
    assert.ok(causes.some((c) => c.field === 'spec.reserveGameServerIds[0]' && c.reason === 'FieldValueTypeInvalid'));
  });

  test('pattern, maxLength and minLength', () => {
    const obj = gameServerSet();
    obj.spec.serviceName = 'Arena_' + 'x'.repeat(60);
    obj.spec.serviceQualities[0].name = '';
    assert.deepEqual(admit(obj).causes, [
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 63 bytes', field: 'spec.serviceName' },
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${obj.spec.serviceName}": spec.serviceName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'`,
        field: 'spec.serviceName',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": spec.serviceQualities[0].name in body should be at least 1 chars long',
        field: 'spec.serviceQualities[0].name',
      },
    ]);
  });

  test('maxItems: FieldValueTooMany with the count', () => {
    const obj = gameServerSet();
    obj.spec.network = { networkType: 'HostPort', networkConf: Array.from({ length: 9 }, (_, i) => ({ name: `p${i}`, value: 'x' })) };
    assert.deepEqual(admit(obj).causes, [
      { reason: 'FieldValueTooMany', message: 'Too many: 9: must have at most 8 items', field: 'spec.network.networkConf' },
    ]);
  });

  test('date-time format is checked', () => {
    const obj = gameServerSet();
    obj.status = { lastUpdateTime: 'yesterday' };
    assert.deepEqual(admit(obj).causes, [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "yesterday": status.lastUpdateTime in body must be of type date-time: "yesterday"',
        field: 'status.lastUpdateTime',
      },
    ]);
    obj.status.lastUpdateTime = '2024-05-01T10:00:00Z';
    assert.deepEqual(admit(obj).causes, []);
  });

  test('numeric formats are ranges, refused with no field path as kube-apiserver 1.36 does', () => {
    const obj = gameServerSet();
    const int32 = (path: string) => ({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "": Checked value must be of type integer with format int32 in ${path}`,
      field: '<nil>',
    });
    obj.spec.replicas = 2 ** 31 - 1;
    assert.deepEqual(admit(obj).causes, []);
    for (const replicas of [2 ** 31, 1e12]) {
      obj.spec.replicas = replicas;
      assert.deepEqual(admit(obj).causes, [int32('spec.replicas')], String(replicas));
    }
    const schema = compileSchema({
      type: 'object',
      properties: {
        big: { type: 'integer', format: 'int64' },
        ratio: { type: 'number', format: 'float' },
        any: { type: 'number', format: 'double' },
      },
    });
    assert.deepEqual(schema.validate({ big: 2 ** 53, ratio: 1.5, any: 1e300 }), []);
    assert.deepEqual(schema.validate({ big: 1e20, ratio: 1e39 }), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": Checked value must be of type integer with format int64 in big', field: '<nil>' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": Checked value must be of type number with format float in ratio', field: '<nil>' },
    ]);
  });

  test('other Kubernetes formats: byte, duration, cidr, uuid', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        data: { type: 'string', format: 'byte' },
        wait: { type: 'string', format: 'duration' },
        net: { type: 'string', format: 'cidr' },
        id: { type: 'string', format: 'uuid' },
      },
    });
    assert.deepEqual(schema.validate({ data: 'aGVsbG8=', wait: '1h30m', net: '10.0.0.0/8', id: '0b6e5a4c-9a6f-4a4b-8d4c-1c2d3e4f5a6b' }), []);
    const causes = schema.validate({ data: '***', wait: 'soon', net: '10.0.0.0/33', id: 'nope' });
    assert.deepEqual(
      causes.map((c) => [c.field, c.reason]),
      [
        ['data', 'FieldValueTypeInvalid'],
        ['wait', 'FieldValueTypeInvalid'],
        ['net', 'FieldValueTypeInvalid'],
        ['id', 'FieldValueTypeInvalid'],
      ],
    );
    assert.equal(causes[1].message, 'Invalid value: "soon": wait in body must be of type duration: "soon"');
  });

  test('null is refused unless nullable', () => {
    const schema = compileSchema({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string', nullable: true, enum: ['x'] } },
    });
    assert.deepEqual(schema.validate({ b: null }), []);
    assert.deepEqual(schema.validate({ a: null }), [
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "null": a in body must be of type string: "null"', field: 'a' },
    ]);
  });

  test('anyOf: the composite error on a nil path, then the closest branch only', () => {
    const schema = compileSchema({
      type: 'object',
      properties: { port: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[a-z]+$' }] } },
    });
    assert.deepEqual(schema.validate({ port: 0 }), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": "port" must validate at least one schema (anyOf)', field: '<nil>' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: port in body should be greater than or equal to 1', field: 'port' },
    ]);
    assert.deepEqual(schema.validate({ port: 'abc' }), []);
  });

  test('oneOf: none valid, or several valid', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        source: {
          type: 'object',
          properties: { image: { type: 'string' }, patch: { type: 'string' } },
          oneOf: [{ required: ['image'] }, { required: ['patch'] }],
        },
      },
    });
    assert.deepEqual(schema.validate({ source: { image: 'a' } }), []);
    const none = schema.validate({ source: {} });
    assert.deepEqual(none[0], {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "": "source" must validate one and only one schema (oneOf). Found none valid',
      field: '<nil>',
    });
    assert.equal(none.length, 2, 'the composite error and the first branch');
    assert.deepEqual(schema.validate({ source: { image: 'a', patch: 'b' } }), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": "source" must validate one and only one schema (oneOf). Found 2 valid alternatives',
        field: '<nil>',
      },
    ]);
  });

  test('allOf and not', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        slots: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 10 }] },
        mode: { type: 'string', not: { enum: ['legacy'] } },
      },
    });
    assert.deepEqual(schema.validate({ slots: 5, mode: 'fast' }), []);
    assert.deepEqual(schema.validate({ slots: 11, mode: 'legacy' }), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": "slots" must validate all the schemas (allOf)', field: '<nil>' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 11: slots in body should be less than or equal to 10', field: 'slots' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": "mode" must not validate the schema (not)', field: '<nil>' },
    ]);
  });

  test('x-kubernetes-list-type: duplicates in sets and in map lists by key', () => {
    const schema = compileSchema({
      type: 'object',
      properties: { tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' } },
    });
    assert.deepEqual(schema.validate({ tags: ['a', 'b', 'a'] }), [
      { reason: 'FieldValueDuplicate', message: 'Duplicate value: "a"', field: 'tags[2]' },
    ]);
    const obj = gameServerSet();
    obj.spec.serviceQualities.push({ name: 'healthy', containerName: 'sidecar' });
    assert.deepEqual(admit(obj).causes, [
      { reason: 'FieldValueDuplicate', message: 'Duplicate value: {"name":"healthy"}', field: 'spec.serviceQualities[1]' },
    ]);
  });

  test('map values (additionalProperties) are validated and named by key, as resource quantities', () => {
    const quantity = {
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: '^[0-9]+(m|Mi|Gi)?$',
    };
    const schema = compileSchema({
      type: 'object',
      properties: { limits: { type: 'object', additionalProperties: quantity } },
    });
    assert.deepEqual(schema.validate({ limits: { cpu: '500m', memory: 1 } }), []);
    assert.deepEqual(schema.validate({ limits: { cpu: 'lots' } }), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "lots": limits.cpu in body should match '^[0-9]+(m|Mi|Gi)?$'`, field: 'limits.cpu' },
    ]);
  });

  test('root metadata: only name and generateName are checked against the schema', () => {
    const schema = compileSchema({
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 }, labels: { type: 'integer' } } },
      },
    });
    assert.deepEqual(schema.validate({ metadata: { name: 'short', labels: { a: 'b' } } }), []);
    assert.deepEqual(schema.validate({ metadata: { name: 'too-long' } }), [
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 5 bytes', field: 'metadata.name' },
    ]);
  });

  test('embedded resources must carry apiVersion and kind', () => {
    const schema = compileSchema({
      type: 'object',
      properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
    });
    assert.deepEqual(schema.validate({ template: { apiVersion: 'v1', kind: 'Pod' } }), []);
    assert.deepEqual(schema.validate({ template: { kind: '' } }), [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'template.apiVersion' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": must not be empty', field: 'template.kind' },
    ]);
  });
});

describe('compileSchema', () => {
  test('compiles a schema once: equal schemas share the compiled result', () => {
    assert.equal(compileSchema(gameServerSetSchema()), compileSchema(gameServerSetSchema()));
    assert.notEqual(compileSchema(gameServerSetSchema()), compileSchema({ type: 'object' }));
  });

  test('later edits of the schema object do not change the compiled schema', () => {
    const raw = gameServerSetSchema();
    raw.properties.spec.properties.rename = { type: 'string' };
    const compiled = compileSchema(raw);
    raw.properties.spec.properties.replicas.minimum = 10;
    delete raw.properties.spec.properties.rename;
    const obj = gameServerSet();
    obj.spec.rename = 'kept';
    assert.deepEqual(admit(obj, compiled), { pruned: [], causes: [] });
  });
});
