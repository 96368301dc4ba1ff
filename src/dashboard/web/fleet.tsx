// The fleet: every GameServerSet and GameDeployment, with its servers by state and opsState,
// rollout progress, canary step and pauses, and the servers gates hold.

import { Bar, Counts, setHref } from './parts.js';
import { fleet } from './store.js';

export function FleetPage() {
  const sets = [...fleet.sets.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return (
    <>
      <h2>Fleet</h2>
      <table data-testid="fleet">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Namespace</th>
            <th>Name</th>
            <th>Desired</th>
            <th>Ready</th>
            <th>Updated</th>
            <th>Rollout</th>
            <th>States</th>
            <th>OpsStates</th>
            <th>Canary</th>
            <th>Held</th>
          </tr>
        </thead>
        <tbody>
          {sets.map((s) => (
            <tr data-testid="fleet-row" data-key={s.key} key={s.key}>
              <td>{s.kind}</td>
              <td>{s.namespace}</td>
              <td>
                <a href={setHref(s.kind, s.namespace, s.name)} data-testid="set-link">
                  {s.name}
                </a>
              </td>
              <td data-testid="desired">{s.replicas}</td>
              <td data-testid="ready">{s.ready}</td>
              <td data-testid="updated">{s.updated}</td>
              <td data-testid="rollout">
                <Bar fraction={s.rollout.fraction} />
                <span class="dim">{s.rollout.done ? 'done' : s.paused ? 'paused' : `${Math.floor(s.rollout.fraction * 100)}%`}</span>
              </td>
              <td>
                <Counts counts={s.states} testid="states" />
              </td>
              <td>
                <Counts counts={s.opsStates} testid="opsstates" />
              </td>
              <td data-testid="canary">
                {s.canary ? `step ${Math.min(s.canary.step + 1, s.canary.steps)}/${s.canary.steps}` : ''}
                {s.canary?.pauseReasons.map((r) => <span class="chip warn">{r}</span>)}
              </td>
              <td data-testid="held">{s.held ? <span class="chip held">{s.held}</span> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sets.length === 0 && <p class="dim">No GameServerSets or GameDeployments{fleet.connected ? '' : ' yet: connecting'}.</p>}
    </>
  );
}
