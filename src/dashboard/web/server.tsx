// A server: containers, images, restarts, network addresses, service-quality results, and its
// opsState and priorities, changed through the API with the dashboard user's rights.

import { useEffect, useState } from 'preact/hooks';
import { Outcome, setHref } from './parts.js';
import { act, fleet, type ActionOutcome } from './store.js';

interface Detail {
  tile: { set: string; state: string; opsState: string; revision: string } | null;
  pod: { node: string; podIP: string; phase: string; revision: string; containers: { name: string; image: string; running: string; ready: boolean; restartCount: number; state: string; reason: string }[] } | null;
  gameServer: {
    opsState: string;
    updatePriority: string;
    deletionPriority: string;
    currentState: string;
    networkStatus: Record<string, unknown> | null;
    serviceQualities: { name: string; status: string; result: string }[];
    conditions: { type: string; status: string; reason: string; message: string }[];
  } | null;
}

const OPS_STATES = ['None', 'Allocated', 'WaitToBeDeleted', 'Maintaining', 'Kill'];

export function ServerPage({ namespace, name }: { namespace: string; name: string }) {
  const tile = fleet.tiles.get(`${namespace}/${name}`);
  const [detail, setDetail] = useState<Detail>();
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const [priorities, setPriorities] = useState({ updatePriority: '', deletionPriority: '' });
  // The tile changes whenever the pod or GameServer does (pushed by the stream): read the details again then.
  const stamp = JSON.stringify(tile ?? null);
  useEffect(() => {
    let live = true;
    fetch(`/api/servers/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`)
      .then((r) => r.json() as Promise<Detail>)
      .then((d) => live && setDetail(d));
    return () => {
      live = false;
    };
  }, [namespace, name, stamp]);
  if (!detail) return <p class="dim">loading…</p>;
  const gs = detail.gameServer;
  const kind = gs ? 'GameServer' : 'Pod';
  const run = async (action: string, value: string) => setOutcome(await act({ action, kind, namespace, name, value }));
  const [setKind, setNs, setName] = (tile?.set ?? '').split('/');
  const opsState = gs?.opsState ?? tile?.opsState ?? 'None';
  const addresses = (gs?.networkStatus as { externalAddresses?: { ip: string; ports?: { port: number; name?: string; protocol?: string }[] }[]; internalAddresses?: { ip: string; ports?: { port: number; name?: string; protocol?: string }[] }[]; currentNetworkState?: string } | null) ?? null;
  return (
    <>
      <h2 data-testid="server-title">
        {namespace}/{name}
      </h2>
      {tile && setKind && (
        <p>
          of <a href={setHref(setKind, setNs!, setName!)}>{`${setKind} ${setName}`}</a>
        </p>
      )}
      <dl class="kv">
        <dt>State</dt>
        <dd data-testid="server-state">{gs?.currentState || tile?.state || detail.pod?.phase}</dd>
        <dt>opsState</dt>
        <dd data-testid="server-opsstate">{opsState}</dd>
        <dt>Revision</dt>
        <dd>
          {detail.pod?.revision} ({tile?.revision})
        </dd>
        <dt>Node / pod IP</dt>
        <dd>
          {detail.pod?.node} / {detail.pod?.podIP}
        </dd>
        {gs && (
          <>
            <dt>Priorities</dt>
            <dd data-testid="server-priorities">
              update {gs.updatePriority}, deletion {gs.deletionPriority}
            </dd>
          </>
        )}
        <dt>Network</dt>
        <dd data-testid="server-network">
          {addresses
            ? [...(addresses.externalAddresses ?? []), ...(addresses.internalAddresses ?? [])].map((a) => (a.ports ?? []).map((p) => <span class="chip">{`${a.ip}:${p.port}${p.protocol ? `/${p.protocol}` : ''}`}</span>))
            : <span class="dim">no network status</span>}
          {addresses?.currentNetworkState && <span class="chip">{addresses.currentNetworkState}</span>}
        </dd>
      </dl>
      <h2>opsState</h2>
      <div class="controls">
        {OPS_STATES.map((s) => (
          <button class={s === opsState ? 'on' : ''} data-testid={`opsstate-${s}`} onClick={() => run('opsState', s)}>
            {s}
          </button>
        ))}
      </div>
      {gs && (
        <div class="controls">
          {(['updatePriority', 'deletionPriority'] as const).map((field) => (
            <>
              <label>
                {field} <input data-testid={`${field}-input`} value={priorities[field]} placeholder={gs[field]} onInput={(e) => setPriorities({ ...priorities, [field]: (e.target as HTMLInputElement).value })} />
              </label>
              <button data-testid={`${field}-apply`} onClick={() => run(field, priorities[field])}>
                Set
              </button>
            </>
          ))}
        </div>
      )}
      <Outcome outcome={outcome} />
      <h2>Containers</h2>
      <table data-testid="containers">
        <thead>
          <tr>
            <th>Name</th>
            <th>Image</th>
            <th>State</th>
            <th>Ready</th>
            <th>Restarts</th>
          </tr>
        </thead>
        <tbody>
          {(detail.pod?.containers ?? []).map((c) => (
            <tr data-testid="container" data-name={c.name}>
              <td>{c.name}</td>
              <td data-testid="container-image">{c.image}</td>
              <td>
                {c.state}
                {c.reason ? ` (${c.reason})` : ''}
              </td>
              <td>{c.ready ? 'yes' : 'no'}</td>
              <td data-testid="container-restarts">{c.restartCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {gs && gs.serviceQualities.length > 0 && (
        <>
          <h2>Service qualities</h2>
          <table data-testid="service-qualities">
            <tbody>
              {gs.serviceQualities.map((q) => (
                <tr>
                  <td>{q.name}</td>
                  <td>{q.status}</td>
                  <td>{q.result}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {gs && gs.conditions.length > 0 && (
        <>
          <h2>Conditions</h2>
          <table>
            <tbody>
              {gs.conditions.map((c) => (
                <tr>
                  <td>{c.type}</td>
                  <td>{c.status}</td>
                  <td>{c.reason}</td>
                  <td>{c.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
