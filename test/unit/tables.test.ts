import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tableVersion, toTable, wantsTable } from '../../src/apiserver/tables/table.js';
import type { KObject, PrinterColumn, ResourceDef, TableColumn } from '../../src/apiserver/types.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
/** RFC3339 timestamp `seconds` before NOW. */
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');

function def(group: string, resource: string, extra: Partial<ResourceDef> = {}): ResourceDef {
  return {
    group,
    version: 'v1',
    resource,
    singular: resource.replace(/s$/, ''),
    kind: 'Thing',
    listKind: 'ThingList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ['get', 'list'],
    subresources: [],
    builtin: true,
    tracksGeneration: false,
    ...extra,
  };
}

interface Table {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object?: { kind?: string; apiVersion?: string; metadata?: Record<string, unknown> }; conditions?: unknown[] }[];
}

function table(d: ResourceDef, objects: KObject[], opts: Parameters<typeof toTable>[2] = {}): Table {
  return toTable(d, objects, { now: NOW, ...opts }) as Table;
}

/** The cells of a single object, keyed by column name, so tests read like `kubectl get -o wide`. */
function row(d: ResourceDef, obj: KObject): Record<string, unknown> {
  const t = table(d, [obj]);
  return Object.fromEntries(t.columnDefinitions.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
}

const pods = def('', 'pods');

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'gs-0', namespace: 'default', creationTimestamp: ago(535), ...meta },
    spec: { containers: [{ name: 'app' }], ...spec },
    status,
  };
}

const running = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: { startedAt: ago(500) } },
  ...extra,
});

describe('Accept negotiation', () => {
  const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

  test('kubectl get asks for a v1 Table', () => {
    assert.equal(wantsTable(kubectl), true);
    assert.equal(tableVersion(kubectl), 'v1');
  });

  test('a v1beta1-only request gets v1beta1', () => {
    const accept = 'application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json';
    assert.equal(wantsTable(accept), true);
    assert.equal(tableVersion(accept), 'v1beta1');
  });

  test('plain, partial-metadata and foreign-group requests are not Table requests', () => {
    assert.equal(wantsTable(undefined), false);
    assert.equal(wantsTable(''), false);
    assert.equal(wantsTable('application/json'), false);
    assert.equal(wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'), false);
    assert.equal(wantsTable('application/json;as=Table;v=v1;g=example.com'), false);
    assert.equal(wantsTable('application/json;as=Table;v=v2;g=meta.k8s.io'), false);
    assert.equal(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0'), false);
  });
});

describe('Table envelope', () => {
  const obj = pod({ phase: 'Running' }, {}, { resourceVersion: '42', labels: { app: 'mc' } });

  test('kind, version, list metadata and the Name column', () => {
    const t = table(pods, [obj], { resourceVersion: '99', continue: 'tok' });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '99', continue: 'tok' });
    assert.equal(t.columnDefinitions[0]!.name, 'Name');
    assert.equal(t.columnDefinitions[0]!.format, 'name');
    for (const c of t.columnDefinitions) {
      assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type']);
    }
    assert.equal(t.rows.length, 1);
  });

  test('rows carry PartialObjectMetadata by default', () => {
    const t = table(pods, [obj]);
    assert.deepEqual(t.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
    const beta = table(pods, [obj], { version: 'v1beta1' });
    assert.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(beta.rows[0]!.object!.apiVersion, 'meta.k8s.io/v1beta1');
  });

  test('includeObject Object embeds the object, None leaves it out', () => {
    assert.deepEqual(table(pods, [obj], { includeObject: 'Object' }).rows[0]!.object, obj);
    const none = table(pods, [obj], { includeObject: 'None' });
    assert.equal('object' in none.rows[0]!, false);
  });

  test('an empty list still has columns and no rows', () => {
    const t = table(pods, [], { resourceVersion: '7' });
    assert.deepEqual(t.rows, []);
    assert.equal(t.columnDefinitions.length, 9);
    assert.deepEqual(t.metadata, { resourceVersion: '7' });
  });
});

describe('pods', () => {
  test('columns and priorities match kubectl get pods -o wide', () => {
    const cols = table(pods, []).columnDefinitions.map((c) => [c.name, c.priority]);
    assert.deepEqual(cols, [
      ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0],
      ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
    ]);
  });

  test('seed scenario: running pod after a sidecar restart', () => {
    const obj = pod(
      {
        phase: 'Running',
        podIP: '10.0.0.9',
        podIPs: [{ ip: '10.0.0.7' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          running('app'),
          running('sidecar', { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: ago(33) } } }),
        ],
      },
      { containers: [{ name: 'app' }, { name: 'sidecar' }], nodeName: 'node-a' },
    );
    assert.deepEqual(table(pods, [obj]).rows[0]!.cells, ['gs-0', '2/2', 'Running', '1 (33s ago)', '8m55s', '10.0.0.7', 'node-a', '<none>', '<none>']);
  });

  test('native sidecar (restartable init container) counts as a container and its restarts show', () => {
    const obj = pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [
          running('proxy', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(90) } } }),
        ],
        containerStatuses: [running('app')],
      },
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    );
    const r = row(pods, obj);
    assert.equal(r.Ready, '2/2');
    assert.equal(r.Status, 'Running');
    assert.equal(r.Restarts, '2 (90s ago)');
  });

  test('pending pod whose container is being created', () => {
    const obj = pod({
      phase: 'Pending',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    }, { nodeName: 'node-a' });
    const r = row(pods, obj);
    assert.deepEqual([r.Ready, r.Status, r.Restarts, r.IP, r.Node], ['0/1', 'ContainerCreating', '0', '<none>', 'node-a']);
  });

  test('pod that was never scheduled shows its phase, defaulting to Pending', () => {
    assert.equal(row(pods, pod({ phase: 'Pending' })).Status, 'Pending');
    assert.equal(row(pods, pod({})).Status, 'Pending');
    assert.equal(row(pods, pod({})).Node, '<none>');
    const gated = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
    assert.equal(row(pods, gated).Status, 'SchedulingGated');
  });

  test('CrashLoopBackOff with the age of the last crash', () => {
    const obj = pod({
      phase: 'Running',
      containerStatuses: [{
        name: 'app',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(70) } },
      }],
    });
    const r = row(pods, obj);
    assert.deepEqual([r.Ready, r.Status, r.Restarts], ['0/1', 'CrashLoopBackOff', '5 (70s ago)']);
  });

  test('terminated containers: reason, else signal, else exit code', () => {
    const term = (t: Record<string, unknown>) =>
      row(pods, pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: t } }] })).Status;
    assert.equal(term({ exitCode: 137, reason: 'OOMKilled' }), 'OOMKilled');
    assert.equal(term({ exitCode: 137, signal: 9 }), 'Signal:9');
    assert.equal(term({ exitCode: 3 }), 'ExitCode:3');
  });

  test('the first container decides when several have a reason', () => {
    const obj = pod({
      phase: 'Pending',
      containerStatuses: [
        { name: 'a', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } },
        { name: 'b', ready: false, state: { waiting: { reason: 'ContainerCreating' } } },
      ],
    }, { containers: [{ name: 'a' }, { name: 'b' }] });
    assert.equal(row(pods, obj).Status, 'ImagePullBackOff');
  });

  test('Completed container next to a running one: Running if Ready, else NotReady', () => {
    const status = (ready: boolean) => ({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'job', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        running('app'),
      ],
    });
    const spec = { containers: [{ name: 'job' }, { name: 'app' }] };
    assert.equal(row(pods, pod(status(true), spec)).Status, 'Running');
    assert.equal(row(pods, pod(status(false), spec)).Status, 'NotReady');
    assert.equal(row(pods, pod(status(true), spec)).Ready, '1/2');
  });

  test('succeeded pod shows Completed and carries a Completed row condition', () => {
    const obj = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    const t = table(pods, [obj]);
    assert.equal(t.rows[0]!.cells[2], 'Completed');
    assert.deepEqual(t.rows[0]!.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
    assert.equal(table(pods, [pod({ phase: 'Running' })]).rows[0]!.conditions, undefined);
  });

  test('terminating pod', () => {
    const obj = pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('app')] }, {}, { deletionTimestamp: ago(5) });
    assert.deepEqual([row(pods, obj).Ready, row(pods, obj).Status], ['1/1', 'Terminating']);
  });

  test('deleting a finished pod keeps its final status', () => {
    const obj = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, {}, { deletionTimestamp: ago(5) });
    assert.equal(row(pods, obj).Status, 'Completed');
  });

  test('status.reason wins; NodeLost turns Unknown once deletion starts', () => {
    assert.equal(row(pods, pod({ phase: 'Failed', reason: 'Evicted' })).Status, 'Evicted');
    assert.equal(row(pods, pod({ phase: 'Running', reason: 'NodeLost' })).Status, 'NodeLost');
    assert.equal(row(pods, pod({ phase: 'Running', reason: 'NodeLost' }, {}, { deletionTimestamp: ago(1) })).Status, 'Unknown');
  });

  test('init containers: progress, waiting reason, failure', () => {
    const spec = { initContainers: [{ name: 'fetch' }, { name: 'migrate' }] };
    const done = { name: 'fetch', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    const initStatus = (second: Record<string, unknown>) =>
      row(pods, pod({ phase: 'Pending', initContainerStatuses: [done, { name: 'migrate', ...second }], containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }] }, spec)).Status;
    assert.equal(initStatus({ state: { running: {} } }), 'Init:1/2');
    assert.equal(initStatus({ state: { waiting: { reason: 'PodInitializing' } } }), 'Init:1/2');
    assert.equal(initStatus({ state: { waiting: { reason: 'CrashLoopBackOff' } } }), 'Init:CrashLoopBackOff');
    assert.equal(initStatus({ state: { terminated: { exitCode: 2 } } }), 'Init:ExitCode:2');
    assert.equal(initStatus({ state: { terminated: { exitCode: 137, signal: 9 } } }), 'Init:Signal:9');
    // Exit code 0 means the init container finished, whatever else it reports.
    assert.equal(initStatus({ state: { terminated: { exitCode: 0, signal: 9 } } }), 'PodInitializing');
    assert.equal(initStatus({ state: { terminated: { exitCode: 1, reason: 'Error' } } }), 'Init:Error');
  });

  test('restarts of ordinary init containers count only while initializing', () => {
    const spec = { initContainers: [{ name: 'fetch' }] };
    const crashing = { name: 'fetch', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(20) } } };
    assert.equal(row(pods, pod({ phase: 'Pending', initContainerStatuses: [crashing] }, spec)).Restarts, '3 (20s ago)');
    const finished = { ...crashing, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    const initialized = pod({ phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [finished], containerStatuses: [running('app')] }, spec);
    assert.equal(row(pods, initialized).Restarts, '0');
  });

  test('restart age comes from the most recent termination of any container', () => {
    const obj = pod({
      phase: 'Running',
      containerStatuses: [
        running('a', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(3600) } } }),
        running('b', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(125) } } }),
      ],
    }, { containers: [{ name: 'a' }, { name: 'b' }] });
    assert.equal(row(pods, obj).Restarts, '3 (2m5s ago)');
  });

  test('readiness gates count conditions that are True', () => {
    const obj = pod(
      { phase: 'Running', conditions: [{ type: 'game.kruise.io/ready', status: 'True' }, { type: 'lb/ready', status: 'False' }] },
      { readinessGates: [{ conditionType: 'game.kruise.io/ready' }, { conditionType: 'lb/ready' }, { conditionType: 'absent' }] },
    );
    assert.equal(row(pods, obj)['Readiness Gates'], '1/3');
  });
});

function obj(kind: string, name: string, body: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind, metadata: { name, creationTimestamp: ago(3 * 3600), ...meta }, ...body };
}

describe('other built-in printers', () => {
  test('namespaces', () => {
    assert.deepEqual(table(def('', 'namespaces'), [obj('Namespace', 'games', { status: { phase: 'Terminating' } })]).rows[0]!.cells, ['games', 'Terminating', '3h']);
  });

  test('nodes: status, roles, version and wide columns', () => {
    const node = obj('Node', 'node-a', {
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'node-a' }, { type: 'InternalIP', address: '192.168.1.5' }],
        nodeInfo: { kubeletVersion: 'v1.30.2', osImage: 'Ubuntu 22.04.4 LTS', kernelVersion: '6.5.0', containerRuntimeVersion: 'containerd://1.7.2' },
      },
    }, { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge' } });
    assert.deepEqual(table(def('', 'nodes'), [node]).rows[0]!.cells, [
      'node-a', 'Ready,SchedulingDisabled', 'control-plane,edge,worker', '3h', 'v1.30.2',
      '192.168.1.5', '<none>', 'Ubuntu 22.04.4 LTS', '6.5.0', 'containerd://1.7.2',
    ]);
    const nodes = def('', 'nodes');
    assert.equal(row(nodes, obj('Node', 'n', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })).Status, 'NotReady');
    const bare = row(nodes, obj('Node', 'n'));
    assert.deepEqual([bare.Status, bare.Roles, bare['OS-Image']], ['Unknown', '<none>', '<unknown>']);
  });

  test('core/v1 events', () => {
    const events = def('', 'events');
    const t = table(events, [obj('Event', 'gs-0.17c', {
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container app  \n',
      involvedObject: { kind: 'Pod', name: 'gs-0', fieldPath: 'spec.containers{app}' },
      source: { component: 'kubelet', host: 'node-a' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(45),
      count: 12,
    })]);
    const shown = t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name);
    assert.deepEqual(shown, ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    assert.deepEqual(t.rows[0]!.cells, ['45s', 'Warning', 'BackOff', 'pod/gs-0', 'spec.containers{app}', 'kubelet, node-a', 'Back-off restarting failed container app', '10m', 12, 'gs-0.17c']);
  });

  test('events.k8s.io/v1 events read regarding, note and series', () => {
    const e: KObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'gss.1', creationTimestamp: ago(900) },
      type: 'Normal',
      reason: 'Scaled',
      note: 'scaled to 3',
      regarding: { kind: 'GameServerSet', name: 'minecraft' },
      eventTime: '2024-05-01T11:45:00.000000Z',
      series: { count: 4, lastObservedTime: '2024-05-01T11:58:00.000000Z' },
      reportingController: 'hotpod',
    };
    const r = row(def('events.k8s.io', 'events'), e);
    assert.deepEqual([r['Last Seen'], r.Object, r.Message, r['First Seen'], r.Count, r.Source], ['2m', 'gameserverset/minecraft', 'scaled to 3', '15m', 4, 'hotpod']);
    const single = row(def('events.k8s.io', 'events'), { ...e, series: undefined });
    assert.deepEqual([single['Last Seen'], single.Count], ['15m', 1]);
  });

  test('configmaps, secrets, serviceaccounts, leases', () => {
    assert.deepEqual(table(def('', 'configmaps'), [obj('ConfigMap', 'cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })]).rows[0]!.cells, ['cfg', 3, '3h']);
    assert.deepEqual(table(def('', 'configmaps'), [obj('ConfigMap', 'empty')]).rows[0]!.cells, ['empty', 0, '3h']);
    assert.deepEqual(table(def('', 'secrets'), [obj('Secret', 'tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } })]).rows[0]!.cells, ['tls', 'kubernetes.io/tls', 2, '3h']);
    assert.deepEqual(table(def('', 'serviceaccounts'), [obj('ServiceAccount', 'default')]).rows[0]!.cells, ['default', 0, '3h']);
    assert.deepEqual(table(def('coordination.k8s.io', 'leases'), [obj('Lease', 'hotpod-leader', { spec: { holderIdentity: 'hotpod-7f9' } })]).rows[0]!.cells, ['hotpod-leader', 'hotpod-7f9', '3h']);
  });

  test('services: ports, cluster IP and external IP by type', () => {
    const services = def('', 'services');
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => row(services, obj('Service', 'mc', { spec, status }));
    const np = svc({ type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443 }, { port: 53, protocol: 'UDP' }], selector: { app: 'mc', tier: 'game' } });
    assert.deepEqual([np.Type, np['Cluster-IP'], np['External-IP'], np['Port(s)'], np.Selector], ['NodePort', '10.96.0.10', '<none>', '80/TCP,443:30443/TCP,53/UDP', 'app=mc,tier=game']);
    const headless = svc({ clusterIP: 'None' });
    assert.deepEqual([headless.Type, headless['Cluster-IP'], headless['Port(s)'], headless.Selector], ['ClusterIP', 'None', '<none>', '<none>']);
    assert.equal(svc({ type: 'LoadBalancer', ports: [] })['External-IP'], '<pending>');
    assert.equal(svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } })['External-IP'], '5.6.7.8,1.2.3.4');
    assert.equal(svc({ type: 'ExternalName', externalName: 'db.example.com' })['External-IP'], 'db.example.com');
  });

  test("ingresses: kube's Class, Hosts (three, then + N more...), Address, Ports (80, 443 with tls)", () => {
    const ingresses = def('networking.k8s.io', 'ingresses');
    const t = table(ingresses, [obj('Ingress', 'web', { spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }, { ip: '10.0.0.1' }] } } })]);
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    assert.deepEqual(t.rows[0]!.cells, ['web', 'nginx', 'a.example.com,b.example.com', '10.0.0.1,10.0.0.2,lb.example.com', '80, 443', '3h']);
    const many = row(ingresses, obj('Ingress', 'many', { spec: { rules: ['a', '', 'b', 'c', 'd', 'e'].map((host) => ({ host })) } }));
    assert.deepEqual([many.Class, many.Hosts, many.Address, many.Ports], ['<none>', 'a,b,c + 3 more...', '', '80']);
    assert.equal(row(ingresses, obj('Ingress', 'any', { spec: { rules: [{ http: {} }] } })).Hosts, '*');
    const classes = def('networking.k8s.io', 'ingressclasses', { namespaced: false });
    assert.deepEqual(table(classes, [obj('IngressClass', 'nginx', { spec: { controller: 'k8s.io/ingress-nginx' } })]).rows[0]!.cells, ['nginx', 'k8s.io/ingress-nginx', '<none>', '3h']);
    assert.equal(row(classes, obj('IngressClass', 'x', { spec: { controller: 'c', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } })).Parameters, 'IngressParameters.k8s.example.com/p');
  });

  test('controllerrevisions name their controller as kind.group/name', () => {
    const cr = obj('ControllerRevision', 'minecraft-5d8f', { revision: 3 }, {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: '1' },
        { apiVersion: 'game.kruise.io/v1alpha1', kind: 'GameServerSet', name: 'minecraft', uid: '2', controller: true },
      ],
    });
    const revisions = def('apps', 'controllerrevisions');
    assert.deepEqual(table(revisions, [cr]).rows[0]!.cells, ['minecraft-5d8f', 'gameserverset.game.kruise.io/minecraft', 3, '3h']);
    const core = obj('ControllerRevision', 'x', { revision: 1 }, { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '3', controller: true }] });
    assert.equal(row(revisions, core).Controller, 'pod/p');
    assert.equal(row(revisions, obj('ControllerRevision', 'orphan', { revision: 1 })).Controller, '<none>');
  });

  test('customresourcedefinitions print Created At, other kinds Name and Age', () => {
    const crds = table(def('apiextensions.k8s.io', 'customresourcedefinitions', { namespaced: false }), [obj('CustomResourceDefinition', 'gameservers.game.kruise.io')]);
    assert.deepEqual(crds.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']]);
    assert.deepEqual(crds.rows[0]!.cells, ['gameservers.game.kruise.io', '2024-05-01T09:00:00Z']);
    const limits = table(def('', 'limitranges'), [obj('LimitRange', 'web', {}, { creationTimestamp: undefined })]);
    assert.deepEqual(limits.columnDefinitions.map((c) => c.name), ['Name', 'Age']);
    assert.deepEqual(limits.rows[0]!.cells, ['web', '<unknown>']);
  });

  test("deployments: kube's READY UP-TO-DATE AVAILABLE AGE, wide CONTAINERS IMAGES SELECTOR", () => {
    const deployments = def('apps', 'deployments');
    const d = obj('Deployment', 'hotpod-controller', {
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'hotpod', app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
        template: { spec: { containers: [{ name: 'controller', image: 'hotpod:0.1.0' }, { name: 'proxy', image: 'envoy:1' }] } },
      },
      status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
    });
    const t = table(deployments, [d]);
    assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.priority]), [
      ['Name', 0], ['Ready', 0], ['Up-to-date', 0], ['Available', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1],
    ]);
    assert.deepEqual(t.rows[0]!.cells, ['hotpod-controller', '1/2', 2, 1, '3h', 'controller,proxy', 'hotpod:0.1.0,envoy:1', 'app=x,app.kubernetes.io/name=hotpod,tier in (a,b)']);
    // No status (no Deployment controller ran), no replicas (kube defaults 1), no selector.
    assert.deepEqual(table(deployments, [obj('Deployment', 'bare', { spec: {} })]).rows[0]!.cells, ['bare', '0/1', 0, 0, '3h', '', '', '']);
    assert.equal(row(deployments, obj('Deployment', 'bad', { spec: { selector: { matchExpressions: [{ key: 'x', operator: 'Sometimes' }] } } })).Selector, '<invalid>');
  });
});

describe('custom resources', () => {
  // additionalPrinterColumns of OpenKruiseGame's GameServer CRD.
  const gameServerColumns: PrinterColumn[] = [
    { name: 'STATE', type: 'string', description: 'The current state of GameServer', jsonPath: '.status.currentState' },
    { name: 'OPSSTATE', type: 'string', description: 'The operations state of GameServer', jsonPath: '.spec.opsState' },
    { name: 'DP', type: 'string', description: 'The current deletionPriority of GameServer', jsonPath: '.status.deletionPriority' },
    { name: 'UP', type: 'string', description: 'The current updatePriority of GameServer', jsonPath: '.status.updatePriority' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const gameServers = def('game.kruise.io', 'gameservers', { version: 'v1alpha1', kind: 'GameServer', builtin: false, printerColumns: gameServerColumns });
  const gs = (body: Record<string, unknown>): KObject => ({
    apiVersion: 'game.kruise.io/v1alpha1',
    kind: 'GameServer',
    metadata: { name: 'minecraft-0', namespace: 'default', creationTimestamp: ago(300) },
    ...body,
  });

  test('GameServer columns: STATE OPSSTATE DP UP AGE', () => {
    const t = table(gameServers, [gs({ spec: { opsState: 'None' }, status: { currentState: 'Ready', deletionPriority: 0, updatePriority: '10' } })]);
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'STATE', 'OPSSTATE', 'DP', 'UP', 'AGE']);
    assert.equal(t.columnDefinitions[1]!.description, 'The current state of GameServer');
    assert.deepEqual(t.columnDefinitions[5], { name: 'AGE', type: 'date', format: '', priority: 0, description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp' });
    assert.deepEqual(t.rows[0]!.cells, ['minecraft-0', 'Ready', 'None', '0', '10', '5m']);
  });

  test('values not set yet are null', () => {
    assert.deepEqual(table(gameServers, [gs({ spec: { opsState: 'Maintaining' } })]).rows[0]!.cells, ['minecraft-0', null, 'Maintaining', null, null, '5m']);
  });

  test('typed columns keep their JSON type; wrong types are null; priority and format pass through', () => {
    const cols: PrinterColumn[] = [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ratio', type: 'number', jsonPath: '.status.ratio' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused', priority: 1 },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Ports', type: 'string', jsonPath: '.spec.ports' },
      { name: 'Seen', type: 'date', jsonPath: '.status.lastSeen', format: 'date-time' },
      { name: 'Bad', type: 'integer', jsonPath: '.spec.name' },
    ];
    const d = def('example.com', 'widgets', { builtin: false, printerColumns: cols });
    const t = table(d, [{
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { replicas: 3.7, paused: true, ports: [{ port: 80, name: 'http' }], name: 'x' },
      status: { ratio: 0.25, lastSeen: ago(5 * 3600), conditions: [{ type: 'Ready', status: 'True' }] },
    }]);
    assert.deepEqual(t.rows[0]!.cells, ['w', 3, 0.25, true, 'True', '[{"name":"http","port":80}]', '5h', null]);
    assert.equal(t.columnDefinitions[3]!.priority, 1);
    assert.equal(t.columnDefinitions[6]!.format, 'date-time');
  });

  test('unparseable dates print <invalid>, empty ones <unknown>', () => {
    const d = def('example.com', 'widgets', { builtin: false, printerColumns: [{ name: 'When', type: 'date', jsonPath: '.status.when' }] });
    const cell = (when: unknown) => table(d, [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { when } }]).rows[0]!.cells[1];
    assert.equal(cell('yesterday'), '<invalid>');
    assert.equal(cell(''), '<unknown>');
    assert.equal(cell(ago(30)), '30s');
  });

  test('without printer columns a custom resource gets Name and a date-typed Age', () => {
    const d = def('example.com', 'widgets', { builtin: false });
    const t = table(d, [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', creationTimestamp: ago(2 * 86400 + 3 * 3600) } }]);
    assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
    assert.deepEqual(t.rows[0]!.cells, ['w', '2d3h']);
    assert.deepEqual(table({ ...d, printerColumns: [] }, [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]).rows[0]!.cells, ['w', null]);
  });
});
