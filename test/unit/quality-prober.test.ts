import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QualityProber, parseQualityProbes, type ProbeTarget } from '../../src/util/quality-prober.js';

test('a service-quality probe: thresholds before the status flips, output changes reported, the same answer reported once', async () => {
  // exit codes in order (then 0 forever), and what each run prints
  const answers = [0, 1, 1, 0, 0];
  let runs = 0;
  const target: ProbeTarget = {
    exec: async (command) => {
      assert.deepEqual(command, ['/idle.sh']);
      const exitCode = answers[runs] ?? 0;
      runs++;
      return { exitCode, stdout: exitCode === 0 ? 'idle\n' : 'busy\n' };
    },
    check: async () => false,
  };
  const seen: string[] = [];
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const prober = new QualityProber('k', [{ name: 'idle', exec: { command: ['/idle.sh'] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }], () => target, () => {
    const r = prober.results.get('idle')!;
    seen.push(`${r.status} ${r.message.trim()}`);
    if (seen.length === 4) done();
  });
  // The prober's timers never hold a process open on their own: the test does.
  const open = setInterval(() => {}, 1000);
  prober.start();
  await finished;
  prober.stop();
  clearInterval(open);
  // 0: True (the first answer as it is); 1: output busy, still True (1 failure < 2); 1: False;
  // 0: output idle, still False (1 pass < 2); 0: True.
  assert.deepEqual(seen, ['True idle', 'True busy', 'False busy', 'False idle']);
  assert.ok(runs >= 4);
});

test('the probes of a pod annotation; unreadable ones are none', () => {
  assert.deepEqual(parseQualityProbes(undefined), { key: '', probes: [] });
  assert.deepEqual(parseQualityProbes({ 'hotpod.dev/service-quality-probes': 'not json' }).probes, []);
  const raw = JSON.stringify([{ name: 'idle', exec: { command: ['x'] } }, { nope: 1 }]);
  assert.deepEqual(parseQualityProbes({ 'hotpod.dev/service-quality-probes': raw }), { key: raw, probes: [{ name: 'idle', exec: { command: ['x'] } }] });
});
