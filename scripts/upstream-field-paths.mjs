// Reads the upstream CRDs (OpenKruiseGame's GameServerSet and GameServer, BCS kourse's
// GameDeployment, HookTemplate and HookRun) from the git mirrors and writes
// test/fixtures/upstream-fields.json: every field path of each, down to where hotpod's own
// schema keeps the object whole or lets one entry speak for the fields below (a pod template).
// test/api/field-support.test.ts checks each path against hotpod's CRDs and support list.
// Run after `npm run build`, where the mirrors are: node scripts/upstream-field-paths.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { RESOURCES } from '../dist/src/api/crds.js';
import { fieldPaths } from '../dist/src/api/field-paths.js';
import { supportOf } from '../dist/src/api/field-support.js';

const MIRRORS = process.env.HOTPOD_MIRRORS ?? '/work/.mirror';
const SOURCES = [
  { repo: 'openkruise/kruise-game', files: { GameServerSet: 'config/crd/bases/game.kruise.io_gameserversets.yaml', GameServer: 'config/crd/bases/game.kruise.io_gameservers.yaml' } },
  {
    repo: 'TencentBlueKing/bk-bcs',
    files: {
      GameDeployment: 'bcs-scenarios/kourse/manifests/tkex.tencent.com_gamedeployments.yaml',
      HookTemplate: 'bcs-scenarios/kourse/manifests/tkex.tencent.com_hooktemplates.yaml',
      HookRun: 'bcs-scenarios/kourse/manifests/tkex.tencent.com_hookruns.yaml',
    },
  },
];

function git(repo, ...args) {
  return execFileSync('git', ['-C', `${MIRRORS}/${repo.replace('/', '+')}/repo`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

function walk(node, path, out, stop) {
  // An array of objects is its items' path (`conditions[]`), as hotpod's field paths name it.
  const items = node.items?.properties ? node.items : node.items?.items?.properties ? node.items.items : undefined;
  if (items && !stop(path)) return walk(items, `${path}[]`, out, stop);
  out.push(path);
  if (stop(path)) return;
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, out, stop);
  if (node.additionalProperties?.properties) walk(node.additionalProperties, `${path}{}`, out, stop);
}

const result = { generatedBy: 'scripts/upstream-field-paths.mjs', sources: {}, kinds: {} };
for (const { repo, files } of SOURCES) {
  const commit = git(repo, 'rev-parse', 'HEAD').trim();
  for (const [kind, file] of Object.entries(files)) {
    result.sources[kind] = `${repo}@${commit.slice(0, 12)}:${file}`;
    const crd = YAML.parse(git(repo, 'show', `${commit}:${file}`));
    const schema = crd.spec.versions.find((v) => v.storage)?.schema.openAPIV3Schema ?? crd.spec.versions[0].schema.openAPIV3Schema;
    const def = RESOURCES.find((d) => d.kind === kind);
    const ours = new Map(fieldPaths(def).map((p) => [p.path, p]));
    // Below a field hotpod keeps whole (a leaf of its schema) or speaks for as one, the
    // upstream expansion (a whole PodSpec, a PersistentVolumeClaim) adds nothing to check.
    const stop = (p) => ours.get(p)?.leaf === true || supportOf(kind, p)?.subtree === true;
    const out = [];
    for (const top of ['spec', 'status']) if (schema.properties?.[top]) walk(schema.properties[top], top, out, stop);
    result.kinds[kind] = out;
  }
}
writeFileSync(new URL('../test/fixtures/upstream-fields.json', import.meta.url), JSON.stringify(result, null, 1) + '\n');
console.log(Object.entries(result.kinds).map(([k, v]) => `${k}: ${v.length}`).join(', '));
