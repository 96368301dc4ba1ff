// src/api: the schema builders, the types they yield, and each kind's defaultX / validateX.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import {
  defaultGameDeployment,
  defaultGameServer,
  defaultGameServerSet,
  GameDeploymentResource,
  GameServerResource,
  GameServerSetResource,
  openAPIV3Schema,
  MAX_RESERVED_ORDINALS,
  parseOrdinals,
  priorityValue,
  reservedOrdinals,
  scaledValue,
  validateGameDeployment,
  validateGameServer,
  validateGameServerSet,
  type FieldCause,
  type GameDeployment,
  type GameDeploymentInput,
  type GameServer,
  type GameServerSet,
  type GameServerSetInput,
  type ResourceDefinition,
} from '../../src/api/index.js';
import { applySchemaDefaults, arr, enumOf, int, intOrString, looseObject, map, obj, str, type Infer, type InferInput } from '../../src/api/schema.js';
import { compileSchema } from '../../src/apiserver/schema/structural.js';
import { fixturePath } from '../helpers/cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const fixture = (name: string): Obj => YAML.parse(readFileSync(fixturePath(name), 'utf8')) as Obj;
const seedGss = () => fixture('gameserverset-minecraft.yaml') as GameServerSetInput;
const seedGd = () => fixture('gamedeployment-hotpatch.yaml') as GameDeploymentInput;

/** What kube-apiserver stores for `obj` under the definition's schema: pruned, then defaulted. */
function serverStored(def: ResourceDefinition, o: Obj): Obj {
  const compiled = compileSchema(openAPIV3Schema(def));
  const copy = structuredClone(o);
  compiled.prune(copy);
  compiled.applyDefaults(copy);
  return copy;
}

const fields = (causes: FieldCause[]) => causes.map((c) => c.field);

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

describe('schema builders', () => {
  it('emit the structural schema nodes a CRD holds', () => {
    assert.deepEqual(int({ default: 1, minimum: 0 }), { type: 'integer', format: 'int32', default: 1, minimum: 0 });
    assert.deepEqual(intOrString({ default: '20%' }), {
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
      default: '20%',
    });
    assert.deepEqual(enumOf(['A', 'B'], { default: 'A', description: 'd' }), { description: 'd', type: 'string', enum: ['A', 'B'], default: 'A' });
    assert.deepEqual(obj({ a: str() }, { required: ['a'] }), { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    assert.deepEqual(obj({ a: str() }, { required: [] }), { type: 'object', properties: { a: { type: 'string' } } });
    assert.deepEqual(map(str()), { type: 'object', additionalProperties: { type: 'string' } });
    assert.deepEqual(arr(int()), { type: 'array', items: { type: 'integer', format: 'int32' } });
    assert.deepEqual(looseObject({ required: ['x'], properties: { x: str() } }), {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { x: { type: 'string' } },
      required: ['x'],
    });
  });

  it('derive the stored type (defaulted fields present) and the written type (only required ones)', () => {
    const s = obj({ r: int(), d: enumOf(['X', 'Y'], { default: 'X' }), o: str(), n: obj({ k: int({ default: 0 }) }, { default: {} }) }, { required: ['r'] });
    assertType<Equal<Infer<typeof s>, { r: number; d: 'X' | 'Y'; n: { k: number }; o?: string }>>();
    assertType<Equal<InferInput<typeof s>, { r: number; d?: 'X' | 'Y'; o?: string; n?: { k?: number } }>>();
    // the kinds: stored objects carry their defaults, manifests need not
    assertType<Equal<GameServerSet['spec']['updateStrategy']['rollingUpdate']['podUpdatePolicy'], 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly'>>();
    assertType<Equal<GameServer['spec']['opsState'], string>>();
    assertType<Equal<GameDeployment['spec']['updateStrategy']['maxUnavailable'], number | string>>();
    assertType<Equal<GameServerSet['apiVersion'], 'game.kruise.io/v1alpha1'>>();
    const manifest: GameServerSetInput = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 'x' }, spec: { replicas: 1 } };
    // @ts-expect-error podUpdatePolicy is an enum
    manifest.spec.updateStrategy = { rollingUpdate: { podUpdatePolicy: 'Foo' } };
    assert.ok(manifest);
  });

  it('applySchemaDefaults fills absent and null fields, and defaults inside defaulted values', () => {
    const s = obj({ a: obj({ b: int({ default: 1 }), c: str({ default: 'c' }) }, { default: {} }), list: arr(obj({ x: int({ default: 7 }) })) });
    const v: Obj = { list: [{}, { x: 2 }] };
    applySchemaDefaults(v, s);
    assert.deepEqual(v, { a: { b: 1, c: 'c' }, list: [{ x: 7 }, { x: 2 }] });
    const w: Obj = { a: { b: null, c: 'kept' } };
    applySchemaDefaults(w, s);
    assert.deepEqual(w, { a: { b: 1, c: 'kept' } });
  });
});

describe('GameServerSet', () => {
  it("defaults the seed's manifest as the reference describes", () => {
    const gss = defaultGameServerSet(seedGss());
    assert.deepEqual(gss.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 1 } });
    assert.deepEqual(gss.spec.scaleStrategy, { scaleDownStrategyType: 'General' });
    assert.equal(gss.spec.gameServerTemplate?.reclaimPolicy, 'Cascade');
    const bare = defaultGameServerSet({ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: {}, spec: { replicas: 0 } });
    assert.equal(bare.spec.updateStrategy.rollingUpdate.podUpdatePolicy, 'ReCreate');
  });

  it('defaults in process exactly as the API server does with the CRD (but reclaimPolicy)', () => {
    const stored = serverStored(GameServerSetResource, seedGss());
    const local = defaultGameServerSet(seedGss()) as Obj;
    delete local.spec.gameServerTemplate.reclaimPolicy;
    assert.deepEqual(local, stored);
  });

  it('accepts the seed, and a partition above replicas', () => {
    assert.deepEqual(validateGameServerSet(defaultGameServerSet(seedGss())), []);
    const gss = seedGss();
    gss.spec.updateStrategy = { rollingUpdate: { partition: 10 } };
    assert.deepEqual(validateGameServerSet(gss), []);
  });

  it('refuses what the schema refuses, for objects that bypassed it', () => {
    const gss = seedGss() as Obj;
    gss.spec.replicas = -1;
    gss.spec.updateStrategy.rollingUpdate.podUpdatePolicy = 'Foo';
    gss.spec.updateStrategy.rollingUpdate.minReadySeconds = 400;
    const causes = validateGameServerSet(gss as GameServerSetInput);
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0' },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.updateStrategy.rollingUpdate.podUpdatePolicy',
        message: 'Unsupported value: "Foo": supported values: "ReCreate", "InPlaceIfPossible", "InPlaceOnly"',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.updateStrategy.rollingUpdate.minReadySeconds',
        message: 'Invalid value: 400: spec.updateStrategy.rollingUpdate.minReadySeconds in body should be less than or equal to 300',
      },
    ]);
    assert.deepEqual(fields(validateGameServerSet({ ...gss, spec: { gameServerTemplate: gss.spec.gameServerTemplate } } as GameServerSetInput)), ['spec.replicas']);
  });

  it('checks maxUnavailable, reserved ids and containers', () => {
    for (const [value, ok] of [
      [1, true],
      ['50%', true],
      [0, false],
      ['0%', false],
      ['150%', false],
      ['abc', false],
      [-1, false],
    ] as const) {
      const gss = seedGss();
      gss.spec.updateStrategy = { rollingUpdate: { maxUnavailable: value } };
      assert.equal(validateGameServerSet(gss).length === 0, ok, `maxUnavailable ${value}`);
    }
    const gss = seedGss();
    gss.spec.reserveGameServerIds = [1, '3-5', '7-6', 'x', ' 9 '];
    gss.spec.gameServerTemplate!.spec!.containers = [{ name: 'a', image: 'i' }, { name: 'a', image: 'i' }, { name: 'b' }];
    assert.deepEqual(fields(validateGameServerSet(gss)), [
      'spec.reserveGameServerIds[2]',
      'spec.reserveGameServerIds[3]',
      'spec.gameServerTemplate.spec.containers[1].name',
      'spec.gameServerTemplate.spec.containers[2].image',
    ]);
    gss.spec.reserveGameServerIds = [];
    gss.spec.replicas = 2 ** 31;
    gss.spec.gameServerTemplate!.spec!.containers = [{ name: 'Main', image: 'i' }, { name: 'b', image: '   ' }, { name: 'c', image: ' i' }];
    assert.deepEqual(validateGameServerSet(gss), [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: 2147483648: must be of type integer with format int32' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.gameServerTemplate.spec.containers[0].name',
        message:
          "Invalid value: \"Main\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      },
      { reason: 'FieldValueRequired', field: 'spec.gameServerTemplate.spec.containers[1].image', message: 'Required value' },
      { reason: 'FieldValueInvalid', field: 'spec.gameServerTemplate.spec.containers[2].image', message: 'Invalid value: " i": must not have leading or trailing whitespace' },
    ]);
    // No spec at all: defaulting leaves it to validation, which says what is missing.
    const bare = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', metadata: { name: 'x' } } as unknown as GameServerSetInput;
    assert.deepEqual(fields(validateGameServerSet(defaultGameServerSet(bare))), ['spec.replicas']);
    assert.deepEqual(reservedOrdinals({ spec: { reserveGameServerIds: [5, '1-3', '2', 'bad'] } }), [1, 2, 3, 5]);
    assert.deepEqual(parseOrdinals('2-4'), [2, 3, 4]);
    // A huge range is refused, never expanded.
    const wide = seedGss();
    wide.spec.reserveGameServerIds = ['0-2147483647'];
    assert.deepEqual(validateGameServerSet(wide), [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.reserveGameServerIds[0]',
        message: `Invalid value: "0-2147483647": the reserved ids may cover at most ${MAX_RESERVED_ORDINALS} ordinals`,
      },
    ]);
    assert.equal(parseOrdinals('0-2147483647'), undefined);
    assert.deepEqual(reservedOrdinals({ spec: { reserveGameServerIds: ['0-2147483647', 4] } }), [4]);
    assert.equal(parseOrdinals(-1), undefined);
  });
});

describe('GameServer', () => {
  it('defaults opsState None and priorities 0, as the API server does', () => {
    const gs = defaultGameServer({ apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServer', metadata: { name: 'minecraft-0' }, spec: {} });
    assert.deepEqual(gs.spec, { opsState: 'None', updatePriority: 0, deletionPriority: 0 });
    const noSpec: Obj = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServer', metadata: { name: 'x' } };
    assert.deepEqual(serverStored(GameServerResource, noSpec).spec, { opsState: 'None', updatePriority: 0, deletionPriority: 0 });
  });

  it('validates opsState and string priorities', () => {
    const gs: Obj = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServer', metadata: {}, spec: { opsState: 'Busy', updatePriority: '10', deletionPriority: 'high' } };
    assert.deepEqual(fields(validateGameServer(gs as GameServer)), ['spec.deletionPriority'], 'any opsState is kept (upstream has no enum)');
    assert.equal(priorityValue('10'), 10);
    assert.equal(priorityValue(undefined), 0);
  });
});

describe('GameDeployment', () => {
  it("defaults the seed's manifest as BCS does", () => {
    const gd = defaultGameDeployment(seedGd());
    assert.deepEqual(gd.spec.updateStrategy, { type: 'HotPatchUpdate', partition: 3, maxUnavailable: '25%', maxSurge: '25%', paused: false });
    assert.equal(gd.spec.revisionHistoryLimit, 10);
    assert.equal(gd.spec.minReadySeconds, 0);
    assert.equal(gd.spec.replicas, 8);
    const one = seedGd() as Obj;
    delete one.spec.replicas;
    delete one.spec.updateStrategy;
    const d = defaultGameDeployment(one as GameDeploymentInput);
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.updateStrategy, { type: 'RollingUpdate', partition: 0, maxUnavailable: '25%', maxSurge: '25%', paused: false });
  });

  it('defaults in process exactly as the API server does with the CRD', () => {
    assert.deepEqual(defaultGameDeployment(seedGd()), serverStored(GameDeploymentResource, seedGd()));
  });

  it('accepts the seed, and a partition above replicas', () => {
    assert.deepEqual(validateGameDeployment(defaultGameDeployment(seedGd())), []);
    const gd = seedGd();
    gd.spec.updateStrategy = { partition: 20 };
    assert.deepEqual(validateGameDeployment(gd), []);
  });

  it('refuses a selector that is empty, malformed or does not match the template', () => {
    const gd = seedGd();
    gd.spec.selector = { matchLabels: { app: 'other' } };
    assert.deepEqual(validateGameDeployment(gd), [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: {"app":"test-gamedeployment"}: `selector` does not match template `labels`',
      },
    ]);
    gd.spec.selector = {};
    assert.deepEqual(fields(validateGameDeployment(gd)), ['spec.selector']);
    gd.spec.selector = { matchExpressions: [{ key: 'app', operator: 'Near' }] };
    assert.deepEqual(fields(validateGameDeployment(gd)), ['spec.selector.matchExpressions[0].operator', 'spec.template.metadata.labels']);
    gd.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['test-gamedeployment'] }, { key: 'tier', operator: 'DoesNotExist' }] };
    assert.deepEqual(validateGameDeployment(gd), []);
  });

  it('refuses maxUnavailable and maxSurge both 0, bad percentages, and canary steps of two kinds', () => {
    const gd = seedGd();
    gd.spec.updateStrategy = { maxUnavailable: 0, maxSurge: '0%', canary: { steps: [{ partition: 3 }, { pause: {} }, { partition: 1, pause: { duration: 5 } }, { partition: 'x' }] } };
    assert.deepEqual(fields(validateGameDeployment(gd)), [
      'spec.updateStrategy.maxUnavailable',
      'spec.updateStrategy.canary.steps[2]',
      'spec.updateStrategy.canary.steps[3].partition',
    ]);
    gd.spec.updateStrategy = { maxUnavailable: '120%', type: 'Foo' as 'RollingUpdate' };
    assert.deepEqual(fields(validateGameDeployment(gd)), ['spec.updateStrategy.type', 'spec.updateStrategy.maxUnavailable']);
  });
});

describe('intstr', () => {
  it('scales percentages up or down', () => {
    assert.equal(scaledValue('20%', 8, true), 2);
    assert.equal(scaledValue('20%', 8, false), 1);
    assert.equal(scaledValue(3, 8, true), 3);
    assert.throws(() => scaledValue('abc', 8, true), /not a percentage/);
  });
});
