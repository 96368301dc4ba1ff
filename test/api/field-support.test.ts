// Every field of every CRD hotpod serves has an entry saying what hotpod does with it, the
// generated docs/fields.md is current, and each not-acted-on spec field is named by the check
// the controllers run (fieldsNotActedOn), so none is stored and ignored in silence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESOURCES } from '../../src/api/crds.js';
import { FIELD_DOC_PATH, renderFieldDoc } from '../../src/api/field-doc.js';
import { fieldPaths } from '../../src/api/field-paths.js';
import { fieldsNotActedOn, supportEntries, supportGaps } from '../../src/api/field-support.js';
import { GameServerSetResource } from '../../src/api/gameserverset.js';
import { obj, str } from '../../src/api/schema.js';
import { projectRoot } from '../helpers/cluster.js';

/** Upstream CRDs' field paths (scripts/upstream-field-paths.mjs, from the upstream repositories). */
const upstream = JSON.parse(readFileSync(join(projectRoot, 'test/fixtures/upstream-fields.json'), 'utf8')) as { sources: Record<string, string>; kinds: Record<string, string[]> };

/** An object holding `value` at `path` (one array item for each `[]`, one key for each `{}`). */
function objectWith(path: string, value: unknown): Record<string, unknown> {
  const steps = path.split('.').flatMap((s) => {
    const name = s.replace(/(\[\]|\{\})+$/, '');
    return [name, ...(s.slice(name.length).match(/\[\]|\{\}/g) ?? [])];
  });
  let out: unknown = value;
  for (const step of steps.reverse()) out = step === '[]' ? [out] : step === '{}' ? { k: out } : { [step]: out };
  return out as Record<string, unknown>;
}

describe('field support list', () => {
  for (const def of RESOURCES) {
    it(`${def.kind}: every field has an entry, and every entry a field`, () => {
      const { missing, unknown } = supportGaps(def);
      assert.deepEqual(missing, [], `${def.kind} fields without an entry in src/api/field-support.ts`);
      assert.deepEqual(unknown, [], `entries of src/api/field-support.ts naming no ${def.kind} field`);
    });

    it(`${def.kind}: every field of the upstream CRD is in hotpod's`, () => {
      const ours = new Set(fieldPaths(def).map((p) => p.path));
      const paths = upstream.kinds[def.kind] ?? [];
      assert.ok(paths.length > 10, `upstream fields of ${def.kind} in test/fixtures/upstream-fields.json`);
      assert.deepEqual(paths.filter((p) => !ours.has(p)), [], `fields of ${upstream.sources[def.kind]} hotpod's CRD lacks (a manifest using them fails strict validation)`);
    });

    it(`${def.kind}: each not-acted-on spec field set in a manifest is named`, () => {
      const candidates: unknown[] = ['x', 1, true, 'Delete', { a: 'b' }, [{ a: 'b' }]];
      for (const [path, entry] of supportEntries(def.kind)) {
        if (entry.verdict !== 'not-acted-on' || !path.startsWith('spec.')) continue;
        const named = candidates.some((v) => fieldsNotActedOn(def.kind, objectWith(path, v)).some((m) => m.startsWith(`${path}: `)));
        assert.ok(named, `${def.kind} ${path} is not acted on, but no value of it is reported`);
      }
    });
  }

  it('a field added to a schema without an entry is reported missing', () => {
    const spec = obj({ ...GameServerSetResource.spec.properties, tuning: obj({ shards: str() }) });
    const { missing } = supportGaps({ ...GameServerSetResource, spec });
    assert.deepEqual(missing, ['spec.tuning.shards']);
    assert.ok(fieldPaths({ ...GameServerSetResource, spec }).some((p) => p.path === 'spec.tuning' && !p.leaf));
  });

  it('an unset or empty not-acted-on field is not reported', () => {
    assert.deepEqual(fieldsNotActedOn('GameServerSet', { spec: { replicas: 2, network: {} } }), []);
  });

  it('a value-dependent verdict names the value: a networkType hotpod has no plugin for', () => {
    assert.deepEqual(fieldsNotActedOn('GameServerSet', { spec: { network: { networkType: 'Kubernetes-HostPort', networkConf: [{ name: 'ContainerPorts', value: 'engine:7777' }] } } }), []);
    assert.deepEqual(fieldsNotActedOn('GameServerSet', { spec: { network: { networkType: 'AlibabaCloud-SLB' } } }), [
      "spec.network.networkType: networkType AlibabaCloud-SLB is a cloud provider's plugin hotpod does not have; no address is given",
    ]);
    assert.deepEqual(fieldsNotActedOn('GameServerSet', { spec: { network: { networkType: 'HostPort' } } }), [
      'spec.network.networkType: networkType HostPort is no network plugin hotpod has (it has Kubernetes-HostPort, Kubernetes-NodePort, Kubernetes-Ingress); no address is given',
    ]);
  });

  it(`${FIELD_DOC_PATH} is current`, () => {
    const checkedIn = readFileSync(join(projectRoot, FIELD_DOC_PATH), 'utf8');
    assert.equal(checkedIn, renderFieldDoc(), `${FIELD_DOC_PATH} is stale: run \`npm run gen:crds\``);
  });
});
