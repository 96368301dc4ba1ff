// `npm run bench` (last part), `npm run bench:dashboard`: the dashboard in a real browser
// (Debian's headless Chromium through playwright-core) showing a GameServerSet of BENCH_DASH_PODS
// (1,000) servers on the embedded plane (`hotpod up --in-memory --nodes 3 --no-controller`, the
// controller in this process, `hotpod dashboard` in its own):
//   - first render: from the page's navigation to every tile of the set on screen;
//   - a sidecar image rollout in place (maxUnavailable 100%): for every pod, the time from this
//     process's watch seeing it Ready on the new revision to the page showing its tile as new
//     (the page's own clock, read by a MutationObserver; both clocks are this machine's), and
//     from its leaving service on the new revision to the tile showing it as updating.
// Targets (issue 19): first render under 1 s, every update shown within 1 s.
// Knobs (environment): BENCH_DASH_PODS, BENCH_VERBOSE=1.

import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController } from '../src/controller/index.js';
import { Informer, KubeClient } from '../src/kube/index.js';
import { checkCompletion } from '../src/update/in-place.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { envInt, projectRoot } from './common.js';
import { startRolloutCluster, waitUntil } from './rollout.js';

type Json = Record<string, any>;

const PODS = envInt('BENCH_DASH_PODS', 1000);
const NS = 'bench-dash';
const SET = 'fleet';
const VERBOSE = process.env.BENCH_VERBOSE === '1';

const progress = (msg: string) => VERBOSE && process.stderr.write(`[bench-dashboard] ${msg}\n`);

function startDashboardProcess(kubeconfig: string): Promise<{ url: string; stop(): Promise<void> }> {
  // BENCH_DASH_NODE_ARGS: node flags for the dashboard process (e.g. --cpu-prof).
  const nodeArgs = (process.env.BENCH_DASH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, join(projectRoot, 'dist', 'src', 'cli', 'main.js'), 'dashboard', '--kubeconfig', kubeconfig, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /dashboard listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, stop: () => new Promise<void>((r) => (proc.once('exit', () => r()), proc.kill('SIGTERM'))) });
    });
    proc.once('exit', (code) => reject(new Error(`hotpod dashboard exited ${code}: ${out}`)));
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hotpod-bench-dash-'));
  const cluster = await startRolloutCluster(dataDir, PODS);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const controller = await startController({ kubeconfig: cluster.kubeconfigPath, logger });
  const client = new KubeClient({ kubeconfig: cluster.kubeconfigPath });
  const dashboard = await startDashboardProcess(cluster.kubeconfigPath);
  const browser = await launchBrowser();
  try {
    await client.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.createObject({
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: SET, namespace: NS },
      spec: {
        replicas: PODS,
        updateStrategy: { rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: '100%' } },
        gameServerTemplate: { spec: { containers: [{ name: 'engine', image: 'registry.example.com/game/engine:1.0' }, { name: 'sidecar', image: 'registry.example.com/game/scripts:v1' }] } },
      },
    });
    await waitUntil(`${PODS} servers ready`, async () => ((await client.get('game.kruise.io/v1alpha1', 'GameServerSet', { namespace: NS, name: SET })).status as Json | undefined)?.readyReplicas === PODS, 500);
    progress('set ready');

    // A browser already running, as a user's is: one page load first, then the measured one,
    // timed by the page's own clock from its navigation start.
    const warm = await browser.newPage();
    await warm.goto(dashboard.url);
    await warm.locator('[data-testid=live].on').waitFor({ timeout: 60_000 });
    await warm.close();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // BENCH_DASH_PAGE_PROFILE=<file>: the page's CPU profile of its first render (Chrome DevTools format).
    const cdp = process.env.BENCH_DASH_PAGE_PROFILE ? await page.context().newCDPSession(page) : undefined;
    if (cdp) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'));
    await page.goto(`${dashboard.url}#/set/GameServerSet/${NS}/${SET}`);
    const live = Math.round(await (await page.waitForFunction(() => document.querySelector('[data-testid=live].on') && performance.now(), undefined, { polling: 10, timeout: 60_000 })).jsonValue() as number);
    const firstRender = Math.round(
      (await (await page.waitForFunction((n) => document.querySelectorAll('[data-testid=tile]').length === n && performance.now(), PODS, { polling: 10, timeout: 60_000 })).jsonValue()) as number,
    );
    if (cdp) writeFileSync(process.env.BENCH_DASH_PAGE_PROFILE!, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    const marks = (await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const out: Record<string, number> = { html: Math.round(nav?.responseEnd ?? 0), loaded: Math.round(nav?.domContentLoadedEventEnd ?? 0) };
      for (const m of performance.getEntriesByType('mark')) out[m.name.replace('hotpod:', '')] = Math.round(m.startTime);
      return out;
    })) as Record<string, number>;
    // The page's own mark of the render that showed every tile: playwright's polling (which
    // firstRender comes from) only starts once the load event has reached this process.
    const rendered = marks[`tiles-${PODS}`] ?? firstRender;
    progress(`first render ${rendered} ms (seen by polling at ${firstRender} ms): ${JSON.stringify(marks)}`);

    // The page notes when each tile turns "new".
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      const updating: Record<string, number> = {};
      Object.assign(window, { seen, updating });
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records) {
          const t = r.target as HTMLElement;
          if (!t.dataset?.name || r.oldValue === t.dataset.revision) continue;
          if (t.dataset.revision === 'new') seen[t.dataset.name] ??= now;
          if (t.dataset.revision === 'updating') updating[t.dataset.name] ??= now;
        }
      }).observe(document.querySelector('[data-testid=tiles]')!, { subtree: true, attributes: true, attributeFilter: ['data-revision'], attributeOldValue: true });
    });

    // The stream as the dashboard sends it, read here: its lag without the browser's.
    const streamed = new Map<string, number>();
    const stream = http.get(`${dashboard.url}api/stream`, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!block.startsWith('event: delta') || !data) continue;
          const now = Date.now();
          for (const t of Object.values((JSON.parse(data.slice(6)) as Json).tiles ?? {}) as Json[]) if (t?.revision === 'new' && !streamed.has(t.name)) streamed.set(t.name, now);
        }
      });
    });

    // This process's view, by the tile's own rule: the pod carries the set's update revision
    // (controller-revision-hash), is Ready, and runs what the update asked for (the engine's
    // checkCompletion: the label and the images are one write, made before the node restarts
    // anything, so a pod can carry the new label while still Ready on the old images).
    const readyOnNew = new Map<string, number>();
    const updatingAt = new Map<string, number>();
    let updateRevision = '';
    const pods = new Informer<Json>(client, { apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: `game.kruise.io/owner-gss=${SET}`, namespaceIndexOnly: true });
    const check = (p: Json) => {
      const onNew = updateRevision !== '' && p.metadata?.labels?.['controller-revision-hash'] === updateRevision;
      const ready = (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True') && checkCompletion(p).done;
      if (onNew && ready && !readyOnNew.has(p.metadata.name)) readyOnNew.set(p.metadata.name, Date.now());
      if (onNew && !ready && !updatingAt.has(p.metadata.name)) updatingAt.set(p.metadata.name, Date.now());
    };
    pods.onChange(check);
    pods.start();
    await pods.waitForSync();
    const gssOf = async () => (await client.get('game.kruise.io/v1alpha1', 'GameServerSet', { namespace: NS, name: SET })) as Json;
    const oldRevision = (await gssOf()).status?.updateRevision;
    const patched = Date.now();
    await client.patchObject('game.kruise.io/v1alpha1', 'GameServerSet', { namespace: NS, name: SET }, [{ op: 'replace', path: '/spec/gameServerTemplate/spec/containers/1/image', value: 'registry.example.com/game/scripts:v2' }], { contentType: 'application/json-patch+json' });
    await waitUntil('the new update revision', async () => {
      const r = (await gssOf()).status?.updateRevision;
      if (r && r !== oldRevision) updateRevision = r;
      return updateRevision !== '';
    }, 20);
    for (const p of pods.cache.list()) check(p);
    await waitUntil('every pod ready on the new revision', async () => readyOnNew.size === PODS, 250);
    const rolloutMs = Date.now() - patched;
    await page.waitForFunction((n) => Object.keys((window as unknown as { seen: Record<string, number> }).seen).length === n, PODS, { timeout: 60_000 });
    const { seen, updating } = await page.evaluate(() => {
      const w = window as unknown as { seen: Record<string, number>; updating: Record<string, number> };
      return { seen: w.seen, updating: w.updating };
    });
    await pods.stop();
    stream.destroy();
    const lags = [...readyOnNew].map(([name, at]) => Math.max(0, (seen[name] ?? Infinity) - at)).sort((a, b) => a - b);
    const streamLags = [...readyOnNew].map(([name, at]) => Math.max(0, (streamed.get(name) ?? Infinity) - at)).sort((a, b) => a - b);
    const within = lags.filter((l) => l <= 1000).length;
    // A pod whose update the page never showed as "updating" went from old to new within one
    // batch of the stream: nothing was late there, there was just nothing to show in between.
    const updatingLags = [...updatingAt].filter(([name]) => updating[name] !== undefined).map(([name, at]) => Math.max(0, updating[name]! - at)).sort((a, b) => a - b);
    const lines = [
      `dashboard, ${PODS} servers (GameServerSet, 3 simulated nodes), Chromium ${browser.version()}`,
      `| figure | value | target |`,
      `|---|---|---|`,
      `| first render of the set page (navigation → ${PODS} tiles, the page's clock) | ${rendered} ms | < 1000 ms |`,
      `| of which: page loaded, stream opened, snapshot received, applied (ms from navigation) | ${marks.loaded} / ${marks.connect} / ${marks['snapshot-received']} / ${marks['snapshot-applied']} | |`,
      `| in-place rollout of ${PODS} pods (patch → all Ready on the new image) | ${(rolloutMs / 1000).toFixed(1)} s | |`,
      `| tile shown as new after the pod is Ready on it: p50 / p99 / max | ${percentile(lags, 50)} / ${percentile(lags, 99)} / ${lags.at(-1)} ms | max < 1000 ms |`,
      `| updates shown within 1 s | ${within} of ${lags.length} | all |`,
      `| tile shown as updating after the pod left service on the new revision: p50 / p99 / max (shown for ${updatingLags.length} of ${updatingAt.size}) | ${percentile(updatingLags, 50)} / ${percentile(updatingLags, 99)} / ${updatingLags.at(-1)} ms | max < 1000 ms |`,
      `| same, at the event stream (no browser): p50 / p99 / max | ${percentile(streamLags, 50)} / ${percentile(streamLags, 99)} / ${streamLags.at(-1)} ms | |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (rendered >= 1000 || within < lags.length || (updatingLags.at(-1) ?? 0) > 1000) process.stdout.write('WARNING: a dashboard target was missed\n');
  } finally {
    await browser.close();
    await dashboard.stop();
    await controller.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench dashboard: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
