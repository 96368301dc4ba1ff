// The seeds' manifests, applied unchanged with kubectl to `hotpod up` after deploy/crds: stored
// with the reference defaults, pod templates kept whole, printed with the reference columns,
// explained, and bad values refused with their field causes.
//
// Fixtures: gameserverset-minecraft.yaml is seed 000's GameServerSet, byte for byte (checked
// below when the seed text is beside the project); gamedeployment-hotpatch.yaml stands in for
// BCS's example/hotpatch-update.yaml, which seed 004 applies without quoting (see its header).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import {
  apiOk,
  ensureNamespace,
  fixturePath,
  kubectls,
  parseTable,
  projectRoot,
  runKubectl,
  startCluster,
  type Cluster,
  type Kubectl,
} from '../helpers/cluster.js';
import { toYaml, type Obj } from '../helpers/fixtures.js';

const GSS_FIXTURE = 'gameserverset-minecraft.yaml';
const GD_FIXTURE = 'gamedeployment-hotpatch.yaml';
const SEED_000 = join(projectRoot, '..', 'shared', 'seeds', '000_e6d4910f86b54047.txt');
const NS = 'api-seed';
const CRDS = ['gameservers.game.kruise.io', 'gameserversets.game.kruise.io', 'gamedeployments.tkex.tencent.com', 'hooktemplates.tkex.tencent.com', 'hookruns.tkex.tencent.com'];

const readFixture = (name: string): Obj => YAML.parse(readFileSync(fixturePath(name), 'utf8')) as Obj;

/** kubectl 1.35 (the brief's), else the newest found. */
function kubectl135(): Kubectl {
  const all = kubectls();
  return all.find((k) => k.version === '1.35') ?? all[all.length - 1]!;
}

/** A pod template using much of PodSpec, none of which the CRDs declare: all of it must survive. */
function richTemplate(app: string): Obj {
  return {
    metadata: {
      labels: { app, 'gs-sync/team': 'blue' },
      annotations: { 'example.com/note': 'kept' },
    },
    spec: {
      terminationGracePeriodSeconds: 45,
      nodeSelector: { pool: 'game' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'game', effect: 'NoSchedule' }],
      readinessGates: [{ conditionType: 'example.com/ready' }],
      volumes: [{ name: 'scripts', emptyDir: {} }],
      containers: [
        {
          name: 'engine',
          image: 'registry.example/engine:1.0',
          imagePullPolicy: 'IfNotPresent',
          args: ['--port', '7777'],
          env: [{ name: 'MODE', value: 'ranked' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          ports: [{ name: 'game', containerPort: 7777, protocol: 'UDP' }],
          resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } },
          readinessProbe: { tcpSocket: { port: 7777 }, periodSeconds: 2 },
          volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
        },
        { name: 'sidecar', image: 'registry.example/scripts:v1', command: ['/bin/sync'] },
      ],
    },
  };
}

describe('seed manifests on hotpod up', { timeout: 300_000 }, () => {
  let c: Cluster;
  const k = kubectl135();
  const kubectl = (args: string[], input?: string) => runKubectl(k, c, args, { input });
  const ok = async (args: string[], input?: string) => {
    const r = await kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (args: string[]): Promise<Obj> => JSON.parse(await ok(['get', ...args, '-o', 'json'])) as Obj;

  before(async () => {
    c = await startCluster({ inMemory: true });
    await ensureNamespace(c, NS);
  });
  after(async () => {
    await c?.cleanup();
  });

  it('seed 000 fixture is the seed text exactly', { skip: !existsSync(SEED_000) && 'seed text not beside the project' }, () => {
    const seed = readFileSync(SEED_000, 'utf8');
    const start = seed.indexOf('cat <<EOF | kubectl apply -f -\n') + 'cat <<EOF | kubectl apply -f -\n'.length;
    const end = seed.indexOf('\nEOF', start);
    assert.equal(readFileSync(fixturePath(GSS_FIXTURE), 'utf8'), seed.slice(start, end + 1));
  });

  it('applies deploy/crds, which become Established', async () => {
    const out = await ok(['apply', '-f', join(projectRoot, 'deploy', 'crds')]);
    // `hotpod up` installs them at startup already: applying them again only adds kubectl's
    // last-applied annotation ("configured"); on a cluster without them they are "created".
    const lines = out.trim().split('\n').sort();
    assert.equal(lines.length, CRDS.length, out);
    [...CRDS].sort().forEach((n, i) => assert.match(lines[i]!, new RegExp(`^customresourcedefinition\\.apiextensions\\.k8s\\.io/${n.replace(/\./g, '\\.')} (created|configured)$`)));
    await ok(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((n) => `crd/${n}`)]);
  });

  it("applies seed 000's GameServerSet unchanged, stored with the reference defaults", async () => {
    assert.equal((await ok(['apply', '-f', fixturePath(GSS_FIXTURE)])).trim(), 'gameserverset.game.kruise.io/minecraft created');
    const manifest = readFixture(GSS_FIXTURE);
    const got = await getJson(['gss', 'minecraft', '-n', 'default']);
    assert.deepEqual(got.spec, {
      replicas: 3,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 1 } },
      scaleStrategy: { scaleDownStrategyType: 'General' },
      gameServerTemplate: manifest.spec.gameServerTemplate,
    });
    assert.equal((await ok(['apply', '-f', fixturePath(GSS_FIXTURE)])).trim(), 'gameserverset.game.kruise.io/minecraft unchanged');
  });

  it("applies seed 004's GameDeployment, stored with BCS's defaults", async () => {
    assert.equal((await ok(['apply', '-n', 'default', '-f', fixturePath(GD_FIXTURE)])).trim(), 'gamedeployment.tkex.tencent.com/test-gamedeployment created');
    const manifest = readFixture(GD_FIXTURE);
    const got = await getJson(['gamedeployment', 'test-gamedeployment', '-n', 'default']);
    assert.deepEqual(got.spec, {
      ...manifest.spec,
      updateStrategy: { type: 'HotPatchUpdate', partition: 3, maxUnavailable: '25%', maxSurge: '25%', paused: false },
      revisionHistoryLimit: 10,
      minReadySeconds: 0,
      disableReadinessGate: false,
    });
    assert.equal(got.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'undeclared container fields are kept');
  });

  it('keeps every field of a rich pod template (GameServerSet and GameDeployment)', async () => {
    const gss = {
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: 'arena', namespace: NS },
      spec: {
        replicas: 2,
        gameServerTemplate: {
          ...richTemplate('arena'),
          volumeClaimTemplates: [
            { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
          ],
          reclaimPolicy: 'Delete',
        },
        reserveGameServerIds: [1, '4-6'],
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: '50%', podUpdatePolicy: 'InPlaceOnly', paused: false, minReadySeconds: 10, inPlaceUpdateStrategy: { gracePeriodSeconds: 5 } } },
        scaleStrategy: { maxUnavailable: 2, scaleDownStrategyType: 'ReserveIds' },
        network: { networkType: 'HostPort', networkConf: [{ name: 'ContainerPorts', value: 'engine:7777/UDP' }] },
        serviceQualities: [
          { name: 'healthy', containerName: 'engine', permanent: false, exec: { command: ['/bin/check'] }, serviceQualityAction: [{ state: false, opsState: 'WaitToBeDeleted' }] },
        ],
      },
    };
    const gd = {
      apiVersion: 'tkex.tencent.com/v1alpha1',
      kind: 'GameDeployment',
      metadata: { name: 'arena-gd', namespace: NS },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'arena-gd' } },
        template: richTemplate('arena-gd'),
        updateStrategy: {
          type: 'InplaceUpdate',
          partition: 1,
          maxUnavailable: 2,
          maxSurge: '25%',
          paused: true,
          inPlaceUpdateStrategy: { gracePeriodSeconds: 30, policy: 'OrderedReady' },
          canary: { steps: [{ partition: 3 }, { pause: {} }, { partition: 2 }, { pause: { duration: 60 } }, { hook: { templateName: 'test' } }] },
        },
        preDeleteUpdateStrategy: { hook: { templateName: 'drain', args: [{ name: 'grace', value: '30' }] }, retry: true },
        revisionHistoryLimit: 3,
        minReadySeconds: 5,
        disableReadinessGate: true,
        scaleStrategy: { podsToDelete: [], createBatch: '50%' },
      },
    };
    await ok(['apply', '-f', '-'], toYaml(gss, gd));
    assert.deepEqual((await getJson(['gss', 'arena', '-n', NS])).spec, gss.spec);
    assert.deepEqual((await getJson(['gamedeployment', 'arena-gd', '-n', NS])).spec, gd.spec);
  });

  it('stores a GameServer with opsState None and priorities 0', async () => {
    const gs = { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServer', metadata: { name: 'lobby-0', namespace: NS } };
    await ok(['apply', '-f', '-'], toYaml(gs));
    assert.deepEqual((await getJson(['gs', 'lobby-0', '-n', NS])).spec, { opsState: 'None', updatePriority: 0, deletionPriority: 0 });
  });

  it('prints the reference columns for gss, gs and gamedeployment', async () => {
    const gss = parseTable(await ok(['get', 'gss', 'minecraft', '-n', 'default']));
    assert.deepEqual(gss.headers, ['NAME', 'DESIRED', 'CURRENT', 'UPDATED', 'READY', 'MAINTAINING', 'WAITTOBEDELETED', 'PREDELETE', 'AGE']);
    assert.equal(gss.rows[0]?.NAME, 'minecraft');
    assert.equal(gss.rows[0]?.DESIRED, '3');

    const gs = parseTable(await ok(['get', 'gs', 'lobby-0', '-n', NS]));
    assert.deepEqual(gs.headers, ['NAME', 'STATE', 'OPSSTATE', 'DP', 'UP', 'AGE']);
    assert.equal(gs.rows[0]?.OPSSTATE, 'None');

    const gd = parseTable(await ok(['get', 'gamedeployment', 'test-gamedeployment', '-n', 'default']));
    assert.deepEqual(gd.headers, ['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'READY', 'TOTAL', 'AGE']);
    assert.equal(gd.rows[0]?.DESIRED, '8');

    // category hotpod: every kind at once (a controller may have added GameServers of the set)
    const all = (await ok(['get', 'hotpod', '-n', NS, '-o', 'name'])).trim().split('\n');
    for (const name of ['gameserverset.game.kruise.io/arena', 'gameserver.game.kruise.io/lobby-0', 'gamedeployment.tkex.tencent.com/arena-gd']) {
      assert.ok(all.includes(name), `${name} in: ${all.join(', ')}`);
    }
  });

  it('serves the scale subresource from spec.replicas', async () => {
    const scale = await apiOk(c, 'GET', '/apis/game.kruise.io/v1alpha1/namespaces/default/gameserversets/minecraft/scale');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 3);
    assert.equal((await ok(['scale', 'gamedeployment', 'test-gamedeployment', '-n', 'default', '--replicas=8'])).trim(), 'gamedeployment.tkex.tencent.com/test-gamedeployment scaled');
  });

  it('explains gss.spec.updateStrategy.rollingUpdate', async () => {
    const out = await ok(['explain', 'gss.spec.updateStrategy.rollingUpdate']);
    assert.match(out, /KIND:\s+GameServerSet/);
    assert.match(out, /FIELD: rollingUpdate <Object>/);
    for (const [field, type] of [
      ['partition', 'integer'],
      ['podUpdatePolicy', 'string'],
      ['minReadySeconds', 'integer'],
      ['paused', 'boolean'],
      ['inPlaceUpdateStrategy', 'Object'],
    ]) {
      assert.match(out, new RegExp(`^  ${field}\\t<${type}>`, 'm'), `${field} <${type}> in:\n${out}`);
    }
    assert.match(out, /^  maxUnavailable\t</m);
    assert.match(out, /enum: ReCreate, InPlaceIfPossible, InPlaceOnly/);
    const gd = await ok(['explain', 'gamedeployment.spec.updateStrategy.type']);
    assert.match(gd, /FIELD: type <string>\nENUM:\n\s+OnDelete\n\s+RollingUpdate\n\s+InplaceUpdate\n\s+HotPatchUpdate\n/);
  });

  describe('refuses bad values with their field causes', () => {
    const variant = (fixture: string, name: string, edit: (o: Obj) => void): string => {
      const o = readFixture(fixture);
      o.metadata.name = name;
      o.metadata.namespace = NS;
      edit(o);
      return toYaml(o);
    };
    const cases: { name: string; kind: string; fixture: string; edit: (o: Obj) => void; causes: string[] }[] = [
      {
        name: 'bad-policy',
        kind: 'GameServerSet',
        fixture: GSS_FIXTURE,
        edit: (o) => (o.spec.updateStrategy.rollingUpdate.podUpdatePolicy = 'Foo'),
        causes: ['spec.updateStrategy.rollingUpdate.podUpdatePolicy: Unsupported value: "Foo": supported values: "ReCreate", "InPlaceIfPossible", "InPlaceOnly"'],
      },
      {
        name: 'bad-min-ready',
        kind: 'GameServerSet',
        fixture: GSS_FIXTURE,
        edit: (o) => (o.spec.updateStrategy.rollingUpdate.minReadySeconds = 400),
        causes: ['spec.updateStrategy.rollingUpdate.minReadySeconds: Invalid value: 400: spec.updateStrategy.rollingUpdate.minReadySeconds in body should be less than or equal to 300'],
      },
      {
        name: 'bad-replicas',
        kind: 'GameServerSet',
        fixture: GSS_FIXTURE,
        edit: (o) => (o.spec.replicas = -1),
        causes: ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0'],
      },
      {
        name: 'bad-all',
        kind: 'GameServerSet',
        fixture: GSS_FIXTURE,
        edit: (o) => {
          o.spec.replicas = -1;
          o.spec.updateStrategy.rollingUpdate.podUpdatePolicy = 'Foo';
          o.spec.updateStrategy.rollingUpdate.minReadySeconds = 400;
        },
        causes: [
          'spec.replicas: Invalid value: -1',
          'spec.updateStrategy.rollingUpdate.podUpdatePolicy: Unsupported value: "Foo"',
          'spec.updateStrategy.rollingUpdate.minReadySeconds: Invalid value: 400',
        ],
      },
      {
        name: 'bad-gd-replicas',
        kind: 'GameDeployment',
        fixture: GD_FIXTURE,
        edit: (o) => (o.spec.replicas = -1),
        causes: ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0'],
      },
      {
        name: 'bad-gd-type',
        kind: 'GameDeployment',
        fixture: GD_FIXTURE,
        edit: (o) => (o.spec.updateStrategy.type = 'Foo'),
        causes: ['spec.updateStrategy.type: Unsupported value: "Foo": supported values: "OnDelete", "RollingUpdate", "InplaceUpdate", "HotPatchUpdate"'],
      },
      {
        name: 'bad-gd-selector',
        kind: 'GameDeployment',
        fixture: GD_FIXTURE,
        edit: (o) => delete o.spec.selector,
        causes: ['spec.selector: Required value'],
      },
    ];
    for (const t of cases) {
      it(`${t.kind} ${t.name}`, async () => {
        const r = await kubectl(['apply', '-f', '-'], variant(t.fixture, t.name, t.edit));
        assert.equal(r.code, 1, `apply should fail\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`The ${t.kind} "${t.name}" is invalid: `));
        for (const cause of t.causes) assert.ok(r.stderr.includes(cause), `expected cause ${cause} in:\n${r.stderr}`);
        const get = await kubectl(['get', t.kind.toLowerCase(), t.name, '-n', NS]);
        assert.notEqual(get.code, 0, 'nothing was created');
        assert.match(get.stderr, /NotFound/);
      });
    }
  });
});
