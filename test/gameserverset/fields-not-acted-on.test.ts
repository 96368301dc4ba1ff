// A field hotpod stores but does not act on is named, never ignored in silence: applied with
// kubectl 1.35 (strict field validation), the set gets a Warning Event and the FieldsNotActedOn
// condition naming the field, both from the list in src/api/field-support.ts; once the field
// is taken out, the condition goes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Cluster } from '../helpers/cluster.js';
import { WAIT_MS, applyGss, getGss, gss, kubectl, namespace, setEvents, startGssCluster, waitSettled, type Json } from './helpers.js';

const NOT_ACTED_ON = 'FieldsNotActedOn';

describe('GameServerSet fields not acted on', { timeout: 240_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  it('a network plugin hotpod lacks is named in a Warning Event and a condition, until it is taken out', async () => {
    const ns = await namespace(c, 'gss-not-acted-on');
    const manifest = gss('net', ns, { replicas: 1 });
    manifest.spec.network = { networkType: 'AlibabaCloud-SLB', networkConf: [{ name: 'SlbIds', value: 'lb-xxa' }, { name: 'PortProtocols', value: '7777/UDP' }] };
    await applyGss(c, manifest);
    await waitSettled(c, ns, 'net', ['net-0']);

    const condition = await waitFor(async () => ((await getGss(c, ns, 'net')).status?.conditions ?? []).find((x: Json) => x.type === NOT_ACTED_ON), 'FieldsNotActedOn on the set', WAIT_MS);
    assert.equal(condition.status, 'True');
    assert.equal(condition.message, "spec.network.networkType: networkType AlibabaCloud-SLB is a cloud provider's plugin hotpod does not have; no address is given");
    const warning = await waitFor(async () => (await setEvents(c, ns, 'net')).find((e) => e.reason === NOT_ACTED_ON), 'a FieldsNotActedOn Event', WAIT_MS);
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.message, condition.message);

    await kubectl(c, ns, ['patch', 'gss', 'net', '--type=json', '-p', '[{"op":"remove","path":"/spec/network"}]']);
    await waitFor(async () => {
      const s = await getGss(c, ns, 'net');
      return s.status?.observedGeneration === s.metadata.generation && !(s.status?.conditions ?? []).some((x: Json) => x.type === NOT_ACTED_ON);
    }, 'FieldsNotActedOn cleared once the network is taken out', WAIT_MS);
  });
});
