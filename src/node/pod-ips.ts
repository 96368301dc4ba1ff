// Pod IPs from the node's pod CIDR, one per pod, as a CNI plugin's host-local IPAM hands them
// out: lowest free address first, `.0` (network) and `.1` (gateway) never, freed on teardown.

import { ipNumber, ipText } from './node-object.js';

export class PodIpAllocator {
  private readonly byUid = new Map<string, number>();
  private readonly used = new Set<number>();

  constructor(
    private readonly first: number,
    private readonly size: number,
  ) {}

  /** The pod's address; `preferred` (the address it had before a restart) when still free. */
  allocate(uid: string, preferred?: string): string {
    const have = this.byUid.get(uid);
    if (have !== undefined) return ipText(have);
    const want = preferred ? ipNumber(preferred) : undefined;
    if (want !== undefined && want >= this.first + 2 && want < this.first + this.size - 1 && !this.used.has(want)) return this.take(uid, want);
    for (let n = this.first + 2; n < this.first + this.size - 1; n++) if (!this.used.has(n)) return this.take(uid, n);
    throw new Error(`no free pod IP left in ${ipText(this.first)}/${32 - Math.log2(this.size)}`);
  }

  release(uid: string): void {
    const n = this.byUid.get(uid);
    if (n === undefined) return;
    this.byUid.delete(uid);
    this.used.delete(n);
  }

  private take(uid: string, n: number): string {
    this.byUid.set(uid, n);
    this.used.add(n);
    return ipText(n);
  }
}
