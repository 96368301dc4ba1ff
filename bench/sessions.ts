// `npm run bench:sessions`: the arena example (examples/arena) with players connected while its
// scripts roll from v1 to v2, under each update policy side by side in one run. For each policy:
// BENCH_SERVERS game servers (default 20, real processes: engine + scripts sidecar), BENCH_PLAYERS
// simulated players (default 200) spread over them, each on one TCP connection, moving twice a
// second and reading 20 ticks a second; then the scripts sidecar's image changes to v2 and the
// table shows:
//   - rollout time, from the patch to the workload's status showing every server updated and ready;
//   - sessions dropped (connections the server closed; dropped players do not come back);
//   - p99 and max of the gap between two ticks a player receives during the rollout (nominal 50 ms);
//   - containers restarted: containers running afterwards that did not run before (a recreated
//     pod counts both of its containers);
//   - sessions on v2: connected sessions whose moves score by the v2 rules afterwards.
// The row "GameServerSet ReCreate + Allocated wait" (hotpod.dev/allocated-update: Wait) puts every
// player on half the servers, marked Allocated: its rollout time is until the empty half is
// recreated, no session may drop, and "+N s once released" is from the matches' end (players
// leave, opsState None) until the Allocated half is updated too.
// Knobs (environment): BENCH_SERVERS, BENCH_PLAYERS, BENCH_SESSIONS_MAX_UNAVAILABLE (default
// 25%), BENCH_SESSIONS_POLICIES (comma-separated labels or policy names, default all),
// BENCH_VERBOSE=1.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import { buildArenaImages, measureSessions, POLICIES, type SessionsResult } from './arena.js';
import { envInt, spawnHotpodUp } from './common.js';

const SERVERS = envInt('BENCH_SERVERS', 20);
const PLAYERS = envInt('BENCH_PLAYERS', 200);
const MAX_UNAVAILABLE = process.env.BENCH_SESSIONS_MAX_UNAVAILABLE || '25%';
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const NS = 'bench-sessions';
const WAIT_MS = 10 * 60_000;

function selectedPolicies(): typeof POLICIES {
  const wanted = (process.env.BENCH_SESSIONS_POLICIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return POLICIES;
  const chosen = POLICIES.filter((p) => wanted.some((w) => w === p.label || w === p.policy));
  if (!wanted.every((w) => POLICIES.some((p) => w === p.label || w === p.policy))) throw new Error(`BENCH_SESSIONS_POLICIES: known are ${POLICIES.map((p) => `"${p.label}"`).join(', ')}`);
  return chosen;
}

function progress(msg: string): void {
  if (VERBOSE) process.stderr.write(`[bench-sessions] ${msg}\n`);
}

function table(results: SessionsResult[]): string {
  const rows = [
    ['policy', 'rollout time', 'sessions dropped', 'p99 tick gap', 'max tick gap', 'containers restarted', 'sessions on v2'],
    ...results.map((r) => [
      r.policy.label,
      `${r.rolloutSeconds.toFixed(1)} s${r.afterReleaseSeconds !== undefined ? ` (+${r.afterReleaseSeconds.toFixed(1)} s once released)` : ''}`,
      `${r.dropped} / ${r.players}`,
      `${r.p99TickGapMs.toFixed(0)} ms`,
      `${r.maxTickGapMs.toFixed(0)} ms`,
      `${r.containersRestarted} / ${r.containers}`,
      `${r.onV2} / ${r.players}${r.heldOnV1 !== undefined ? ` (${r.heldOnV1} kept on v1 while Allocated, ${r.toldPending} told an update is pending)` : ''}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const policies = selectedPolicies();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'hotpod-bench-sessions-'));
  buildArenaImages(dataDir);
  // The flags say what the bench needs; environment settings of a user's shell must not override them.
  const { HOTPOD_NODES: _n, HOTPOD_MAX_PODS: _m, HOTPOD_NO_HOT_PATCH: _h, HOTPOD_NO_CONTROLLER: _c, ...env } = process.env;
  const cluster = await spawnHotpodUp(['--data-dir', dataDir, '--port', '0', '--in-memory', '--nodes', '3', '--log-level', 'warn'], { env });
  const objects = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  try {
    await objects.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const results: SessionsResult[] = [];
    for (const policy of policies) {
      results.push(await measureSessions({ objects, policy, namespace: NS, servers: SERVERS, players: PLAYERS, maxUnavailable: MAX_UNAVAILABLE, waitMs: WAIT_MS, progress }));
    }
    process.stdout.write(
      `Arena scripts rollout v1 -> v2: ${SERVERS} game servers (engine + scripts sidecar, real processes), ${PLAYERS} players, ` +
        `ticks at 20 Hz (nominal gap 50 ms), maxUnavailable ${MAX_UNAVAILABLE}, 3 nodes\n${table(results)}\n`,
    );
    for (const r of results) {
      const keeps = r.policy.policy !== 'ReCreate' && r.policy.policy !== 'RollingUpdate';
      if (keeps && (r.dropped !== 0 || r.onV2 !== r.players)) throw new Error(`${r.policy.label} dropped ${r.dropped} sessions and left ${r.players - r.onV2} off v2: it must drop none`);
      if (r.policy.allocated && (r.dropped !== 0 || r.heldOnV1 !== r.players || r.toldPending !== r.players)) {
        throw new Error(`${r.policy.label}: ${r.dropped} sessions of Allocated servers dropped (must be none), ${r.toldPending} of ${r.players} told an update is pending (must be all)`);
      }
    }
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-sessions: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
