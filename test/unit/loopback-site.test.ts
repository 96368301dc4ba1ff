// Two embedded planes on one machine claim different loopback sites, and a released site is
// free again (real sockets: the claim is a listening address).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimLoopbackSite } from '../../src/node/loopback-site.js';
import { hostIPFor, podCIDRFor } from '../../src/node/node-object.js';

test('each plane gets its own site; a released one is taken again', async () => {
  const first = await claimLoopbackSite();
  const second = await claimLoopbackSite();
  try {
    assert.notEqual(first.site, second.site);
    assert.notEqual(hostIPFor(1, first.site), hostIPFor(1, second.site));
    assert.notEqual(podCIDRFor(1, 110, first.site).cidr, podCIDRFor(1, 110, second.site).cidr);
  } finally {
    await second.release();
  }
  const again = await claimLoopbackSite();
  assert.equal(again.site, second.site);
  await again.release();
  await first.release();
});

test('site 0 is the documented layout; every address stays in 127.0.0.0/8', () => {
  assert.equal(hostIPFor(2), '127.0.2.1');
  assert.equal(podCIDRFor(2, 110).cidr, '127.100.2.0/24');
  assert.equal(hostIPFor(3, 29), '127.29.3.1');
  assert.match(podCIDRFor(255, 1000, 29).cidr, /^127\./);
});

test('a preferred site is taken when free, else the lowest free one', async () => {
  const held = await claimLoopbackSite();
  const other = await claimLoopbackSite(held.site);
  assert.notEqual(other.site, held.site, 'a held site is never given twice');
  await other.release();
  const again = await claimLoopbackSite(other.site);
  assert.equal(again.site, other.site);
  await again.release();
  await held.release();
});
