import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPullPolicy, invalidImageMessage, parseImageReference, repositoryOf } from '../../src/util/image-reference.js';

const HEX = 'a'.repeat(64);

test('a registry port is not a tag; a digest is not a tag', () => {
  assert.deepEqual(parseImageReference('host:5000/game'), { name: 'host:5000/game', domain: 'host:5000', path: 'game', tag: undefined, digest: undefined });
  assert.deepEqual(parseImageReference('localhost:5000/team/app:v2'), { name: 'localhost:5000/team/app', domain: 'localhost:5000', path: 'team/app', tag: 'v2', digest: undefined });
  assert.deepEqual(parseImageReference(`game@sha256:${HEX}`), { name: 'game', domain: 'docker.io', path: 'library/game', tag: undefined, digest: `sha256:${HEX}` });
  assert.deepEqual(parseImageReference(`host:5000/game:1.0@sha256:${HEX}`), { name: 'host:5000/game', domain: 'host:5000', path: 'game', tag: '1.0', digest: `sha256:${HEX}` });
  assert.deepEqual(parseImageReference('[::1]:5000/game:v1')?.domain, '[::1]:5000');
});

test('image references: kubelet accepts these and refuses those', () => {
  assert.deepEqual(parseImageReference('nginx'), { name: 'nginx', domain: 'docker.io', path: 'library/nginx', tag: undefined, digest: undefined });
  assert.deepEqual(parseImageReference('registry.cn-hangzhou.aliyuncs.com/gs-demo/sidecar:v0.1'), { name: 'registry.cn-hangzhou.aliyuncs.com/gs-demo/sidecar', domain: 'registry.cn-hangzhou.aliyuncs.com', path: 'gs-demo/sidecar', tag: 'v0.1', digest: undefined });
  assert.equal(parseImageReference('localhost:5000/game:1.0')?.domain, 'localhost:5000');
  assert.equal(invalidImageMessage('Bad'), 'Failed to apply default image tag "Bad": couldn\'t parse image name "Bad": invalid reference format');
});

test('Docker Hub names are qualified; the name keeps what was written', () => {
  const r = parseImageReference('game/server:v1')!;
  assert.equal(r.name, 'game/server');
  assert.equal(repositoryOf(r), 'docker.io/game/server');
  assert.equal(repositoryOf(parseImageReference('index.docker.io/nginx')!), 'docker.io/library/nginx');
  assert.equal(repositoryOf(parseImageReference('registry.example.com/game/engine:v1')!), 'registry.example.com/game/engine');
});

test('invalid references', () => {
  for (const bad of ['Game/Server:v1', 'game:', 'game::v1', ' game', 'game/', 'game:v 1', '', 'app@sha256:abc', HEX, 'host:5000/game:v1:v2', `${'a'.repeat(256)}:v1`]) {
    assert.equal(parseImageReference(bad), undefined, bad);
  }
});

test('default pull policy as kube-apiserver sets it', () => {
  assert.equal(defaultPullPolicy('game'), 'Always');
  assert.equal(defaultPullPolicy('game:latest'), 'Always');
  assert.equal(defaultPullPolicy('host:5000/game'), 'Always', 'a port is not a tag');
  assert.equal(defaultPullPolicy('host:5000/game:v1'), 'IfNotPresent');
  assert.equal(defaultPullPolicy(`game@sha256:${HEX}`), 'IfNotPresent');
  assert.equal(defaultPullPolicy(`game:latest@sha256:${HEX}`), 'Always');
  assert.equal(defaultPullPolicy('Not/Valid'), 'IfNotPresent');
  assert.equal(defaultPullPolicy(undefined), 'IfNotPresent');
});
