// A real browser: Debian's headless Chromium (installed by .ci/install-chromium: .ci/run runs it,
// and so does this helper when it is missing), driven by playwright-core. Pages open only
// loopback addresses; screenshots go to test-output/screenshots/ for a person to look at.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { projectRoot } from './cluster.js';

export const SCREENSHOT_DIR = join(projectRoot, 'test-output', 'screenshots');

function chromiumPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  const r = spawnSync(join(projectRoot, '.ci', 'install-chromium'), { encoding: 'utf8' });
  const after = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (!after) throw new Error(`Chromium is needed for the browser tests and could not be installed:\n${r.stdout}${r.stderr}`);
  return after;
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}
