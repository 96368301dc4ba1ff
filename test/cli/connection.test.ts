// `hotpod get` and `hotpod rollout status` before the cluster is reachable, as a new user runs
// them: KUBECONFIG not exported yet, or hotpod up no longer running. Each is one line saying
// what to do, and exit code 1.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDir } from '../helpers/cluster.js';
import { runHotpod } from '../helpers/cli.js';

const hotpod = (args: string[], env: Record<string, string>) => runHotpod(args, { env, unset: ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST'] });

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

describe('hotpod get and rollout status without a reachable cluster', () => {
  const home = mkdtempSync(join(tmpdir(), 'hotpod-home-'));
  after(() => cleanupDir(home));

  for (const args of [['get'], ['rollout', 'status', 'gss/arena']]) {
    it(`hotpod ${args.join(' ')} without any kubeconfig says to set KUBECONFIG`, async () => {
      const r = await hotpod(args, { HOME: home });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'error: no kubeconfig: set KUBECONFIG to the path hotpod up printed (KUBECONFIG=...) or pass --kubeconfig\n');
    });
  }

  it('a server that is not running is reported as kubectl reports it', async () => {
    const port = await closedPort();
    const kubeconfig = join(home, 'stale.kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: admin, user: {token: abc}}]',
        'contexts: [{name: gone, context: {cluster: gone, user: admin}}]',
        'current-context: gone',
        '',
      ].join('\n'),
    );
    for (const args of [['get', 'gss'], ['rollout', 'status', 'gd/arena']]) {
      const r = await hotpod(args, { HOME: home, KUBECONFIG: kubeconfig });
      assert.equal(r.code, 1, `hotpod ${args.join(' ')}`);
      assert.equal(r.stderr, `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n`);
    }
  });
});
