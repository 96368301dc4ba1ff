import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGoTemplate } from '../../src/util/go-template.js';
import { qualityProbesAnnotation, syncServiceQualities, type ServiceQuality } from '../../src/controller/gameserverset/service-quality.js';

const r = (t: string, result: string) => renderGoTemplate(t, { Result: result });

test('Go templates as kruise-game renders them: .Result, if/else if/else, comparisons, trimming; broken ones give their text back', () => {
  assert.equal(r('{{.Result}}', '42'), '42');
  assert.equal(r('p-{{ .Result }}', '7'), 'p-7');
  assert.equal(r('{{if eq .Result "0"}}WaitToBeDeleted{{else}}None{{end}}', '0'), 'WaitToBeDeleted');
  assert.equal(r('{{if eq .Result "0"}}WaitToBeDeleted{{else}}None{{end}}', '3'), 'None');
  const tiers = '{{if lt .Result "10"}}low{{else if lt .Result "100"}}mid{{else}}high{{end}}';
  assert.deepEqual(['9', '10', '99', '150'].map((x) => r(tiers, x)), ['low', 'mid', 'mid', 'high'], 'lt compares numbers when both are numbers');
  assert.equal(r('{{if and (ge .Result "1") (le .Result "3")}}few{{end}}', '2'), 'few');
  assert.equal(r('{{if not (eq .Result "")}}set{{end}}', ''), '');
  assert.equal(r('{{if or (eq .Result "a") (eq .Result "b")}}ab{{end}}', 'b'), 'ab');
  assert.equal(r('  {{- .Result -}}  ', 'x'), 'x');
  assert.equal(r('plain', 'x'), 'plain');
  for (const broken of ['{{.Result', '{{if eq .Result "0"}}x', '{{.Nope}}', '{{nofunc .Result}}', '{{range .Result}}x{{end}}']) assert.equal(r(broken, '0'), broken, broken);
});

const idle: ServiceQuality = {
  name: 'idle',
  containerName: 'game',
  permanent: false,
  serviceQualityAction: [
    { state: true, result: 'idle', opsState: 'WaitToBeDeleted' },
    { state: true, result: 'busy', opsState: 'None' },
    { state: false, opsState: 'Maintaining', labels: { 'game/probe': 'broken-{{.Result}}' } },
  ],
};
const T0 = '2026-12-03T07:00:00Z';
const T1 = '2026-12-03T07:01:00Z';
const cond = (status: string, message: string, at = T0) => ({ type: 'game.kruise.io/idle', status, message, lastProbeTime: at });

test('a changed result runs the actions that match its state and result; the same result runs nothing', () => {
  const first = syncServiceQualities([idle], [cond('True', 'idle\n')], [], T1);
  assert.deepEqual(first.spec, { opsState: 'WaitToBeDeleted' });
  assert.deepEqual(first.conditions, [{ name: 'idle', status: 'True', result: 'idle', lastProbeTime: T0, lastActionTransitionTime: T1, lastTransitionTime: T1 }]);

  const again = syncServiceQualities([idle], [cond('True', 'idle\n')], first.conditions, '2026-12-03T07:05:00Z');
  assert.deepEqual(again.spec, {}, 'nothing to do');
  assert.deepEqual(again.conditions, first.conditions, 'the status is the same: no write');

  const busy = syncServiceQualities([idle], [cond('True', 'busy', T1)], first.conditions, '2026-12-03T07:02:00Z');
  assert.deepEqual(busy.spec, { opsState: 'None' });
  const failing = syncServiceQualities([idle], [cond('False', 'exit 1', T1)], first.conditions, '2026-12-03T07:02:00Z');
  assert.deepEqual([failing.spec, failing.labels], [{ opsState: 'Maintaining' }, { 'game/probe': 'broken-exit 1' }]);
  const unmatched = syncServiceQualities([idle], [cond('True', 'loading', T1)], first.conditions, '2026-12-03T07:02:00Z');
  assert.deepEqual(unmatched.spec, {});
  assert.equal(unmatched.conditions[0]!.lastActionTransitionTime, undefined, 'no action ran');
  // No probe result yet: the condition has the name only.
  assert.deepEqual(syncServiceQualities([idle], [], [], T1).conditions, [{ name: 'idle' }]);
});

test('permanent: the actions run once whatever comes after', () => {
  const once = { ...idle, permanent: true };
  const first = syncServiceQualities([once], [cond('True', 'idle')], [], T1);
  assert.deepEqual(first.spec, { opsState: 'WaitToBeDeleted' });
  const later = syncServiceQualities([once], [cond('True', 'busy', T1)], first.conditions, '2026-12-03T07:02:00Z');
  assert.deepEqual(later.spec, {});
  assert.equal(later.conditions[0]!.result, 'busy', 'the result is still recorded');
  assert.equal(later.conditions[0]!.lastActionTransitionTime, T1);
});

test('templated values: opsState and labels render; priorities must render to integers, else a Warning', () => {
  const templ: ServiceQuality = {
    name: 'load',
    permanent: false,
    serviceQualityAction: [{ state: true, updatePriority: '{{.Result}}', deletionPriority: '{{if eq .Result "0"}}100{{else}}x{{end}}', opsState: '{{if eq .Result "0"}}WaitToBeDeleted{{else}}None{{end}}', annotations: { players: '{{.Result}}' } }],
  };
  const zero = syncServiceQualities([templ], [{ type: 'game.kruise.io/load', status: 'True', message: '0' }], [], T1);
  assert.deepEqual(zero.spec, { updatePriority: 0, deletionPriority: 100, opsState: 'WaitToBeDeleted' });
  assert.deepEqual(zero.annotations, { players: '0' });
  const five = syncServiceQualities([templ], [{ type: 'game.kruise.io/load', status: 'True', message: '5' }], [], T1);
  assert.deepEqual(five.spec, { updatePriority: 5, opsState: 'None' });
  assert.equal(five.warnings.length, 1);
  assert.match(five.warnings[0]!.message, /Failed to parse DeletionPriority template .* priority value must be numeric, got: x/);
});

test('the probes the node runs, from the qualities', () => {
  assert.equal(qualityProbesAnnotation([]), '');
  const q = { ...idle, exec: { command: ['cat', '/tmp/idle'] }, periodSeconds: 5 } as ServiceQuality;
  assert.deepEqual(JSON.parse(qualityProbesAnnotation([q])), [{ name: 'idle', containerName: 'game', exec: { command: ['cat', '/tmp/idle'] }, periodSeconds: 5 }]);
});
