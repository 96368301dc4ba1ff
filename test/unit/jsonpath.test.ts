import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalJsonPath } from '../../src/util/jsonpath.js';

const obj = {
  metadata: {
    name: 'gs-0',
    labels: { app: 'minecraft', 'app.kubernetes.io/name': 'mc' },
    annotations: { 'a.b/c': 'annotated' },
  },
  spec: { replicas: 3, paused: false, ports: [{ port: 80 }, { port: 443 }] },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', count: 2 },
      { type: 'Synced', status: 'False', count: 5 },
    ],
  },
};

test('dotted field paths', () => {
  assert.deepEqual(evalJsonPath(obj, '.spec.replicas'), [3]);
  assert.deepEqual(evalJsonPath(obj, '.metadata.labels.app'), ['minecraft']);
  assert.deepEqual(evalJsonPath(obj, '.spec.paused'), [false]);
});

test('surrounding braces and a leading $ are accepted', () => {
  assert.deepEqual(evalJsonPath(obj, '{.spec.replicas}'), [3]);
  assert.deepEqual(evalJsonPath(obj, '{$.metadata.name}'), ['gs-0']);
});

test('array indexes, including negative ones', () => {
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[0].type'), ['Ready']);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[1].status'), ['False']);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[-1].type'), ['Synced']);
});

test('keys containing dots: quoted brackets and backslash escapes', () => {
  assert.deepEqual(evalJsonPath(obj, ".metadata.annotations['a.b/c']"), ['annotated']);
  assert.deepEqual(evalJsonPath(obj, '.metadata.annotations["a.b/c"]'), ['annotated']);
  assert.deepEqual(evalJsonPath(obj, '.metadata.labels.app\\.kubernetes\\.io/name'), ['mc']);
  assert.deepEqual(evalJsonPath(obj, '.metadata.annotations.a\\.b/c'), ['annotated']);
});

test('filters select array elements', () => {
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(evalJsonPath(obj, ".status.conditions[?(@.type == 'Synced')].status"), ['False']);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[?(@.status!="True")].type'), ['Synced']);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[?(@.count>3)].type'), ['Synced']);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[?(@.type=="Missing")].status'), []);
});

test('wildcards, slices and recursive descent', () => {
  assert.deepEqual(evalJsonPath(obj, '.spec.ports[*].port'), [80, 443]);
  assert.deepEqual(evalJsonPath(obj, '.spec.ports[0:1].port'), [80]);
  assert.deepEqual(evalJsonPath(obj, '..port'), [80, 443]);
});

test('missing keys and out-of-range indexes yield no result', () => {
  assert.deepEqual(evalJsonPath(obj, '.status.currentState'), []);
  assert.deepEqual(evalJsonPath(obj, '.nothing.at.all'), []);
  assert.deepEqual(evalJsonPath(obj, '.status.conditions[7].type'), []);
  assert.deepEqual(evalJsonPath({}, '.status.conditions[0].type'), []);
  // A field step never reaches into arrays: it needs [*].
  assert.deepEqual(evalJsonPath(obj, '.spec.ports.port'), []);
});

test('objects and null values are returned as they are', () => {
  assert.deepEqual(evalJsonPath(obj, '.spec.ports[1]'), [{ port: 443 }]);
  assert.deepEqual(evalJsonPath({ a: null }, '.a'), [null]);
});

test('malformed paths throw', () => {
  assert.throws(() => evalJsonPath(obj, '.status.conditions[0'));
  assert.throws(() => evalJsonPath(obj, '.status.conditions[?(@.type=="x"]'));
});
