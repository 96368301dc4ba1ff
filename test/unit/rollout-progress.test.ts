// The progress of a rollout as `hotpod rollout status` and `hotpod get` report it, from a
// GameServerSet's or GameDeployment's spec and status alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, rolloutProgress, type Workload } from '../../src/cli/rollout-progress.js';
import { parseDuration, progressPrinter } from '../../src/cli/rollout.js';
import { workloadTable } from '../../src/cli/get.js';
import { RESOURCES } from '../../src/api/crds.js';
import { resolveType, WORKLOAD_TYPES, errorLine } from '../../src/cli/workloads.js';

function gss(replicas: number, status: Workload, rollingUpdate: Workload = {}): Workload {
  return {
    metadata: { name: 'arena', namespace: 'games', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas, updateStrategy: { rollingUpdate } },
    status: { observedGeneration: 2, ...status },
  };
}

function gd(replicas: number, status: Workload, updateStrategy: Workload = {}): Workload {
  return {
    metadata: { name: 'lobby', namespace: 'games', generation: 5, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas, updateStrategy: { type: 'InplaceUpdate', ...updateStrategy } },
    status: { observedGeneration: 5, ...status },
  };
}

describe('rolloutProgress', () => {
  it('waits for the controller to observe the spec first', () => {
    const p = rolloutProgress('gameserverset', { ...gss(3, {}), status: { observedGeneration: 1 } });
    assert.equal(p.done, false);
    assert.equal(p.message, 'Waiting for gameserverset spec update to be observed...');
    assert.equal(rolloutProgress('gamedeployment', { ...gd(3, {}), status: undefined }).message, 'Waiting for gamedeployment spec update to be observed...');
  });

  it('reports updated, then ready, then done', () => {
    const steps: [Workload, string][] = [
      [{ replicas: 3, updatedReplicas: 1, updatedReadyReplicas: 0, readyReplicas: 2 }, 'Waiting for rollout to finish: 1 out of 3 new replicas have been updated...'],
      [{ replicas: 3, updatedReplicas: 3, updatedReadyReplicas: 2, readyReplicas: 2 }, 'Waiting for rollout to finish: 2 of 3 updated replicas are ready...'],
      [{ replicas: 3, updatedReplicas: 3, updatedReadyReplicas: 3, readyReplicas: 3 }, 'gameserverset "arena" successfully rolled out'],
    ];
    for (const [status, message] of steps) assert.equal(rolloutProgress('gameserverset', gss(3, status)).message, message);
    assert.equal(rolloutProgress('gameserverset', gss(3, steps[1]![0])).fraction, 2 / 3);
    assert.equal(rolloutProgress('gameserverset', gss(3, steps[2]![0])).done, true);
  });

  it('waits for old replicas beyond spec.replicas to go (a scale-down during the rollout)', () => {
    const p = rolloutProgress('gamedeployment', gd(2, { replicas: 4, updatedReplicas: 2, updatedReadyReplicas: 2, readyReplicas: 4 }));
    assert.equal(p.message, 'Waiting for rollout to finish: 2 old replicas are pending termination...');
  });

  it('with a partition: done once replicas - partition are updated and ready', () => {
    const waiting = rolloutProgress('gamedeployment', gd(8, { replicas: 8, updatedReplicas: 5, updatedReadyReplicas: 4, readyReplicas: 7 }, { partition: 3 }));
    assert.deepEqual([waiting.done, waiting.target, waiting.message], [false, 5, 'Waiting for rollout to finish: 4 of 5 updated replicas are ready...']);
    const done = rolloutProgress('gamedeployment', gd(8, { replicas: 8, updatedReplicas: 5, updatedReadyReplicas: 5, readyReplicas: 8 }, { partition: 3 }));
    assert.deepEqual([done.done, done.fraction, done.message], [true, 1, 'partitioned roll out complete: 5 new pods have been updated...']);
    // A percentage partition rounds up, as the controllers read it.
    assert.equal(rolloutProgress('gamedeployment', gd(8, {}, { partition: '30%' })).target, 5);
    assert.equal(rolloutProgress('gameserverset', gss(4, {}, { partition: 9 })).target, 0);
  });

  it('says when the rollout is paused', () => {
    const p = rolloutProgress('gameserverset', gss(4, { replicas: 4, updatedReplicas: 1, updatedReadyReplicas: 1, readyReplicas: 4 }, { paused: true }));
    assert.deepEqual([p.paused, p.message], [true, 'Waiting for rollout to finish: 1 out of 4 new replicas have been updated (paused)...']);
  });
});

describe('progressBar', () => {
  it('fills ten cells, rounded down, with the percentage', () => {
    assert.equal(progressBar(0), '[----------] 0%');
    assert.equal(progressBar(0.5), '[#####-----] 50%');
    assert.equal(progressBar(2 / 3), '[######----] 66%');
    assert.equal(progressBar(0.999), '[#########-] 99%');
    assert.equal(progressBar(1), '[##########] 100%');
    assert.equal(progressBar(Number.NaN), '[----------] 0%');
  });
});

describe('progressPrinter', () => {
  const waiting = rolloutProgress('gameserverset', gss(2, { replicas: 2, updatedReplicas: 2, updatedReadyReplicas: 1, readyReplicas: 1 }));
  const done = rolloutProgress('gameserverset', gss(2, { replicas: 2, updatedReplicas: 2, updatedReadyReplicas: 2, readyReplicas: 2 }));

  it('prints a line per change when stdout is not a terminal', () => {
    let out = '';
    const p = progressPrinter({ tty: false, write: (t) => (out += t) });
    p.show(waiting);
    p.show(waiting);
    p.show(done);
    p.end();
    assert.equal(out, 'Waiting for rollout to finish: 1 of 2 updated replicas are ready...\ngameserverset "arena" successfully rolled out\n');
  });

  it('redraws one line with a bar on a terminal', () => {
    let out = '';
    const p = progressPrinter({ tty: true, write: (t) => (out += t) });
    p.show(waiting);
    p.show(done);
    assert.equal(out, '\r\x1b[2K[#####-----] 50% Waiting for rollout to finish: 1 of 2 updated replicas are ready...\r\x1b[2Kgameserverset "arena" successfully rolled out\n');
  });
});

describe('hotpod get and rollout status helpers', () => {
  it('resolve resource types as kubectl names them', () => {
    for (const n of ['gss', 'GameServerSet', 'gameserversets', 'gameserversets.game.kruise.io']) assert.equal(resolveType(n).kind, 'GameServerSet');
    assert.equal(resolveType('gs').kind, 'GameServer');
    assert.equal(resolveType('gd').kind, 'GameDeployment');
    assert.throws(() => resolveType('deploy'), /the server doesn't have a resource type "deploy"/);
  });

  it('parse --timeout durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('7'), 7_000);
    assert.throws(() => parseDuration('5 minutes'), /duration/);
  });

  it('word API errors as kubectl does', () => {
    const err = Object.assign(new Error('x'), { code: 404, body: { reason: 'NotFound', message: 'gameserversets.game.kruise.io "x" not found' } });
    assert.equal(errorLine(err), 'Error from server (NotFound): gameserversets.game.kruise.io "x" not found');
    assert.equal(errorLine(new Error('connect ECONNREFUSED')), 'error: connect ECONNREFUSED');
  });

  it('lay out a table per kind with ROLLOUT and AGE', () => {
    const type = WORKLOAD_TYPES.find((t) => t.kind === 'GameServerSet')!;
    const now = Date.parse('2026-01-01T00:05:00Z');
    const t = workloadTable(type, [gss(4, { replicas: 4, updatedReplicas: 2, updatedReadyReplicas: 2, readyReplicas: 4, maintainingReplicas: 1 })], { now, withNamespace: true, withKind: true });
    assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'DESIRED', 'CURRENT', 'UPDATED', 'READY', 'MAINTAINING', 'WAITTOBEDELETED', 'PREDELETE', 'ROLLOUT', 'AGE']);
    assert.deepEqual(t.rows, [['games', 'gameserverset.game.kruise.io/arena', '4', '4', '2', '4', '1', '0', '0', '[#####-----] 50%', '5m']]);
  });

  it('print the columns kubectl prints (the CRD printer columns, upper-cased), then ROLLOUT for the workloads', () => {
    for (const type of WORKLOAD_TYPES) {
      const crd = RESOURCES.find((r) => r.kind === type.kind)!;
      const kubectlColumns = crd.printerColumns!.map((c) => c.name.toUpperCase()).filter((n) => n !== 'AGE');
      const rollout = type.kind === 'GameServer' ? [] : ['ROLLOUT'];
      const t = workloadTable(type, [], { now: 0 });
      assert.deepEqual(t.headers, ['NAME', ...kubectlColumns, ...rollout, 'AGE'], type.kind);
    }
  });
});
