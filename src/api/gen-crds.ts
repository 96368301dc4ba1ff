// `npm run gen:crds`: writes deploy/crds/<group>_<plural>.yaml from the definitions in src/api,
// the same files into the Helm chart's deploy/chart/crds (Helm installs a chart's CRDs only
// from its own folder), and docs/fields.md (what hotpod does with each field). `--check` writes
// nothing and exits 1 if a checked-in file differs from what would be written.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllCrds } from './crds.js';
import { FIELD_DOC_PATH, renderFieldDoc } from './field-doc.js';

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('gen-crds: no package.json above the script');
    dir = up;
  }
  return dir;
}

const CRD_DIRS = ['deploy/crds', 'deploy/chart/crds'];

const outputs = new Map<string, string>();
for (const dir of CRD_DIRS) for (const [name, text] of renderAllCrds()) outputs.set(`${dir}/${name}`, text);
outputs.set(FIELD_DOC_PATH, renderFieldDoc());

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of outputs) {
  const path = resolve(projectRoot(), file);
  mkdirSync(dirname(path), { recursive: true });
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) {
    console.log(`gen-crds: ${file} up to date`);
  } else if (check) {
    console.error(`gen-crds: ${file} is not current (run npm run gen:crds)`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`gen-crds: wrote ${file}`);
  }
}
if (stale) process.exit(1);
