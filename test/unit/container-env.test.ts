import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvResolver, podHostname } from '../../src/node/container-env.js';
import { KubeApiError, type KubeClient } from '../../src/kube/index.js';
import { ContainerStartError } from '../../src/node/runtime/types.js';

type Json = Record<string, any>;

/** A client answering GETs of ConfigMaps and Secrets from a table. */
function fakeClient(objects: Record<string, Json>): KubeClient {
  return {
    async request(method: string, path: string) {
      assert.equal(method, 'GET');
      const obj = objects[path];
      if (!obj) throw new KubeApiError('GET', path, 404, { reason: 'NotFound', message: `${path} not found` });
      return obj;
    },
  } as unknown as KubeClient;
}

const pod = { metadata: { name: 'web', namespace: 'games', uid: 'u1', labels: { app: 'arena' } }, spec: { serviceAccountName: 'default' } };
const node = { name: 'node-2', hostIP: '127.0.0.1', podIP: '127.100.2.7', allocatable: { cpu: '4', memory: '8092Mi' } };

test('env: values, downward API, resources, ConfigMap and Secret keys, envFrom with prefix', async () => {
  const client = fakeClient({
    '/api/v1/namespaces/games/configmaps/settings': { data: { MODE: 'pvp', MAP: 'dust' } },
    '/api/v1/namespaces/games/secrets/keys': { data: { TOKEN: Buffer.from('s3cret').toString('base64') } },
  });
  const env = await new EnvResolver(client).resolve(
    {
      name: 'app',
      resources: { limits: { memory: '256Mi' } },
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
      env: [
        { name: 'PLAIN', value: 'x' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPUS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'keys', key: 'TOKEN' } } },
        { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'absent', key: 'X', optional: true } } },
      ],
    },
    pod,
    node,
  );
  assert.deepEqual(Object.fromEntries(env.map((e) => [e.name, e.value])), {
    CFG_MODE: 'pvp',
    CFG_MAP: 'dust',
    PLAIN: 'x',
    POD_NAME: 'web',
    POD_IP: '127.100.2.7',
    NODE: 'node-2',
    APP: 'arena',
    MEM_MI: '256',
    CPUS: '4',
    MODE: 'pvp',
    TOKEN: 's3cret',
  });
});

test('env: a missing ConfigMap or key is CreateContainerConfigError with kubelet message', async () => {
  const resolver = new EnvResolver(fakeClient({ '/api/v1/namespaces/games/configmaps/settings': { data: {} } }));
  const fails = (env: Json[], message: string) =>
    assert.rejects(resolver.resolve({ name: 'app', env }, pod, node), (err: unknown) => err instanceof ContainerStartError && err.reason === 'CreateContainerConfigError' && err.message === message);
  await fails([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'A' } } }], 'configmap "nope" not found');
  await fails([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'settings', key: 'A' } } }], "couldn't find key A in ConfigMap games/settings");
  await fails([{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'A' } } }], 'secret "nope" not found');
});

test('hostname: the pod name, or spec.hostname, cut to 63 characters without a trailing - or .', () => {
  assert.equal(podHostname({ metadata: { name: 'web-0' } }), 'web-0');
  assert.equal(podHostname({ metadata: { name: 'web-0' }, spec: { hostname: 'arena' } }), 'arena');
  const long = `${'a'.repeat(60)}-b.c${'d'.repeat(100)}`;
  assert.equal(podHostname({ metadata: { name: long } }), `${'a'.repeat(60)}-b`);
  const cutAtDash = `${'a'.repeat(62)}-.-${'e'.repeat(10)}`;
  assert.equal(podHostname({ metadata: { name: cutAtDash } }), 'a'.repeat(62));
  assert.equal(podHostname({ metadata: { name: 'x'.repeat(253) } }).length, 63);
});
