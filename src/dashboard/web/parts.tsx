// Small pieces the views share.

import type { ActionOutcome } from './store.js';

export function Bar({ fraction }: { fraction: number }) {
  return (
    <span class="bar">
      <span style={{ width: `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%` }} />
    </span>
  );
}

export function Counts({ counts, testid }: { counts: Record<string, number>; testid?: string }) {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return (
    <span data-testid={testid}>
      {entries.map(([k, n]) => (
        <span class={`chip ${k === 'Crash' || k === 'NotReady' ? 'warn' : k.startsWith('Pre') ? 'held' : ''}`} data-state={k}>
          {k} {n}
        </span>
      ))}
    </span>
  );
}

/** The outcome of the last action: the API server's status and message when it refused. */
export function Outcome({ outcome }: { outcome?: ActionOutcome }) {
  if (!outcome) return null;
  return (
    <div class={`notice ${outcome.ok ? 'ok' : 'error'}`} data-testid="outcome" data-status={outcome.status}>
      {outcome.ok ? outcome.message : `${outcome.status}${outcome.reason ? ` ${outcome.reason}` : ''}: ${outcome.message}`}
    </div>
  );
}

export const setHref = (kind: string, namespace: string, name: string) => `#/set/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
export const serverHref = (namespace: string, name: string) => `#/server/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
