// A workload: one tile per server (colour: state; border: revision old, updating or new;
// underline: opsState), its rollout controls, and its Events as they arrive.

import { memo } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import type { ServerTile } from '../model.js';
import { Bar, Counts, Outcome, serverHref } from './parts.js';
import { act, fleet, type ActionOutcome } from './store.js';

export function SetPage({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  const key = `${kind}/${namespace}/${name}`;
  const s = fleet.sets.get(key);
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const [partition, setPartition] = useState('');
  if (!s) return <p class="dim">{fleet.connected ? `${kind} ${namespace}/${name} not found` : 'connecting…'}</p>;
  const tiles = fleet.tilesBySet.get(key) ?? [];
  // For the benchmark's breakdown of a first render: when the page first showed this many tiles.
  useEffect(() => void performance.mark(`hotpod:tiles-${tiles.length}`), [tiles.length]);
  const members = new Set(tiles.map((t) => t.name));
  const events = [...fleet.events.values()]
    .filter((e) => e.namespace === namespace && ((e.kind === kind && e.name === name) || members.has(e.name)))
    .sort((a, b) => b.last.localeCompare(a.last))
    .slice(0, 50);
  const run = async (action: string, value?: string) => setOutcome(await act({ action, kind, namespace, name, value }));
  return (
    <>
      <h2 data-testid="set-title">
        {kind} {namespace}/{name}
      </h2>
      <div class="controls">
        <span>
          {s.ready}/{s.replicas} ready, {s.updated} updated
        </span>
        <Bar fraction={s.rollout.fraction} />
        <span class="dim" data-testid="rollout-message">
          {s.rollout.message}
        </span>
      </div>
      <div class="controls">
        <button data-testid="pause" onClick={() => run('pause')} disabled={s.paused}>
          Pause
        </button>
        <button data-testid="resume" onClick={() => run('resume')} disabled={!s.paused}>
          {s.canary && s.canary.pauseReasons.length ? 'Continue' : 'Resume'}
        </button>
        <label>
          partition <input data-testid="partition-input" value={partition} placeholder={s.partition} onInput={(e) => setPartition((e.target as HTMLInputElement).value)} />
        </label>
        <button data-testid="partition-apply" onClick={() => run('partition', partition)}>
          Set partition
        </button>
        {s.canary && (
          <span data-testid="canary-step">
            canary step {Math.min(s.canary.step + 1, s.canary.steps)}/{s.canary.steps} {s.canary.pauseReasons.map((r) => <span class="chip warn">{r}</span>)}
          </span>
        )}
      </div>
      <Outcome outcome={outcome} />
      {s.conditions.map((c) => (
        <div class="notice error" data-testid="condition">
          {c.type}: {c.message || c.reason}
        </div>
      ))}
      <div class="legend">
        <Counts counts={s.states} /> <Counts counts={s.opsStates} /> — border: dashed old revision, white updating, none new; underline: opsState
      </div>
      <div class="tiles" data-testid="tiles">
        {tiles.map((t) => (
          <Tile key={t.key} t={t} />
        ))}
      </div>
      <h2>Events</h2>
      <table class="events" data-testid="events">
        <tbody>
          {events.map((e) => (
            <tr key={e.key} class={e.type} data-testid="event" data-reason={e.reason}>
              <td>{e.last.replace('T', ' ').replace('Z', '')}</td>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>
                {e.kind}/{e.name}
              </td>
              <td>
                {e.message}
                {e.count > 1 ? ` (x${e.count})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A name too long for its tile loses the set's name (the page's title): what is left tells servers apart. */
function shortName(t: ServerTile): string {
  const setName = t.set.slice(t.set.lastIndexOf('/') + 1);
  return t.name.length > 9 && t.name.startsWith(`${setName}-`) ? `…${t.name.slice(setName.length)}` : t.name;
}

/** One server; re-rendered only when its record changed (the store replaces changed records). */
const Tile = memo(function Tile({ t }: { t: ServerTile }) {
  return (
    <a
      href={serverHref(t.namespace, t.name)}
      class={`tile s-${t.state} r-${t.revision} o-${t.opsState}`}
      data-testid="tile"
      data-name={t.name}
      data-state={t.state}
      data-opsstate={t.opsState}
      data-revision={t.revision}
      title={`${t.name}: ${t.state}, opsState ${t.opsState}, revision ${t.revision}${t.held ? `, held: ${t.held}` : ''}, ${t.restarts} restarts`}
    >
      <div class="n">{shortName(t)}</div>
      <div>{t.opsState === 'None' ? t.state : t.opsState}</div>
    </a>
  );
});
