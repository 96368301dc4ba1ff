// Where hook measurements may send traffic. A web or Prometheus metric names any URL the
// template's author wrote (BCS's own walk-through points at http://1.1.1.1:9091); on the
// embedded control plane and in tests hotpod must reach nothing outside loopback, so the
// controller checks every address a measurement would connect to against --hook-networks
// (default loopback only; deploy/ opens it for a real cluster). Built on node's net.BlockList.

import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];
export const ANY_NETWORK = ['0.0.0.0/0', '::/0'];

export class HookEgress {
  private readonly allowed = new BlockList();

  constructor(readonly networks: readonly string[] = LOOPBACK_NETWORKS) {
    for (const n of networks) {
      const [net, bits] = n.split('/');
      const family = isIP(net ?? '');
      const prefix = Number(bits);
      if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${n}" is not a network: use CIDR notation, e.g. 127.0.0.0/8 or ::1/128`);
      this.allowed.addSubnet(net!, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Throws, naming the address and the flag, unless every address the URL's host resolves to is allowed. */
  async check(url: string): Promise<void> {
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      throw new Error(`"${url}" is not a URL`);
    }
    const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch((err: Error) => { throw new Error(`${host}: ${err.message}`); })).map((a) => a.address);
    for (const a of addresses) {
      if (!this.allowed.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4')) {
        throw new Error(`${a}${a === host ? '' : ` (${host})`} is outside the networks hooks may reach (--hook-networks ${this.networks.join(',')}): nothing was sent`);
      }
    }
  }
}
