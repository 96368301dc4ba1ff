import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategicMergePatch } from '../../src/apiserver/patch/strategic.js';
import { ApiError } from '../../src/apiserver/errors.js';

type Json = any;

/** Patches and also checks that no directive leaked into the result. */
function smp(original: Json, patch: Json): Json {
  const result = strategicMergePatch(original, patch);
  assert.deepEqual(directiveKeys(result), [], 'directive keys left in the result');
  return result;
}

function directiveKeys(v: Json, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => directiveKeys(x, `${path}[${i}]`));
  if (v && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => [
      ...(k.startsWith('$') ? [`${path}.${k}`] : []),
      ...directiveKeys(x, `${path}.${k}`),
    ]);
  }
  return [];
}

function badRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.match(err.message, pattern);
    return true;
  });
}

const names = (list: Json[]) => list.map((c) => c.name);

function deployment(containers: Json[], extra: Json = {}): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers, ...extra } },
    },
  };
}

const podSpecPatch = (spec: Json) => ({ spec: { template: { spec } } });

// --- maps, labels and annotations ---------------------------------------------------------------

test('kubectl label: adds a label and keeps the others', () => {
  const result = smp(deployment([]), { metadata: { labels: { tier: 'fe' } } });
  assert.deepEqual(result.metadata.labels, { app: 'web', tier: 'fe' });
  assert.equal(result.spec.replicas, 2);
});

test('kubectl label app-: null removes the label', () => {
  const result = smp(deployment([]), { metadata: { labels: { app: null } } });
  assert.deepEqual(result.metadata.labels, {});
  assert.deepEqual(result.spec.template.metadata.labels, { app: 'web' });
});

test('kubectl annotate on an object without annotations creates the map', () => {
  const result = smp(deployment([]), { metadata: { annotations: { note: 'x', gone: null } } });
  assert.deepEqual(result.metadata.annotations, { note: 'x' });
});

test('kubectl rollout restart: a template annotation is added, containers untouched', () => {
  const original = deployment([{ name: 'a', image: 'a:1' }]);
  const at = '2024-01-01T00:00:00Z';
  const result = smp(original, {
    spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } },
  });
  assert.equal(result.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], at);
  assert.deepEqual(result.spec.template.spec.containers, [{ name: 'a', image: 'a:1' }]);
});

test('scalars replace, and a field of another type is replaced by the patch value', () => {
  const result = smp({ a: 1, b: [1], c: 'x' }, { a: 2, b: { k: 'v', n: null }, c: ['y'] });
  assert.deepEqual(result, { a: 2, b: { k: 'v' }, c: ['y'] });
});

test('$patch: replace on a map replaces it instead of merging', () => {
  const original = { spec: { nodeSelector: { zone: 'a', disk: 'ssd' } } };
  const result = smp(original, { spec: { nodeSelector: { $patch: 'replace', zone: 'b' } } });
  assert.deepEqual(result, { spec: { nodeSelector: { zone: 'b' } } });
});

test('$patch: delete on a map empties it, as kube-apiserver does', () => {
  const original = { spec: { nodeSelector: { zone: 'a' }, replicas: 1 } };
  const result = smp(original, { spec: { nodeSelector: { $patch: 'delete', zone: 'b' } } });
  assert.deepEqual(result, { spec: { nodeSelector: {}, replicas: 1 } });
});

test('$patch: merge on a map is the default behaviour', () => {
  const result = smp({ m: { a: 1 } }, { m: { $patch: 'merge', b: 2 } });
  assert.deepEqual(result, { m: { a: 1, b: 2 } });
});

test('$retainKeys drops fields not listed (apply switching strategy to Recreate)', () => {
  const original = deployment([], {});
  original.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const result = smp(original, {
    spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
  });
  assert.deepEqual(result.spec.strategy, { type: 'Recreate' });
});

test('$retainKeys keeps the listed fields and still merges nested maps', () => {
  const original = { m: { name: 'foo', value: 'bar', other: 'x', simpleMap: { key1: 'a', key2: 'b' } } };
  const result = smp(original, { m: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key1: 'x' } } });
  assert.deepEqual(result, { m: { name: 'foo', value: 'bar', simpleMap: { key1: 'x', key2: 'b' } } });
});

test('$retainKeys inside a list element (volumes switching source)', () => {
  const original = deployment([], { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] });
  const result = smp(
    original,
    podSpecPatch({
      volumes: [{ $retainKeys: ['hostPath', 'name'], name: 'data', hostPath: { path: '/d' } }],
    }),
  );
  assert.deepEqual(result.spec.template.spec.volumes, [
    { name: 'data', hostPath: { path: '/d' } },
    { name: 'cfg', configMap: { name: 'c' } },
  ]);
});

// --- lists merged by key --------------------------------------------------------------------------

test('kubectl apply: one container image changes, $setElementOrder keeps the order', () => {
  const original = deployment([
    { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] },
    { name: 'log', image: 'log:1' },
  ]);
  const result = smp(
    original,
    podSpecPatch({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'log' }],
      containers: [{ name: 'log', image: 'log:2' }],
    }),
  );
  assert.deepEqual(result.spec.template.spec.containers, [
    { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] },
    { name: 'log', image: 'log:2' },
  ]);
});

test('kubectl apply: a container injected by the server keeps its place between configured ones', () => {
  const original = deployment([
    { name: 'app', image: 'app:1' },
    { name: 'sidecar', image: 'proxy' },
    { name: 'log', image: 'log:1' },
  ]);
  const result = smp(
    original,
    podSpecPatch({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'log' }],
      containers: [{ name: 'app', image: 'app:2' }],
    }),
  );
  assert.deepEqual(names(result.spec.template.spec.containers), ['app', 'sidecar', 'log']);
  assert.equal(result.spec.template.spec.containers[0].image, 'app:2');
});

test('kubectl apply: adding a container places it where $setElementOrder says', () => {
  const original = deployment([{ name: 'a', image: 'a' }, { name: 'c', image: 'c' }]);
  const result = smp(
    original,
    podSpecPatch({
      '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      containers: [{ name: 'b', image: 'b' }],
    }),
  );
  assert.deepEqual(names(result.spec.template.spec.containers), ['a', 'b', 'c']);
});

test('kubectl apply: removing a container sends $patch: delete with the merge key', () => {
  const original = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
  const result = smp(
    original,
    podSpecPatch({
      '$setElementOrder/containers': [{ name: 'a' }],
      containers: [{ $patch: 'delete', name: 'b' }],
    }),
  );
  assert.deepEqual(result.spec.template.spec.containers, [{ name: 'a', image: 'a' }]);
});

test('$setElementOrder alone reorders an existing list', () => {
  const original = deployment([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  const result = smp(original, podSpecPatch({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] }));
  assert.deepEqual(names(result.spec.template.spec.containers), ['c', 'a', 'b']);
});

test('$setElementOrder entries that are not in the list are ignored', () => {
  const result = smp(
    { spec: { containers: [{ name: '1' }, { name: '3' }] } },
    {
      spec: {
        '$setElementOrder/containers': [{ name: '3' }, { name: '2' }, { name: '1' }],
        containers: [{ name: '3', image: 'x' }, { name: '1', image: 'y' }],
      },
    },
  );
  assert.deepEqual(result.spec.containers, [{ name: '3', image: 'x' }, { name: '1', image: 'y' }]);
});

test('$setElementOrder that contradicts the patch list is a 400', () => {
  badRequest(
    () =>
      strategicMergePatch(
        { spec: { containers: [{ name: '1' }, { name: '3' }, { name: '2' }] } },
        {
          spec: {
            '$setElementOrder/containers': [{ name: '1' }, { name: '2' }, { name: '3' }],
            containers: [{ name: '3', image: 'x' }, { name: '1', image: 'y' }],
          },
        },
      ),
    /doesn't match \$setElementOrder/,
  );
});

test('kubectl set image / patch: a container matched by name is merged in place', () => {
  const original = deployment([
    { name: 'app', image: 'app:1', args: ['--a'] },
    { name: 'log', image: 'log:1' },
  ]);
  const result = smp(original, podSpecPatch({ containers: [{ name: 'app', image: 'app:2' }] }));
  assert.deepEqual(result.spec.template.spec.containers, [
    { name: 'app', image: 'app:2', args: ['--a'] },
    { name: 'log', image: 'log:1' },
  ]);
});

test('kubectl patch without $setElementOrder: a new container goes first (docs patch-demo)', () => {
  const original = deployment([{ name: 'patch-demo-ctr', image: 'nginx' }], {
    tolerations: [{ effect: 'NoSchedule', key: 'dedicated', value: 'test-team' }],
  });
  const result = smp(
    original,
    podSpecPatch({
      containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }],
      tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }],
    }),
  );
  assert.deepEqual(result.spec.template.spec.containers, [
    { name: 'patch-demo-ctr-2', image: 'redis' },
    { name: 'patch-demo-ctr', image: 'nginx' },
  ]);
  // tolerations have no merge strategy: the patch's list replaces the original.
  assert.deepEqual(result.spec.template.spec.tolerations, [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }]);
});

test('patch order wins for named elements; server-only ones keep their live position', () => {
  const original = { spec: { containers: [{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }] } };
  const result = smp(original, { spec: { containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }] } });
  assert.deepEqual(result.spec.containers, [
    { name: '2', image: 'b' },
    { name: '3', image: 'c' },
    { name: '1', image: 'a' },
  ]);
});

test('$patch: delete removes every element with that key; absent keys are ignored', () => {
  const original = { spec: { containers: [{ name: 'a' }, { name: 'a', x: 1 }, { name: 'b' }] } };
  const result = smp(original, {
    spec: { containers: [{ name: 'a', $patch: 'delete' }, { name: 'zzz', $patch: 'delete' }] },
  });
  assert.deepEqual(result.spec.containers, [{ name: 'b' }]);
});

test('{$patch: replace} in a list makes the list exactly the other elements', () => {
  const original = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
  const result = smp(original, podSpecPatch({ containers: [{ name: 'c', image: 'c' }, { $patch: 'replace' }] }));
  assert.deepEqual(result.spec.template.spec.containers, [{ name: 'c', image: 'c' }]);
  const emptied = smp(original, podSpecPatch({ containers: [{ $patch: 'replace' }] }));
  assert.deepEqual(emptied.spec.template.spec.containers, []);
});

test('an empty merging list in the patch changes nothing', () => {
  const original = deployment([{ name: 'a', image: 'a' }]);
  const result = smp(original, podSpecPatch({ containers: [] }));
  assert.deepEqual(result.spec.template.spec.containers, [{ name: 'a', image: 'a' }]);
});

test('a new merging list has its directives and nulls removed', () => {
  const result = smp(
    { spec: {} },
    { spec: { containers: [{ name: 'hello', image: 'h', command: null }, { $patch: 'delete', name: 'nope' }] } },
  );
  assert.deepEqual(result.spec.containers, [{ name: 'hello', image: 'h' }]);
});

test('env merges by name inside a container, and an env var can be deleted', () => {
  const original = deployment([
    { name: 'app', image: 'a', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }] },
  ]);
  const result = smp(
    original,
    podSpecPatch({
      containers: [
        {
          name: 'app',
          env: [{ name: 'B', value: 'two' }, { name: 'C', $patch: 'delete' }, { name: 'D', valueFrom: { fieldRef: { fieldPath: 'x' } } }],
        },
      ],
    }),
  );
  assert.deepEqual(result.spec.template.spec.containers[0].env, [
    { name: 'A', value: '1' },
    { name: 'B', value: 'two' },
    { name: 'D', valueFrom: { fieldRef: { fieldPath: 'x' } } },
  ]);
});

test('env value replaced by valueFrom: null removes the old value', () => {
  const original = deployment([{ name: 'app', env: [{ name: 'A', value: '1' }] }]);
  const result = smp(
    original,
    podSpecPatch({ containers: [{ name: 'app', env: [{ name: 'A', value: null, valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] }),
  );
  assert.deepEqual(result.spec.template.spec.containers[0].env, [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]);
});

test('container ports merge by containerPort', () => {
  const original = deployment([{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }]);
  const result = smp(
    original,
    podSpecPatch({ containers: [{ name: 'app', ports: [{ containerPort: 443, name: 'https' }, { containerPort: 80, $patch: 'delete' }] }] }),
  );
  assert.deepEqual(result.spec.template.spec.containers[0].ports, [{ containerPort: 443, name: 'https' }]);
});

test('service spec.ports merge by port', () => {
  const svc = { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }], selector: { app: 'x' } } };
  const result = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } });
  assert.deepEqual(result.spec.ports, [
    { port: 80, targetPort: 9090 },
    { port: 443, targetPort: 8443 },
  ]);
  assert.deepEqual(result.spec.selector, { app: 'x' });
});

test('volumeMounts merge by mountPath and volumes by name', () => {
  const original = deployment(
    [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg' }] }],
    { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] },
  );
  const result = smp(
    original,
    podSpecPatch({
      containers: [{ name: 'app', volumeMounts: [{ mountPath: '/data', readOnly: true }] }],
      volumes: [{ name: 'cfg', configMap: { name: 'c2' } }],
    }),
  );
  assert.deepEqual(result.spec.template.spec.containers[0].volumeMounts, [
    { name: 'data', mountPath: '/data', readOnly: true },
    { name: 'cfg', mountPath: '/etc/cfg' },
  ]);
  assert.deepEqual(result.spec.template.spec.volumes, [
    { name: 'data', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'c2' } },
  ]);
});

test('initContainers, imagePullSecrets, hostAliases and topologySpreadConstraints merge by their keys', () => {
  const original = deployment([], {
    initContainers: [{ name: 'init', image: 'i:1' }, { name: 'init2', image: 'j:1' }],
    imagePullSecrets: [{ name: 'reg1' }],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }, { ip: '10.0.0.2', hostnames: ['c'] }],
    topologySpreadConstraints: [
      { topologyKey: 'zone', maxSkew: 1 },
      { topologyKey: 'host', maxSkew: 1 },
    ],
  });
  const result = smp(
    original,
    podSpecPatch({
      initContainers: [{ name: 'init', image: 'i:2' }],
      imagePullSecrets: [{ name: 'reg2' }],
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }],
      topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 2 }],
    }),
  );
  const spec = result.spec.template.spec;
  assert.deepEqual(spec.initContainers, [
    { name: 'init', image: 'i:2' },
    { name: 'init2', image: 'j:1' },
  ]);
  assert.deepEqual(spec.imagePullSecrets, [{ name: 'reg2' }, { name: 'reg1' }]);
  // hostnames itself is an atomic list
  assert.deepEqual(spec.hostAliases, [
    { ip: '10.0.0.1', hostnames: ['b'] },
    { ip: '10.0.0.2', hostnames: ['c'] },
  ]);
  assert.deepEqual(spec.topologySpreadConstraints, [
    { topologyKey: 'zone', maxSkew: 2 },
    { topologyKey: 'host', maxSkew: 1 },
  ]);
});

test('containers deep inside a CronJob merge by name too', () => {
  const cron = {
    spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } } } },
  };
  const result = smp(cron, {
    spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } } },
  });
  assert.deepEqual(result.spec.jobTemplate.spec.template.spec.containers, [
    { name: 'a', image: 'a:1' },
    { name: 'b', image: 'b:2' },
  ]);
});

test('status.conditions merge by type (status patch from a controller)', () => {
  const pod = {
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
      ],
    },
  };
  const result = smp(pod, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', reason: null }, { type: 'Initialized', status: 'True' }] },
  });
  assert.equal(result.status.phase, 'Running');
  assert.deepEqual(result.status.conditions, [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: 'True' },
    { type: 'Initialized', status: 'True' },
  ]);
});

test('metadata.ownerReferences merge by uid', () => {
  const original = {
    metadata: {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'A', name: 'a', uid: 'u1' },
        { apiVersion: 'v1', kind: 'B', name: 'b', uid: 'u2' },
      ],
    },
  };
  const result = smp(original, {
    metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', $patch: 'delete' }] },
  });
  assert.deepEqual(result.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'A', name: 'a', uid: 'u1', controller: true }]);
});

test('lists without a merge strategy are replaced (args, command, tolerations)', () => {
  const original = deployment([{ name: 'app', args: ['--a', '--b'], command: ['run'] }]);
  const result = smp(original, podSpecPatch({ containers: [{ name: 'app', args: ['--c'] }] }));
  assert.deepEqual(result.spec.template.spec.containers[0], { name: 'app', args: ['--c'], command: ['run'] });
});

test('a list element without its merge key is a 400', () => {
  badRequest(
    () => strategicMergePatch(deployment([{ name: 'a' }]), podSpecPatch({ containers: [{ image: 'x' }] })),
    /does not contain declared merge key: name/,
  );
  badRequest(
    () => strategicMergePatch(deployment([{ name: 'a' }]), podSpecPatch({ containers: [{ $patch: 'delete', image: 'x' }] })),
    /does not contain declared merge key: name/,
  );
  badRequest(() => strategicMergePatch(deployment([{ name: 'a' }]), podSpecPatch({ containers: ['a'] })), /merged by "name"/);
});

// --- primitive lists ---------------------------------------------------------------------------------

test('metadata.finalizers is a set: union keeping order, new ones first like kube', () => {
  const original = { metadata: { finalizers: ['a', 'b'] } };
  assert.deepEqual(smp(original, { metadata: { finalizers: ['b'] } }).metadata.finalizers, ['a', 'b']);
  assert.deepEqual(smp(original, { metadata: { finalizers: ['c'] } }).metadata.finalizers, ['c', 'a', 'b']);
  assert.deepEqual(smp({ metadata: {} }, { metadata: { finalizers: ['x', 'x'] } }).metadata.finalizers, ['x']);
});

test('finalizers: null removes them all (the usual way to unstick an object)', () => {
  const result = smp({ metadata: { name: 'n', finalizers: ['a'] } }, { metadata: { finalizers: null } });
  assert.deepEqual(result.metadata, { name: 'n' });
});

test('$deleteFromPrimitiveList removes values, including duplicates, and ignores absent ones', () => {
  const original = { metadata: { finalizers: ['a', 'b', 'b', 'c'] } };
  const result = smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zzz'] } });
  assert.deepEqual(result.metadata.finalizers, ['a', 'c']);
  const none = smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } });
  assert.deepEqual(none.metadata, {});
});

test('kubectl apply on a primitive set: add, delete and order in one patch', () => {
  const original = { metadata: { finalizers: ['1', '2', '3', '4'] } };
  const result = smp(original, {
    metadata: {
      '$setElementOrder/finalizers': ['1', '2', '5'],
      '$deleteFromPrimitiveList/finalizers': ['3'],
      finalizers: ['5'],
    },
  });
  // 4 was never in the applied config: it stays after the configured ones it followed.
  assert.deepEqual(result.metadata.finalizers, ['1', '2', '5', '4']);
});

// --- kubectl edit / three-way patches ------------------------------------------------------------------

test('kubectl edit style patch: several directives together', () => {
  const original = deployment(
    [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } } },
      { name: 'old', image: 'old' },
    ],
    { nodeSelector: { zone: 'a' } },
  );
  original.metadata.annotations = { keep: 'k', drop: 'd' };
  const patch = {
    metadata: { annotations: { drop: null, add: 'a' } },
    spec: {
      replicas: 3,
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'app' }, { name: 'new' }],
          containers: [
            { name: 'app', '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }], env: [{ name: 'B', value: '2' }], resources: { limits: null } },
            { name: 'new', image: 'new' },
            { name: 'old', $patch: 'delete' },
          ],
          nodeSelector: null,
        },
      },
    },
  };
  const result = smp(original, patch);
  assert.deepEqual(result.metadata.annotations, { keep: 'k', add: 'a' });
  assert.equal(result.spec.replicas, 3);
  assert.deepEqual(result.spec.template.spec, {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], resources: {} },
      { name: 'new', image: 'new' },
    ],
  });
});

// --- errors and safety -----------------------------------------------------------------------------------

test('unknown $patch values are a 400', () => {
  badRequest(() => strategicMergePatch({ m: {} }, { m: { $patch: 'explode' } }), /unknown patch type: "explode"/);
  badRequest(
    () => strategicMergePatch(deployment([]), podSpecPatch({ containers: [{ name: 'a', $patch: 'explode' }] })),
    /unknown patch type/,
  );
});

test('malformed directive values are a 400', () => {
  badRequest(() => strategicMergePatch({}, { '$setElementOrder/x': 'a' }), /setElementOrder/);
  badRequest(() => strategicMergePatch({}, { '$deleteFromPrimitiveList/x': { a: 1 } }), /primitive list/);
  badRequest(() => strategicMergePatch({}, { m: { $retainKeys: 'name' } }), /retainKeys/);
  badRequest(() => strategicMergePatch({}, { m: { $retainKeys: [1] } }), /retainKeys/);
  badRequest(() => strategicMergePatch({}, { m: { $retainKeys: ['a'], b: 1 } }), /doesn't match retainKeys/);
  badRequest(
    () => strategicMergePatch(deployment([{ name: 'a' }]), podSpecPatch({ '$setElementOrder/containers': [{ image: 'x' }] })),
    /merge key: name/,
  );
});

test('a patch that is not a JSON object is a 400', () => {
  badRequest(() => strategicMergePatch({}, [{ op: 'add' }]), /cannot unmarshal array/);
  badRequest(() => strategicMergePatch({}, null), /cannot unmarshal null/);
});

test('$patch: delete at the root leaves an empty object', () => {
  assert.deepEqual(smp({ a: 1 }, { $patch: 'delete' }), {});
});

test('inputs are not modified and the result shares nothing with them', () => {
  const original = deployment([{ name: 'a', image: 'a', env: [{ name: 'X', value: '1' }] }], { nodeSelector: { z: '1' } });
  const patch = podSpecPatch({
    '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
    containers: [{ name: 'b', image: 'b', env: [{ name: 'Y', value: '2' }] }],
    nodeSelector: { $patch: 'replace', z: '2' },
  });
  const originalCopy = structuredClone(original);
  const patchCopy = structuredClone(patch);
  const result = smp(original, patch);
  assert.deepEqual(original, originalCopy);
  assert.deepEqual(patch, patchCopy);
  result.spec.template.spec.containers[0].env[0].value = 'changed';
  result.spec.template.spec.containers[1].env[0].value = 'changed';
  assert.equal(original.spec.template.spec.containers[0].env[0].value, '1');
  assert.equal(patch.spec.template.spec.containers[0].env[0].value, '2');
});

test('a __proto__ key in a patch is data, not a prototype change', () => {
  const result = smp({}, JSON.parse('{"metadata": {"labels": {"__proto__": {"polluted": "yes"}}}}'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(result.metadata.labels), Object.prototype);
});
