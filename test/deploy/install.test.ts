// hotpod's own install: deploy/ (`kubectl apply -k deploy/`), the Helm chart in deploy/chart, and
// the Dockerfile. The manifests and the rendered chart are applied to the embedded control plane
// with kubectl 1.35; the chart's RBAC must equal deploy/manifests' (which rbac.test.ts derives
// from the controller's requests).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlOk, parseTable, projectRoot, runKubectl, startCluster, type Cluster, type Kubectl } from '../helpers/cluster.js';
import { toYaml } from '../helpers/fixtures.js';
import { findManifest, parseManifests, type Manifest } from '../helpers/rbac.js';
import { newestKubectl } from '../helpers/pods.js';

const deployDir = join(projectRoot, 'deploy');
const helmPath = join(projectRoot, '.tools', 'helm');
const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

const scratch = mkdtempSync(join(tmpdir(), 'hotpod-deploy-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** kubectl or helm without a cluster, in a HOME of its own. */
function offline(bin: string, args: string[]): string {
  const home = join(scratch, 'home');
  return execFileSync(bin, args, {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: join(home, 'c'), HELM_CONFIG_HOME: join(home, 'f'), HELM_DATA_HOME: join(home, 'd') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const kustomized = (k: Kubectl) => parseManifests(offline(k.path, ['kustomize', deployDir]));
const rendered = (release: string, ns: string, ...args: string[]) => parseManifests(offline(helmPath, ['template', release, join(deployDir, 'chart'), '-n', ns, '--include-crds', ...args]));

const withoutRbac = (docs: Manifest[]) => docs.filter((d) => !RBAC_KINDS.has(d.kind));

const key = (d: Manifest) => `${d.kind}/${d.metadata?.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata?.name}`;

/** What a Deployment of the controller must hold, whoever rendered it. */
function checkControllerDeployment(d: Manifest, serviceAccount: string): void {
  assert.equal(d.spec.replicas, 2);
  const pod = d.spec.template.spec;
  assert.equal(pod.serviceAccountName, serviceAccount);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0, 'a numeric non-root UID');
  const c = pod.containers[0];
  assert.equal(c.args[0], 'controller');
  for (const flag of ['--leader-elect', '--metrics-bind-address=:8080', '--health-probe-bind-address=:8081', '--host-port-range=8000-9000']) assert.ok(c.args.includes(flag), `args hold ${flag}: ${c.args}`);
  assert.deepEqual(c.env.find((e: Manifest) => e.name === 'POD_NAMESPACE')?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  assert.deepEqual(
    c.ports.map((p: Manifest) => [p.name, p.containerPort]),
    [
      ['metrics', 8080],
      ['health', 8081],
    ],
  );
  assert.deepEqual([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path], ['/healthz', '/readyz']);
  assert.equal(c.livenessProbe.httpGet.port, 'health');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, 'resources set');
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], v, `the pod template carries selector label ${k}`);
}

describe('deploy/', () => {
  it('kustomization.yaml lists every CRD and manifest file', () => {
    const listed = parseManifests(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8'))[0]!.resources as string[];
    const files = ['crds', 'manifests'].flatMap((dir) => readdirSync(join(deployDir, dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`));
    assert.deepEqual([...listed].sort(), files.sort());
  });

  it('renders (kubectl kustomize) the CRDs, the namespace and the controller with its RBAC and metrics Service', () => {
    const docs = kustomized(newestKubectl());
    assert.deepEqual(docs.map(key).sort(), [
      'ClusterRole/hotpod-controller',
      'ClusterRoleBinding/hotpod-controller',
      'CustomResourceDefinition/gamedeployments.tkex.tencent.com',
      'CustomResourceDefinition/gameservers.game.kruise.io',
      'CustomResourceDefinition/gameserversets.game.kruise.io',
      'CustomResourceDefinition/hookruns.tkex.tencent.com',
      'CustomResourceDefinition/hooktemplates.tkex.tencent.com',
      'Deployment/hotpod-system/hotpod-controller',
      'Namespace/hotpod-system',
      'Role/hotpod-system/hotpod-leader-election',
      'RoleBinding/hotpod-system/hotpod-leader-election',
      'Service/hotpod-system/hotpod-controller-metrics',
      'ServiceAccount/hotpod-system/hotpod-controller',
    ]);
    checkControllerDeployment(findManifest(docs, 'Deployment', 'hotpod-controller'), 'hotpod-controller');
    const svc = findManifest(docs, 'Service', 'hotpod-controller-metrics');
    assert.deepEqual(svc.spec.ports, [{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    for (const binding of [findManifest(docs, 'ClusterRoleBinding', 'hotpod-controller'), findManifest(docs, 'RoleBinding', 'hotpod-leader-election')]) {
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'hotpod-controller', namespace: 'hotpod-system' }]);
    }
  });
});

describe('deploy/chart', { skip: existsSync(helmPath) ? false : `no helm at ${helmPath}` }, () => {
  it('passes helm lint', () => {
    const out = offline(helmPath, ['lint', join(deployDir, 'chart')]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the same RBAC rules as deploy/manifests, bound to its ServiceAccount', () => {
    const manifests = kustomized(newestKubectl());
    const chart = rendered('hotpod', 'hotpod-system');
    assert.deepEqual(findManifest(chart, 'ClusterRole', 'hotpod-controller').rules, findManifest(manifests, 'ClusterRole', 'hotpod-controller').rules);
    assert.deepEqual(findManifest(chart, 'Role', 'hotpod-leader-election').rules, findManifest(manifests, 'Role', 'hotpod-leader-election').rules);
    assert.deepEqual(findManifest(chart, 'ClusterRoleBinding', 'hotpod-controller').subjects, [{ kind: 'ServiceAccount', name: 'hotpod-controller', namespace: 'hotpod-system' }]);
    // Release `hotpod` in hotpod-system gives deploy/'s names.
    assert.deepEqual(withoutRbac(chart).map(key).sort(), withoutRbac(manifests).filter((d) => d.kind !== 'Namespace').map(key).sort());
    checkControllerDeployment(findManifest(chart, 'Deployment', 'hotpod-controller'), 'hotpod-controller');
  });

  it('follows its values: image, replicas, log level, leader election, metrics, placement, host ports', () => {
    const docs = rendered(
      'games',
      'ops',
      '--set',
      'image.repository=registry.example.com/hotpod,image.tag=1.2.3,replicaCount=1,logLevel=debug,leaderElection.enabled=false,metrics.enabled=false,nodeSelector.pool=system,serviceAccount.create=false,serviceAccount.name=existing,network.hostPortRange=20000-20999',
    );
    const d = findManifest(docs, 'Deployment', 'games-hotpod-controller');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.image, 'registry.example.com/hotpod:1.2.3');
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(pod.nodeSelector, { pool: 'system' });
    assert.equal(pod.serviceAccountName, 'existing');
    assert.ok(c.args.includes('--log-level=debug') && !c.args.includes('--leader-elect') && c.args.includes('--metrics-bind-address=0'), String(c.args));
    assert.ok(c.args.includes('--host-port-range=20000-20999'), String(c.args));
    const kinds = docs.map((x) => x.kind);
    for (const absent of ['Role', 'RoleBinding', 'Service', 'ServiceAccount']) assert.ok(!kinds.includes(absent), `no ${absent} rendered`);
    assert.equal(findManifest(docs, 'ClusterRoleBinding', 'games-hotpod-controller').subjects[0].name, 'existing');
  });
});

describe('applying deploy/ and the chart to the embedded control plane', { timeout: 300_000 }, () => {
  let c: Cluster;
  const k = newestKubectl();

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  async function applyAndCheck(docs: Manifest[]): Promise<void> {
    const input = toYaml(...docs);
    const out = await kubectlOk(k, c, ['apply', '-f', '-'], { input, timeoutMs: 120_000 });
    for (const d of docs) {
      const args = ['get', `${d.kind.toLowerCase()}.${d.apiVersion.includes('/') ? d.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''), d.metadata.name, '-o', 'json'];
      if (d.metadata.namespace) args.push('-n', d.metadata.namespace);
      const got = JSON.parse(await kubectlOk(k, c, args));
      assert.equal(got.metadata.name, d.metadata.name, `${key(d)} applied:\n${out}`);
    }
    // A second apply changes nothing.
    const again = await kubectlOk(k, c, ['apply', '-f', '-'], { input, timeoutMs: 120_000 });
    for (const line of again.trim().split('\n')) assert.match(line, / unchanged$/, again);
  }

  it('kubectl apply of deploy/ (kustomize) creates the CRDs, namespace, ServiceAccount, RBAC, Deployment and Service', async () => {
    await applyAndCheck(kustomized(k));
    const d = JSON.parse(await kubectlOk(k, c, ['get', 'deployment', 'hotpod-controller', '-n', 'hotpod-system', '-o', 'json']));
    checkControllerDeployment(d, 'hotpod-controller');
  });

  it("kubectl get deploy prints kube's columns, and get all lists Deployments (category all)", async () => {
    const t = parseTable(await kubectlOk(k, c, ['get', 'deploy', '-n', 'hotpod-system']));
    assert.deepEqual(t.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    // Stored, but no Deployment controller runs on the embedded plane: nothing becomes ready.
    assert.deepEqual([t.rows[0]!.NAME, t.rows[0]!.READY, t.rows[0]!['UP-TO-DATE'], t.rows[0]!.AVAILABLE], ['hotpod-controller', '0/2', '0', '0']);
    const wide = parseTable(await kubectlOk(k, c, ['get', 'deploy', '-n', 'hotpod-system', '-o', 'wide']));
    assert.deepEqual(wide.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.equal(wide.rows[0]!.CONTAINERS, 'controller');
    assert.match(wide.rows[0]!.SELECTOR!, /app\.kubernetes\.io\/name=hotpod/);
    const all = (await kubectlOk(k, c, ['api-resources', '--categories=all', '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(all, ['deployments.apps', 'pods', 'services']);
    const everything = await kubectlOk(k, c, ['get', 'all', '-n', 'hotpod-system']);
    assert.match(everything, /^deployment\.apps\/hotpod-controller\s+0\/2\s+0\s+0\s/m, everything);
    assert.match(everything, /^service\/hotpod-controller-metrics\s/m, everything);
  });

  it("kubectl rollout status of the Deployment does not finish (no Deployment controller writes its status), as the chart's NOTES say", async () => {
    const r = await runKubectl(k, c, ['rollout', 'status', 'deployment/hotpod-controller', '-n', 'hotpod-system', '--timeout=2s']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout, /Waiting for deployment spec update to be observed/);
  });

  it('kubectl apply of the rendered chart (helm template --include-crds) in another namespace', { skip: existsSync(helmPath) ? false : 'no helm' }, async () => {
    await kubectlOk(k, c, ['create', 'namespace', 'games-ops']);
    await applyAndCheck(rendered('games', 'games-ops'));
    const d = JSON.parse(await kubectlOk(k, c, ['get', 'deployment', 'games-hotpod-controller', '-n', 'games-ops', '-o', 'json']));
    checkControllerDeployment(d, 'games-hotpod-controller');
  });
});

describe('helm install, uninstall and install again on the embedded control plane', { timeout: 300_000, skip: existsSync(helmPath) ? false : `no helm at ${helmPath}` }, () => {
  let c: Cluster;
  const home = join(scratch, 'helm-release-home');

  before(async () => {
    process.env.HOTPOD_NODES = '0';
    c = await startCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  /** helm against the cluster, in a HOME of its own; fails with its output unless it exits 0. */
  function helm(...args: string[]): string {
    try {
      return execFileSync(helmPath, [...args, '--kubeconfig', c.kubeconfigPath], {
        cwd: projectRoot,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: join(home, 'c'), HELM_CONFIG_HOME: join(home, 'f'), HELM_DATA_HOME: join(home, 'd') },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      });
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      throw new Error(`helm ${args.join(' ')} exited ${e.status}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
    }
  }
  // helm 4 lists releases in every status (uninstalling too) by default.
  const releases = () => JSON.parse(helm('list', '-n', 'hotpod-system', '-o', 'json')) as { name: string; status: string }[];

  it('purges the release (helm deletes its Secret with protobuf DeleteOptions), so the name can be reused', async () => {
    const k = newestKubectl();
    const notes = helm('install', 'hotpod', join(deployDir, 'chart'), '-n', 'hotpod-system', '--create-namespace');
    // The NOTES tell an embedded-plane user what to expect instead of sending them to rollout status.
    assert.match(notes, /embedded control plane \(v1\.35\.0-hotpod\): it stores the\s+Deployment but runs no Deployment controller/, notes);
    assert.match(notes, /`kubectl rollout status` never finishes/, notes);
    assert.doesNotMatch(notes, /Check the controller:/, notes);
    assert.deepEqual(releases().map((r) => [r.name, r.status]), [['hotpod', 'deployed']]);
    const out = helm('uninstall', 'hotpod', '-n', 'hotpod-system');
    assert.match(out, /release "hotpod" uninstalled/);
    assert.deepEqual(releases(), [], 'no release left, not even one stuck in "uninstalling"');
    const secrets = await kubectlOk(k, c, ['get', 'secret', '-n', 'hotpod-system', '-l', 'owner=helm', '-o', 'name']);
    assert.equal(secrets.trim(), '', 'the release Secret is gone');
    assert.equal((await kubectlOk(k, c, ['get', 'deployment', '-n', 'hotpod-system', '-o', 'name'])).trim(), '', "the chart's Deployment is gone");
    helm('install', 'hotpod', join(deployDir, 'chart'), '-n', 'hotpod-system');
    assert.deepEqual(releases().map((r) => [r.name, r.status]), [['hotpod', 'deployed']]);
    const d = JSON.parse(await kubectlOk(k, c, ['get', 'deployment', 'hotpod-controller', '-n', 'hotpod-system', '-o', 'json']));
    checkControllerDeployment(d, 'hotpod-controller');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const runtime = lines.slice(lines.lastIndexOf(stages[stages.length - 1]!));

  it('builds in one stage and runs from another, as a numeric non-root user', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const user = runtime.filter((l) => /^USER\s/.test(l)).pop();
    assert.match(user ?? '', /^USER\s+[1-9]\d*(:\d+)?\s*$/, 'USER is a numeric UID other than 0 in the runtime stage');
    assert.ok(!runtime.some((l) => /npm (ci|install)(?!.*--omit=dev)/.test(l)), 'no dev dependencies installed in the runtime stage');
  });

  it('copies only paths that exist and are not .dockerignored', () => {
    const ignored = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const l of lines.filter((x) => /^COPY\s/.test(x) && !/--from=/.test(x))) {
      const sources = l.replace(/^COPY\s+/, '').trim().split(/\s+/).slice(0, -1);
      for (const s of sources) {
        assert.ok(existsSync(join(projectRoot, s)), `${s} (${l}) exists`);
        assert.ok(!ignored.some((i) => s === i || s.startsWith(`${i}/`)), `${s} is not in .dockerignore`);
      }
    }
  });

  it("starts the package's bin with the controller command", () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
    const entry = runtime.find((l) => /^ENTRYPOINT\s/.test(l))!;
    assert.deepEqual(JSON.parse(entry.replace(/^ENTRYPOINT\s+/, '')), ['node', pkg.bin.hotpod]);
    assert.deepEqual(JSON.parse(runtime.find((l) => /^CMD\s/.test(l))!.replace(/^CMD\s+/, '')), ['controller']);
    assert.ok(runtime.some((l) => /^COPY --from=\S+\s+\S*dist\/src\s/.test(l)), 'the runtime stage holds dist/src');
    assert.ok(existsSync(join(projectRoot, pkg.bin.hotpod)), `${pkg.bin.hotpod} is what the build writes`);
  });
});
