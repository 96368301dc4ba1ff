import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentRevision } from '../../src/controller/gamedeployment/current-revision.js';

test('currentRevision: the update revision when nothing is old; the one reported while pods run it; else the oldest in use', () => {
  const order = ['gd-1', 'gd-2', 'gd-3'];
  const table: [string | undefined, (string | undefined)[], string][] = [
    [undefined, ['gd-3', 'gd-3'], 'gd-3'],
    [undefined, [], 'gd-3'],
    [undefined, ['gd-3', 'gd-2', 'gd-1', 'gd-2'], 'gd-1'],
    ['gd-2', ['gd-3', 'gd-2', 'gd-1'], 'gd-2'],
    ['gd-1', ['gd-3', 'gd-2'], 'gd-2'],
    ['gd-1', ['gd-3', undefined], 'gd-3'],
    [undefined, ['gd-3', 'gd-x'], 'gd-x'],
  ];
  for (const [previous, podRevisions, want] of table) {
    assert.equal(currentRevision({ updateRevision: 'gd-3', previous, podRevisions, order }), want, `${previous} ${JSON.stringify(podRevisions)}`);
  }
});
