// OpenKruiseGame's serviceQualities end to end through kubectl: the service-quality manual's
// idle example, applied unchanged apart from the image (simulated containers, whose probe
// results the test scripts as data with each pod's sim.hotpod.dev/exec annotation); a templated
// action setting updatePriority from the probe's output; and a service quality flipping the
// label that releases a lifecycle preDelete gate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable, waitFor, type Cluster } from '../helpers/cluster.js';
import { getGs, kubectl, namespace, podsOf, startGssCluster, waitSettled, WAIT_MS, type Json } from './helpers.js';

const manualIdle = (ns: string) => `apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: minecraft
  namespace: ${ns}
spec:
  replicas: 3
  gameServerTemplate:
    spec:
      containers:
        - image: registry.example.com/gs-demo/gameserver:idle
          name: minecraft
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
      maxUnavailable: 100%
  serviceQualities: # Set the service quality named idle.
    - name: idle
      containerName: minecraft
      permanent: false
      # Similar to the native probe feature, a script is executed to probe whether a game server is idle, that is, whether no player joins the game server.
      exec:
        command: ["bash", "./idle.sh"]
      serviceQualityAction:
          # If no player joins the game server, the O&M status of the game server is set to WaitToBeDeleted.
        - state: true
          opsState: WaitToBeDeleted
          # If players join the game server, the O&M status of the game server is set to None.
        - state: false
          opsState: None
`;

describe('serviceQualities', { timeout: 300_000 }, () => {
  let c: Cluster;
  before(async () => {
    c = await startGssCluster();
  });
  after(async () => {
    await c?.cleanup();
  });

  /** Scripts what `cmd` answers in the pod's container (the simulated runtime reads it at each probe). */
  const script = (ns: string, pod: string, container: string, answer: Json) => kubectl(c, ns, ['annotate', 'pod', pod, '--overwrite', `sim.hotpod.dev/exec.${container}=${JSON.stringify(answer)}`]);
  const opsStates = async (ns: string) => Object.fromEntries(parseTable(await kubectl(c, ns, ['get', 'gs'])).rows.map((r) => [r.NAME, r.OPSSTATE]));

  it("the manual's idle example: idle servers WaitToBeDeleted, a busy one None, and a scale-down takes the idle ones", async () => {
    const ns = await namespace(c, 'sq-idle');
    await kubectl(c, ns, ['apply', '-f', '-'], { input: manualIdle(ns) });
    await waitSettled(c, ns, 'minecraft', ['minecraft-0', 'minecraft-1', 'minecraft-2']);
    const pods = await podsOf(c, ns, 'minecraft');
    assert.deepEqual(JSON.parse(pods.get('minecraft-0')!.metadata.annotations['hotpod.dev/service-quality-probes']), [{ name: 'idle', containerName: 'minecraft', exec: { command: ['bash', './idle.sh'] } }], 'the probe travels to the node with the pod');
    // No players anywhere: idle.sh exits 0.
    for (const name of pods.keys()) await script(ns, name, 'minecraft', { exitCode: 0 });
    await waitFor(async () => (Object.values(await opsStates(ns)).every((s) => s === 'WaitToBeDeleted') ? true : undefined), 'all idle', WAIT_MS, 500);
    const gs = await getGs(c, ns, 'minecraft-0');
    const [q] = gs.status.serviceQualitiesConditions;
    assert.deepEqual([q.name, q.status], ['idle', 'True']);
    assert.ok(q.lastProbeTime && q.lastActionTransitionTime && q.lastTransitionTime);
    const pod0 = (await podsOf(c, ns, 'minecraft')).get('minecraft-0')!;
    assert.equal((pod0.status.conditions as Json[]).find((x) => x.type === 'game.kruise.io/idle')?.status, 'True', 'the probe result is a pod condition');

    // A player joins minecraft-1: idle.sh fails (failureThreshold 3 at the 10 s default period).
    await script(ns, 'minecraft-1', 'minecraft', { stdout: 'players: 1', exitCode: 1 });
    await waitFor(async () => ((await opsStates(ns))['minecraft-1'] === 'None' ? true : undefined), 'minecraft-1 None', WAIT_MS, 500);
    assert.deepEqual(await opsStates(ns), { 'minecraft-0': 'WaitToBeDeleted', 'minecraft-1': 'None', 'minecraft-2': 'WaitToBeDeleted' });
    const busy = (await getGs(c, ns, 'minecraft-1')).status.serviceQualitiesConditions[0];
    assert.deepEqual([busy.status, busy.result], ['False', 'players: 1']);

    await kubectl(c, ns, ['scale', 'gss', 'minecraft', '--replicas=2']);
    await waitSettled(c, ns, 'minecraft', ['minecraft-0', 'minecraft-1'], 'the idle minecraft-2 removed first');
    await kubectl(c, ns, ['scale', 'gss', 'minecraft', '--replicas=1']);
    await waitSettled(c, ns, 'minecraft', ['minecraft-1'], 'the busy minecraft-1 kept');
  });

  it('a templated action sets updatePriority from the probe output', async () => {
    const ns = await namespace(c, 'sq-template');
    const manifest = {
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: 'arena', namespace: ns },
      spec: {
        replicas: 2,
        gameServerTemplate: { spec: { containers: [{ name: 'engine', image: 'registry.example.com/game/engine:1.0' }] } },
        serviceQualities: [
          {
            name: 'players',
            containerName: 'engine',
            permanent: false,
            periodSeconds: 1,
            exec: { command: ['/players.sh'] },
            serviceQualityAction: [{ state: true, updatePriority: '{{.Result}}', opsState: '{{if eq .Result "0"}}WaitToBeDeleted{{else}}None{{end}}' }],
          },
        ],
      },
    };
    await kubectl(c, ns, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await waitSettled(c, ns, 'arena', ['arena-0', 'arena-1']);
    await script(ns, 'arena-0', 'engine', { stdout: '12\n' });
    await script(ns, 'arena-1', 'engine', { stdout: '0\n' });
    await waitFor(async () => {
      const t = Object.fromEntries(parseTable(await kubectl(c, ns, ['get', 'gs'])).rows.map((r) => [r.NAME, `${r.OPSSTATE} ${r.UP}`]));
      return t['arena-0'] === 'None 12' && t['arena-1'] === 'WaitToBeDeleted 0' ? true : undefined;
    }, 'priorities from the probe', WAIT_MS, 500);
    assert.equal((await getGs(c, ns, 'arena-0')).spec.updatePriority, 12);
    // A template that does not give a number is a Warning Event, and the priority stays.
    await script(ns, 'arena-0', 'engine', { stdout: 'lots' });
    await waitFor(async () => {
      const events = JSON.parse(await kubectl(c, ns, ['get', 'events', '-o', 'json'])).items as Json[];
      return events.some((e) => e.reason === 'InvalidUpdatePriority' && e.involvedObject.name === 'arena-0') ? true : undefined;
    }, 'InvalidUpdatePriority', WAIT_MS, 500);
    assert.equal((await getGs(c, ns, 'arena-0')).spec.updatePriority, 12);
    // Any opsState is kept, as upstream's CRD has no enum (a template may render one of its own).
    await kubectl(c, ns, ['patch', 'gs', 'arena-1', '--type=merge', '-p', '{"spec":{"opsState":"Draining"}}']);
    assert.equal((await getGs(c, ns, 'arena-1')).spec.opsState, 'Draining');
  });

  it("a service quality flips the label that releases the preDelete gate", async () => {
    const ns = await namespace(c, 'sq-gate');
    const manifest = {
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: 'room', namespace: ns },
      spec: {
        replicas: 2,
        gameServerTemplate: { metadata: { labels: { 'gs-sync/delete-block': 'true' } }, spec: { containers: [{ name: 'engine', image: 'registry.example.com/game/engine:1.0' }] } },
        lifecycle: { preDelete: { labelsHandler: { 'gs-sync/delete-block': 'true' } } },
        serviceQualities: [
          {
            name: 'match-over',
            containerName: 'engine',
            permanent: false,
            periodSeconds: 1,
            exec: { command: ['/match-over.sh'] },
            serviceQualityAction: [{ state: true, labels: { 'gs-sync/delete-block': 'false' } }],
          },
        ],
      },
    };
    await kubectl(c, ns, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await waitSettled(c, ns, 'room', ['room-0', 'room-1']);
    for (const n of ['room-0', 'room-1']) await script(ns, n, 'engine', { exitCode: 1 });
    await kubectl(c, ns, ['scale', 'gss', 'room', '--replicas=1']);
    await waitFor(async () => (parseTable(await kubectl(c, ns, ['get', 'gs'])).rows.find((r) => r.NAME === 'room-1')?.STATE === 'PreDelete' ? true : undefined), 'room-1 PreDelete', WAIT_MS, 500);
    assert.ok((await podsOf(c, ns, 'room')).has('room-1'), 'held while the match runs');
    // The match ends: the probe passes, its action flips the label, the gate opens.
    await script(ns, 'room-1', 'engine', { exitCode: 0 });
    await waitSettled(c, ns, 'room', ['room-0'], 'room-1 released by its service quality');
  });

  it('on nodes that do not run the probes (a cluster without hotpod node agents), the controller runs them through pods/exec', async () => {
    const ns = await namespace(c, 'sq-controller');
    const manifest = {
      apiVersion: 'game.kruise.io/v1alpha1',
      kind: 'GameServerSet',
      metadata: { name: 'far', namespace: ns },
      spec: {
        replicas: 2,
        gameServerTemplate: { spec: { containers: [{ name: 'engine', image: 'registry.example.com/game/engine:1.0' }] } },
        serviceQualities: [
          { name: 'idle', containerName: 'engine', permanent: false, periodSeconds: 1, exec: { command: ['/idle.sh'] }, serviceQualityAction: [{ state: true, opsState: 'WaitToBeDeleted' }, { state: false, opsState: 'None' }] },
        ],
      },
    };
    const nodes = ['node-1', 'node-2', 'node-3'];
    for (const n of nodes) await kubectl(c, ns, ['label', 'node', n, 'hotpod.dev/runs-service-qualities-']);
    try {
      await kubectl(c, ns, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
      await waitSettled(c, ns, 'far', ['far-0', 'far-1']);
      await script(ns, 'far-0', 'engine', { exitCode: 0 });
      await script(ns, 'far-1', 'engine', { exitCode: 1 });
      await waitFor(async () => {
        const s = await opsStates(ns);
        return s['far-0'] === 'WaitToBeDeleted' && s['far-1'] === 'None' ? true : undefined;
      }, 'probed by the controller', WAIT_MS, 500);
      const pods = await podsOf(c, ns, 'far');
      for (const p of pods.values()) assert.equal(p.metadata.annotations?.['hotpod.dev/service-quality-probes'], undefined, 'the node is not asked to probe');
      assert.equal((pods.get('far-0')!.status.conditions as Json[]).find((x) => x.type === 'game.kruise.io/idle')?.status, 'True');
      const events = JSON.parse(await kubectl(c, ns, ['get', 'events', '-o', 'json'])).items as Json[];
      // No probe or action warning. (A PodNormal one is allowed: a pod whose simulated containers are
      // ready before the set has written its InPlaceUpdateReady gate is ReadinessGatesNotReady a moment.)
      const warnings = events.filter((e) => e.type === 'Warning' && e.involvedObject.kind === 'GameServer' && e.reason !== 'ReadinessGatesNotReady');
      assert.deepEqual(warnings.map((e) => [e.involvedObject.name, e.reason, e.message]), []);
    } finally {
      for (const n of nodes) await kubectl(c, ns, ['label', 'node', n, 'hotpod.dev/runs-service-qualities=true', '--overwrite']);
    }
  });
});
