// The dashboard in a real browser (Debian's headless Chromium through playwright-core), served by
// `hotpod dashboard` processes against `hotpod up`: the fleet page lists what kubectl lists, a
// kubectl change reaches the open page through the event stream (no reload), a click changes a
// server's opsState and a rollout's pause (read back with kubectl), and a view-only
// ServiceAccount's click shows the API server's 403 and changes nothing. Screenshots of the
// three pages are written to test-output/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiOk, cliPath, type Cluster } from '../helpers/cluster.js';
import { launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.js';
import { serviceAccountKubeconfig } from '../helpers/service-account.js';
import { applyGss, gss, kubectl, namespace, startGssCluster, waitSettled } from '../gameserverset/helpers.js';
import { gdManifest, waitGd } from '../gamedeployment/helpers.js';

interface DashboardProcess {
  url: string;
  stop(): Promise<void>;
}

/** `hotpod dashboard --port 0` with a kubeconfig, ready once it prints where it listens. */
function startDashboard(kubeconfig: string): Promise<DashboardProcess> {
  const proc: ChildProcess = spawn(process.execPath, [cliPath(), 'dashboard', '--kubeconfig', kubeconfig, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hotpod dashboard did not start:\n${out}\n${err}`)), 60_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /dashboard listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          stop: () =>
            new Promise<void>((res) => {
              if (proc.exitCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill('SIGTERM');
            }),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`hotpod dashboard exited ${code}:\n${out}\n${err}`)));
  });
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

describe('hotpod dashboard in a browser', { timeout: 600_000 }, () => {
  let c: Cluster;
  let ns: string;
  let browser: Browser;
  let admin: DashboardProcess;

  before(async () => {
    c = await startGssCluster();
    ns = await namespace(c, 'dash');
    await applyGss(c, gss('arena', ns, { replicas: 4 }));
    await kubectl(c, ns, ['apply', '-f', '-'], { input: JSON.stringify(gdManifest('lobby', ns, { replicas: 2, type: 'HotPatchUpdate' })) });
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1', 'arena-2', 'arena-3']);
    await waitGd(c, ns, 'lobby', (g) => g.status?.readyReplicas === 2, 'lobby ready');
    admin = await startDashboard(c.kubeconfigPath);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await admin?.stop();
    await c?.cleanup();
  });

  it('the fleet page lists what kubectl lists, and a kubectl change reaches it without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(admin.url);
    await page.locator('[data-testid=live].on').waitFor();
    const listed = (await kubectl(c, ns, ['get', 'gss,gd', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.spec.replicas} {end}'])).trim().split(' ').sort();
    const rows = page.locator(`[data-testid=fleet-row][data-key$="/${ns}/arena"], [data-testid=fleet-row][data-key$="/${ns}/lobby"]`);
    await rows.nth(1).waitFor();
    const shown: string[] = [];
    for (let i = 0; i < (await rows.count()); i++) shown.push(`${await rows.nth(i).getAttribute('data-key')}=${await rows.nth(i).locator('[data-testid=desired]').innerText()}`);
    assert.deepEqual(shown.sort(), listed);
    assert.match(await text(page, `[data-key="GameServerSet/${ns}/arena"] [data-testid=states]`), /Ready 4/);

    // The page is not reloaded: a marker set on the window survives the update.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const wrote = Date.now();
    await kubectl(c, ns, ['scale', 'gss', 'arena', '--replicas=5']);
    await page.locator(`[data-key="GameServerSet/${ns}/arena"] [data-testid=desired]`, { hasText: '5' }).waitFor({ timeout: 30_000 });
    const latency = Date.now() - wrote;
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, 'the same page, updated in place');
    process.stdout.write(`# dashboard: kubectl scale shown on the page after ${latency} ms\n`);
    await page.locator(`[data-key="GameServerSet/${ns}/arena"] [data-testid=ready]`, { hasText: '5' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'fleet.png'), fullPage: true });
    await page.close();
  });

  it('the set page shows a tile per server; pause and resume are clicks, read back with kubectl', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(admin.url);
    await page.locator(`[data-key="GameServerSet/${ns}/arena"] [data-testid=set-link]`).click();
    await page.locator('[data-testid=tile]').nth(4).waitFor();
    assert.deepEqual(await page.locator('[data-testid=tile]').evaluateAll((ts) => ts.map((t) => `${t.getAttribute('data-name')}:${t.getAttribute('data-state')}:${t.getAttribute('data-revision')}`)), [
      'arena-0:Ready:new',
      'arena-1:Ready:new',
      'arena-2:Ready:new',
      'arena-3:Ready:new',
      'arena-4:Ready:new',
    ]);
    await page.locator('[data-testid=event]').first().waitFor();
    await page.locator('[data-testid=pause]').click();
    await page.locator('[data-testid=outcome]', { hasText: 'paused' }).waitFor();
    assert.equal(await kubectl(c, ns, ['get', 'gss', 'arena', '-o', 'jsonpath={.spec.updateStrategy.rollingUpdate.paused}']), 'true');
    await page.locator('[data-testid=resume]:not([disabled])').waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'set.png'), fullPage: true });
    await page.locator('[data-testid=resume]').click();
    await page.locator('[data-testid=outcome]', { hasText: 'resumed' }).waitFor();
    assert.equal(await kubectl(c, ns, ['get', 'gss', 'arena', '-o', 'jsonpath={.spec.updateStrategy.rollingUpdate.paused}']), 'false');
    await page.close();
  });

  it('a click on opsState Allocated changes the GameServer', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${admin.url}#/server/${ns}/arena-0`);
    await page.locator('[data-testid=container]').nth(1).waitFor();
    assert.deepEqual(await page.locator('[data-testid=container-image]').allInnerTexts(), ['registry.example.com/game/engine:1.0', 'registry.example.com/game/sidecar:v1']);
    await page.locator('[data-testid=opsstate-Allocated]').click();
    await page.locator('[data-testid=outcome]', { hasText: 'opsState Allocated' }).waitFor();
    assert.equal(await kubectl(c, ns, ['get', 'gs', 'arena-0', '-o', 'jsonpath={.spec.opsState}']), 'Allocated');
    await page.locator('[data-testid=server-opsstate]', { hasText: 'Allocated' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'server.png'), fullPage: true });
    await page.close();
  });

  it('a canary paused at an untimed step shows Continue, and a click goes on; a partition the API server refuses shows its 422', async () => {
    const steps = [{ partition: 1 }, { pause: {} }];
    await kubectl(c, ns, ['apply', '--validate=strict', '-f', '-'], { input: JSON.stringify(gdManifest('wave', ns, { replicas: 2, type: 'HotPatchUpdate', updateStrategy: { canary: { steps } } })) });
    await waitGd(c, ns, 'wave', (g) => g.status?.readyReplicas === 2 && g.status?.currentStepIndex === steps.length, 'wave ready, its steps done');
    await kubectl(c, ns, ['patch', 'gamedeployment', 'wave', '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "game/main:v2"}]']);
    await waitGd(c, ns, 'wave', (g) => g.status?.currentStepIndex === 1 && g.spec.updateStrategy.paused === true && g.status?.updatedReadyReplicas === 1, 'the untimed pause step');

    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${admin.url}#/set/GameDeployment/${ns}/wave`);
    await page.locator('[data-testid=canary-step]', { hasText: 'PausedByCanaryPauseStep' }).waitFor();
    assert.match(await text(page, '[data-testid=canary-step]'), /canary step 2\/2/);
    const proceed = page.locator('[data-testid=resume]:not([disabled])');
    assert.equal(await proceed.innerText(), 'Continue');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'canary.png'), fullPage: true });
    await proceed.click();
    await page.locator('[data-testid=outcome]', { hasText: 'resumed' }).waitFor();
    const done = await waitGd(c, ns, 'wave', (g) => g.status?.currentStepIndex === steps.length && g.status?.updatedReadyReplicas === 2, 'every step done, both pods updated');
    assert.equal(done.spec.updateStrategy.paused, false);
    // The stream brings the step that went on: no pause reason left, the button back to Resume.
    await page.locator('[data-testid=canary-step] .chip').waitFor({ state: 'detached' });
    assert.match(await text(page, '[data-testid=canary-step]'), /canary step 2\/2/);
    assert.equal(await page.locator('[data-testid=resume]').innerText(), 'Resume');

    await page.locator('[data-testid=partition-input]').fill('-1');
    await page.locator('[data-testid=partition-apply]').click();
    const refused = page.locator('[data-testid=outcome][data-status="422"]');
    await refused.waitFor();
    assert.match(await refused.innerText(), /^422 Invalid: .*spec\.updateStrategy\.partition/);
    assert.equal(await kubectl(c, ns, ['get', 'gd', 'wave', '-o', 'jsonpath={.spec.updateStrategy.partition}']), '0', 'the default, unchanged');
    await page.locator('[data-testid=partition-input]').fill('1');
    await page.locator('[data-testid=partition-apply]').click();
    await page.locator('[data-testid=outcome]', { hasText: 'wave: partition 1' }).waitFor();
    assert.equal(await kubectl(c, ns, ['get', 'gd', 'wave', '-o', 'jsonpath={.spec.updateStrategy.partition}']), '1');
    await page.close();
  });

  it("a view-only ServiceAccount's click shows the 403 and changes nothing", async () => {
    const viewer = await serviceAccountKubeconfig(c, ns, 'viewer');
    await apiOk(c, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'dash-viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    });
    const dash = await startDashboard(viewer.path);
    try {
      const page = await browser.newPage();
      await page.goto(`${dash.url}#/server/${ns}/arena-1`);
      await page.locator('[data-testid=container]').first().waitFor();
      await page.locator('[data-testid=opsstate-Maintaining]').click();
      const outcome = page.locator('[data-testid=outcome]');
      await outcome.waitFor();
      assert.equal(await outcome.getAttribute('data-status'), '403');
      assert.match(await outcome.innerText(), new RegExp(`403 Forbidden: gameservers.game.kruise.io "arena-1" is forbidden: User "system:serviceaccount:${ns}:viewer" cannot patch resource "gameservers"`));
      assert.equal(await kubectl(c, ns, ['get', 'gs', 'arena-1', '-o', 'jsonpath={.spec.opsState}']), 'None');
      await page.close();
    } finally {
      await dash.stop();
    }
  });
});
