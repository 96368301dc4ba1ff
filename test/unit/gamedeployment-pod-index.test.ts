import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeIndexes, indexConfig, podIndex, withPodIndex } from '../../src/controller/gamedeployment/pod-index.js';

const ON = 'tkex.bkbcs.tencent.com/gamedeployment-index-on';
const RANGE = 'tkex.bkbcs.tencent.com/gamedeployment-index-range';

test('index-on and index-range as BCS checks them', () => {
  const cfg = (range: string | undefined, replicas = 2, on = 'true') => indexConfig('gd', { [ON]: on, ...(range === undefined ? {} : { [RANGE]: range }) }, replicas);
  assert.deepEqual(indexConfig('gd', undefined, 3), { on: false });
  assert.deepEqual(cfg('{"podStartIndex": 1, "podEndIndex": 4}', 2, 'True'), { on: false }, 'only "true" turns it on');
  assert.deepEqual(cfg('{"podStartIndex": 1, "podEndIndex": 4}'), { on: true, start: 1, end: 4 });
  assert.deepEqual(cfg('{"podEndIndex": 2}'), { on: true, start: 0, end: 2 }, 'a missing field is 0');
  const errors: [string | undefined, number, RegExp][] = [
    [undefined, 2, /get index-range failed/],
    ['1-2', 2, /is not JSON/],
    ['[1, 2]', 2, /must be an object/],
    ['{"podStartIndex": "1", "podEndIndex": 4}', 2, /podStartIndex "1" is not an integer/],
    ['{"podStartIndex": 3, "podEndIndex": 2}', 1, /invalid index range \[3, 2\)/],
    ['{"podStartIndex": 2, "podEndIndex": 2}', 0, /invalid index range/],
    ['{"podStartIndex": -1, "podEndIndex": 2}', 1, /invalid index range/],
    ['{"podStartIndex": 0, "podEndIndex": 2}', 3, /scale replicas 3 gt available indexs 2/],
  ];
  for (const [range, replicas, want] of errors) {
    const got = cfg(range, replicas);
    assert.ok('error' in got && want.test(got.error), `${range} (${replicas} replicas): ${JSON.stringify(got)}`);
  }
});

test('free indexes: lowest first, every pod counted (terminating too); the pod gets its annotation and POD_INDEX', () => {
  const pod = (index?: string) => ({ metadata: { annotations: index === undefined ? {} : { 'tkex.bkbcs.tencent.com/gamedeployment-index-id': index } } });
  assert.deepEqual(freeIndexes(0, 5, [pod('1'), pod('3'), pod(), pod('x'), pod('9')]), [0, 2, 4]);
  assert.equal(podIndex(pod('7')), 7);
  assert.equal(podIndex(pod('7a')), undefined);
  const p = withPodIndex({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'POD_INDEX', value: 'old' }, { name: 'X', value: '1' }] }, { name: 'b' }], initContainers: [{ name: 'i' }] } }, 4);
  assert.equal(p.metadata.annotations['tkex.bkbcs.tencent.com/gamedeployment-index-id'], '4');
  assert.deepEqual(p.spec.containers.map((c: any) => c.env), [[{ name: 'X', value: '1' }, { name: 'POD_INDEX', value: '4' }], [{ name: 'POD_INDEX', value: '4' }]]);
  assert.equal(p.spec.initContainers[0].env, undefined, 'not in init containers, as BCS');
});
