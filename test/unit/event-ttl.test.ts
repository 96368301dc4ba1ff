// Events expire a TTL after their last write (kube-apiserver's --event-ttl), other objects never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Store, type StoreEvent } from '../../src/apiserver/storage/store.js';
import { startEventTtl } from '../../src/apiserver/controllers/event-ttl.js';

const event = (name: string, count: number) => ({ apiVersion: 'v1', kind: 'Event', metadata: { namespace: 'ns', name }, count, reason: 'Test' });

test('an Event is deleted once a TTL has passed since its last write; a rewritten one lives on; a ConfigMap stays', async () => {
  const store = new Store();
  const stop = startEventTtl(store, pino({ level: 'silent' }), { ttlMs: 1000, sweepMs: 50 });
  const deleted: string[] = [];
  store.subscribe((e: StoreEvent) => {
    if (e.type === 'DELETED') deleted.push(`${e.groupResource} ${e.object.metadata.name}`);
  });
  try {
    await store.put('/events', event('old', 1));
    const kept = await store.put('/events', event('kept', 1));
    await store.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'cm' } });
    await new Promise((r) => setTimeout(r, 500));
    await store.put('/events', { ...kept, count: 2 }); // a repeat of the Event renews it
    const until = Date.now() + 5000;
    while (!deleted.includes('/events old') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(deleted, ['/events old'], 'only the Event not written for a TTL went');
    assert.ok(store.get('/events', 'ns', 'kept'), 'the rewritten Event is still there');
    assert.ok(store.get('/configmaps', 'ns', 'cm'), 'other kinds never expire');
    while (!deleted.includes('/events kept') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(deleted, ['/events old', '/events kept'], 'the rewritten one went a TTL after its last write');
  } finally {
    stop();
    store.close();
  }
});
