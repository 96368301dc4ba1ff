// Which block of loopback addresses this process's embedded nodes use. Node IPs and pod IPs are
// loopback addresses, and host ports and nodePorts are fixed numbers, so two embedded planes on
// one machine (the test runner runs two test files at once, each with its own) would collide
// on `127.0.1.1:8000`. Each plane claims a site by listening on an address only that site
// uses: the kernel makes the claim atomic and drops it when the process dies. Site 0 is the
// documented layout (nodes 127.0.<i>.1, pods 127.100.<i>.0/24).

import net from 'node:net';

/** Sites 0..MAX_SITES-1: nodes in 127.<site>.0.0/16, pods in 127.<100 + 4·site>.0.0/14. */
export const MAX_SITES = 30;
const LOCK_PORT = 45454;

export interface LoopbackSite {
  site: number;
  release(): Promise<void>;
}

/**
 * `preferred` when free (a plane restarted on its data dir keeps its addresses, so its pods
 * keep their IPs), else the lowest free site; held until release().
 */
export async function claimLoopbackSite(preferred?: number): Promise<LoopbackSite> {
  const order = [...(preferred !== undefined && preferred >= 0 && preferred < MAX_SITES ? [preferred] : []), ...Array.from({ length: MAX_SITES }, (_, i) => i)];
  for (const site of order) {
    const server = await tryListen(`127.${site}.255.254`);
    if (server) {
      server.unref();
      return { site, release: () => new Promise((resolve) => server.close(() => resolve())) };
    }
  }
  throw new Error(`no free loopback site: ${MAX_SITES} embedded planes already run on this machine`);
}

function tryListen(host: string): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port: LOCK_PORT, exclusive: true }, () => resolve(server));
  });
}
