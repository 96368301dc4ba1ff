// The image store behind the process runtime, and `hotpod image build|ls|rm`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/node/images/index.js';
import { runHotpod } from '../helpers/cli.js';

function buildDir(root: string, name: string, files: Record<string, string>, config?: unknown): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (config !== undefined) writeFileSync(join(dir, 'hotpod-image.json'), JSON.stringify(config));
  return dir;
}

const hotpod = (args: string[]) => runHotpod(args);

describe('image store', () => {
  let root: string;
  let store: ImageStore;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hotpod-images-'));
    store = new ImageStore(join(root, 'data'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('ids depend on files and config only, not on where or when they were built', () => {
    const a = buildDir(root, 'a', { 'main.js': 'x', 'lib/util.js': 'y' }, { cmd: ['node', 'main.js'] });
    const b = buildDir(root, 'b', { 'main.js': 'x', 'lib/util.js': 'y' }, { cmd: ['node', 'main.js'] });
    utimesSync(join(b, 'main.js'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    const ia = store.build(a, ['app:1']);
    const ib = store.build(b, ['app:copy']);
    assert.match(ia.id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ia.id, ib.id);
    const c = buildDir(root, 'c', { 'main.js': 'changed', 'lib/util.js': 'y' }, { cmd: ['node', 'main.js'] });
    assert.notEqual(store.build(c, ['app:2']).id, ia.id, 'content changes the id');
    const d = buildDir(root, 'd', { 'main.js': 'x', 'lib/util.js': 'y' }, { cmd: ['node', 'other.js'] });
    assert.notEqual(store.build(d, []).id, ia.id, 'config changes the id');
  });

  it('keeps symlinks and modes, leaves hotpod-image.json out of the files, reads the config', () => {
    const dir = buildDir(root, 'modes', { 'run.sh': '#!/bin/sh\necho hi\n' }, { entrypoint: 'echo hi', env: ['A=1', 'B=x=y'], workingDir: '/srv' });
    chmodSync(join(dir, 'run.sh'), 0o755);
    symlinkSync('run.sh', join(dir, 'start'));
    const img = store.build(dir, ['modes']);
    assert.deepEqual(img.config, { entrypoint: ['/bin/sh', '-c', 'echo hi'], env: { A: '1', B: 'x=y' }, workingDir: '/srv' });
    assert.equal(existsSync(join(img.rootfs, 'hotpod-image.json')), false);
    assert.equal(statSync(join(img.rootfs, 'run.sh')).mode & 0o777, 0o755);
    assert.ok(lstatSync(join(img.rootfs, 'start')).isSymbolicLink());
    assert.equal(readlinkSync(join(img.rootfs, 'start')), 'run.sh');
    assert.equal(store.resolve('modes'), img.id, 'no tag means latest');
    assert.equal(store.resolve('modes:latest'), img.id);
    assert.equal(store.resolve(`anything@${img.id}`), img.id, 'by digest');
    assert.equal(store.resolve(img.id), img.id, 'by id');
    assert.equal(store.resolve('modes:2'), undefined);
    assert.equal(store.resolve('not a ref'), undefined);
  });

  it('rejects a bad hotpod-image.json with the file named', () => {
    const bad = buildDir(root, 'bad', { 'x.txt': 'x' }, { entrypoint: ['a'], comand: ['typo'] });
    assert.throws(() => store.build(bad, ['bad:1']), /hotpod-image\.json: unknown field "comand"/);
    const notJson = buildDir(root, 'notjson', { 'x.txt': 'x' });
    writeFileSync(join(notJson, 'hotpod-image.json'), '{');
    assert.throws(() => store.build(notJson, ['bad:1']), /not valid JSON/);
    assert.throws(() => store.build(join(root, 'missing'), ['bad:1']), /not a directory/);
    assert.equal(store.resolve('bad:1'), undefined);
    assert.deepEqual(readdirSync(join(store.root, 'sha256')).filter((n) => n.startsWith('.')), [], 'no build leftovers');
  });

  it('rm untags, and deletes an image once no tag is left; by id removes every tag', () => {
    const dir = buildDir(root, 'rm', { 'f.txt': 'rm me' });
    const img = store.build(dir, ['rm:1', 'rm:alias']);
    assert.deepEqual(store.remove('rm:1'), { untagged: ['rm:1'] });
    assert.ok(store.get(img.id));
    assert.deepEqual(store.remove('rm:alias'), { untagged: ['rm:alias'], deleted: img.id });
    assert.equal(store.resolve(img.id), undefined);
    const again = store.build(dir, ['rm:1', 'rm:2']);
    const r = store.remove(again.id.slice(7, 19));
    assert.deepEqual(r.untagged.sort(), ['rm:1', 'rm:2']);
    assert.equal(r.deleted, again.id);
    assert.throws(() => store.remove('rm:1'), /no such image/);
  });

  it('stores tags with the default made explicit, a registry port not taken for a tag', () => {
    const dir = buildDir(root, 'ports', { 'p.txt': 'port' });
    const img = store.build(dir, ['localhost:5000/team/app', 'localhost:5000/team/app:v2']);
    assert.deepEqual(store.list().find((i) => i.id === img.id)?.tags, ['localhost:5000/team/app:latest', 'localhost:5000/team/app:v2']);
    assert.equal(store.resolve('localhost:5000/team/app'), img.id);
    assert.equal(store.resolve(`localhost:5000/team/app@${img.id}`), img.id);
    assert.throws(() => store.build(dir, ['app@sha256:abc']), /invalid image reference/);
  });
});

describe('hotpod image CLI', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hotpod-image-cli-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('build, ls, rm', async () => {
    const data = join(root, 'data');
    const dir = buildDir(root, 'game', { 'server.js': 'console.log(1)' }, { cmd: ['node', 'server.js'] });
    const built = await hotpod(['image', 'build', dir, '--tag', 'game:1', '-t', 'game:latest', '--data-dir', data]);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /^Successfully built [0-9a-f]{12}\nSuccessfully tagged game:1\nSuccessfully tagged game:latest\n$/);
    const ls = await hotpod(['image', 'ls', '--data-dir', data]);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trim().split('\n');
    assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.match(lines[1]!, /^game\s+1\s+[0-9a-f]{12}\s+(Less than a second|\d+ seconds?) ago\s+14B$/);
    assert.match(lines[2]!, /^game\s+latest\s+/);
    const rm = await hotpod(['image', 'rm', 'game:1', 'game:latest', 'nope:1', '--data-dir', data]);
    assert.equal(rm.code, 1);
    assert.match(rm.stdout, /^Untagged: game:1\nUntagged: game:latest\nDeleted: sha256:[0-9a-f]{64}\n$/);
    assert.match(rm.stderr, /no such image: nope:1/);
    const bad = await hotpod(['image', 'build', join(root, 'nothing'), '--tag', 'x:1', '--data-dir', data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a directory/);
  });
});
