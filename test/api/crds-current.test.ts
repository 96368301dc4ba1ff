// deploy/crds/*.yaml and the Helm chart's copy, deploy/chart/crds/*.yaml, must be exactly what
// the definitions in src/api generate: edit the definition, run `npm run gen:crds`, and check in
// the result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { renderAllCrds } from '../../src/api/crds.js';
import { validateCrd } from '../../src/apiserver/schema/crd.js';
import { projectRoot } from '../helpers/cluster.js';

for (const dir of ['deploy/crds', 'deploy/chart/crds']) {
  const crdDir = join(projectRoot, dir);

  describe(dir, () => {
    const generated = renderAllCrds();

    it('holds one file per definition and nothing else', () => {
      const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
      assert.deepEqual(files, [...generated.keys()].sort(), `run \`npm run gen:crds\` and check in ${dir}`);
    });

    for (const [name, text] of generated) {
      it(`${name} is current`, () => {
        const checkedIn = readFileSync(join(crdDir, name), 'utf8');
        // Compare the parsed documents first for a readable diff, then the text itself.
        assert.deepEqual(YAML.parse(checkedIn), YAML.parse(text), `${dir}/${name} is stale: run \`npm run gen:crds\``);
        assert.equal(checkedIn, text, `${dir}/${name} differs in formatting: run \`npm run gen:crds\``);
      });

      it(`${name} is a CRD the API server accepts`, () => {
        assert.deepEqual(validateCrd(YAML.parse(text)), []);
      });
    }
  });
}
