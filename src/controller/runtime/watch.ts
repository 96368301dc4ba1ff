// The controller's watch connections: client-node's `Watch` contract (what the informers call),
// carried by LineWatch (src/util/watch-stream.ts), which splits event lines itself instead of
// going through node-fetch, a PassThrough and readline as client-node's Watch does: that
// plumbing was the controller's largest cost after its requests in a 1,000-pod rollout. The
// kubeconfig's credentials, TLS options and proxy are applied to every watch by client-node, as
// its own Watch does.

import type { Agent } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { KubeConfig, Watch } from '@kubernetes/client-node';
import { LineWatch } from '../../util/watch-stream.js';

export class KubeConfigWatch implements Pick<Watch, 'watch'> {
  constructor(private readonly kc: KubeConfig) {}

  async watch(
    path: string,
    queryParams: Record<string, any>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const opts: RequestOptions = {};
    // Headers (tokens, refreshed when they expire) and an agent with the TLS options or proxy.
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    return new LineWatch(new URL(cluster.server), opts.agent as Agent, headers).watch(path, queryParams, callback, done);
  }
}
