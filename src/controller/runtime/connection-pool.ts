// One pool of kept-alive connections for every request of the process. client-node's KubeConfig
// authenticates a request by giving it a new https.Agent each time (the kubeconfig's CA, client
// certificate and TLS options), so every request opened its own TLS connection: a handshake,
// the CA parsed again, the certificate checked. In a rollout of 1,000 pods that was most of the
// controller's CPU. This authentication does what KubeConfig does (headers, tokens, refreshed
// credentials) and then swaps that agent for one kept per distinct set of TLS options.

import https from 'node:https';
import type { KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

/** The agent options that make two connections interchangeable. */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function sameOptions(a: https.AgentOptions, b: https.AgentOptions): boolean {
  return TLS_KEYS.every((k) => {
    const x = a[k] as unknown;
    const y = b[k] as unknown;
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
    return x === y;
  });
}

export class PooledKubeConfigAuth implements SecurityAuthentication {
  private pooled?: { options: https.AgentOptions; agent: https.Agent };

  constructor(private readonly kc: KubeConfig) {}

  getName(): string {
    return 'kubeconfig authentication';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kc.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    // Proxy agents and plain HTTP keep client-node's behaviour.
    if (!fresh || fresh.constructor !== https.Agent) return;
    const options = (fresh as https.Agent & { options: https.AgentOptions }).options;
    if (!this.pooled || !sameOptions(this.pooled.options, options)) {
      // New credentials (a rotated client certificate): new connections from now on; requests
      // under way on the old ones finish there, and its idle connections close with the server.
      this.pooled = { options, agent: new https.Agent({ ...options, keepAlive: true }) };
    }
    context.setAgent(this.pooled.agent);
  }

  /** Closes the kept-alive connections (the process is stopping). */
  close(): void {
    this.pooled?.agent.destroy();
    this.pooled = undefined;
  }
}
