// The dashboard page: a hash router over three views (fleet, set, server), kept live by the
// store's event stream.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { FleetPage } from './fleet.js';
import { ServerPage } from './server.js';
import { SetPage } from './set.js';
import { connect, fleet, onFleetChange } from './store.js';

function useRoute(): string[] {
  const parse = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Re-renders the page whenever the fleet changed (at most once a frame). */
export function useFleet(): number {
  const [, setVersion] = useState(fleet.version);
  useEffect(() => onFleetChange(() => setVersion(fleet.version)), []);
  return fleet.version;
}

function App() {
  const route = useRoute();
  useFleet();
  let page;
  if (route[0] === 'set' && route.length === 4) page = <SetPage kind={route[1]!} namespace={route[2]!} name={route[3]!} />;
  else if (route[0] === 'server' && route.length === 3) page = <ServerPage namespace={route[1]!} name={route[2]!} />;
  else page = <FleetPage />;
  return (
    <>
      <header>
        <h1>
          <a href="#/">hotpod</a>
        </h1>
        <span class="dim">{route[0] === 'set' ? `${route[1]} ${route[2]}/${route[3]}` : route[0] === 'server' ? `server ${route[1]}/${route[2]}` : 'fleet'}</span>
        <span class={`live ${fleet.connected ? 'on' : ''}`} data-testid="live">
          {fleet.connected ? 'live' : 'connecting…'}
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}

connect();
render(<App />, document.getElementById('app')!);
