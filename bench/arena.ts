// The arena example (examples/arena) under a script rollout with players connected: the images,
// the manifests as the example ships them (name, replicas and update policy changed), simulated
// players that play continuously, and one measured rollout of the scripts sidecar from v1 to v2.
// `npm run bench:sessions` runs it at scale; test/examples/sessions.test.ts runs it small.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ImageStore } from '../src/node/images/index.js';
import { JSON_PATCH, MERGE_PATCH, type KubeClient } from '../src/kube/index.js';
import { projectRoot } from './common.js';

type Json = Record<string, any>;

export const ARENA_DIR = join(projectRoot, 'examples', 'arena');
const GSS_API = 'game.kruise.io/v1alpha1';
const GD_API = 'tkex.tencent.com/v1alpha1';

/** Builds the arena's three images into the store of a hotpod data dir (what build-images.sh does). */
export function buildArenaImages(dataDir: string): void {
  const store = new ImageStore(dataDir);
  store.build(join(ARENA_DIR, 'engine'), ['arena-engine:v1']);
  store.build(join(ARENA_DIR, 'scripts-v1'), ['arena-scripts:v1']);
  store.build(join(ARENA_DIR, 'scripts-v2'), ['arena-scripts:v2']);
}

export interface Policy {
  /** What the table shows, e.g. "GameServerSet ReCreate". */
  label: string;
  kind: 'GameServerSet' | 'GameDeployment';
  /** podUpdatePolicy of a GameServerSet, updateStrategy.type of a GameDeployment. */
  policy: string;
  /**
   * GameServerSet only: `hotpod.dev/allocated-update: Wait`, half the servers Allocated with
   * every player on them (the other half empty), as a fleet mid-match: the rollout updates the
   * empty half, and the Allocated ones once their matches end (players leave, opsState None).
   */
  allocated?: boolean;
}

export const POLICIES: Policy[] = [
  { label: 'GameServerSet ReCreate', kind: 'GameServerSet', policy: 'ReCreate' },
  { label: 'GameServerSet ReCreate + Allocated wait', kind: 'GameServerSet', policy: 'ReCreate', allocated: true },
  { label: 'GameDeployment RollingUpdate', kind: 'GameDeployment', policy: 'RollingUpdate' },
  { label: 'GameServerSet InPlaceIfPossible', kind: 'GameServerSet', policy: 'InPlaceIfPossible' },
  { label: 'GameDeployment InplaceUpdate', kind: 'GameDeployment', policy: 'InplaceUpdate' },
  { label: 'GameDeployment HotPatchUpdate', kind: 'GameDeployment', policy: 'HotPatchUpdate' },
];

interface Workload {
  apiVersion: string;
  kind: string;
  manifest: Json;
  podSelector: string;
  /** JSON patch that moves the scripts sidecar to arena-scripts:v2. */
  scriptsPatch: unknown[];
}

function loadExample(file: string): Json {
  return parse(readFileSync(join(ARENA_DIR, file), 'utf8')) as Json;
}

/** The example manifest of the policy's API with another name, namespace, replica count and policy. */
export function arenaWorkload(p: Policy, name: string, namespace: string, replicas: number, maxUnavailable: string): Workload {
  if (p.kind === 'GameServerSet') {
    const m = loadExample('gameserverset.yaml');
    m.metadata = { name, namespace, ...(p.allocated ? { annotations: { 'hotpod.dev/allocated-update': 'Wait' } } : {}) };
    m.spec.replicas = replicas;
    m.spec.updateStrategy = { rollingUpdate: { podUpdatePolicy: p.policy, maxUnavailable } };
    const i = scriptsIndex(m.spec.gameServerTemplate.spec.containers);
    return {
      apiVersion: GSS_API,
      kind: p.kind,
      manifest: m,
      podSelector: `game.kruise.io/owner-gss=${name}`,
      scriptsPatch: [{ op: 'replace', path: `/spec/gameServerTemplate/spec/containers/${i}/image`, value: 'arena-scripts:v2' }],
    };
  }
  const m = loadExample('gamedeployment.yaml');
  m.metadata = { name, namespace };
  m.spec.replicas = replicas;
  m.spec.selector = { matchLabels: { app: name } };
  m.spec.template.metadata.labels = { app: name };
  m.spec.updateStrategy = { type: p.policy, maxUnavailable };
  const i = scriptsIndex(m.spec.template.spec.containers);
  return {
    apiVersion: GD_API,
    kind: p.kind,
    manifest: m,
    podSelector: `app=${name}`,
    scriptsPatch: [{ op: 'replace', path: `/spec/template/spec/containers/${i}/image`, value: 'arena-scripts:v2' }],
  };
}

function scriptsIndex(containers: Json[]): number {
  const i = containers.findIndex((c) => c.name === 'scripts');
  if (i < 0) throw new Error('the example has no scripts container');
  return i;
}

/** One simulated player: a persistent connection that moves twice a second and reads every tick. */
export class Player {
  dropped = false;
  ticks = 0;
  rules = '';
  lastGain = 0;
  lastGainRules = '';
  /** What the last tick said about an update hotpod holds for the end of the match. */
  updatePending: string | null = null;
  /** Gaps between consecutive ticks (ms), kept only while recording. */
  gaps: number[] = [];
  recording = false;
  private lastTickAt = 0;
  private leaving = false;
  private mover?: NodeJS.Timeout;

  private constructor(private readonly socket: net.Socket) {}

  static join(address: Address, name: string, moveEveryMs: number): Promise<Player> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port });
      const p = new Player(socket);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        p.start(name, moveEveryMs);
        resolve(p);
      });
    });
  }

  private start(name: string, moveEveryMs: number): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.setEncoding('utf8');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.onMessage(JSON.parse(buf.slice(0, i)) as Json);
        buf = buf.slice(i + 1);
      }
    });
    const gone = () => {
      if (!this.leaving) this.dropped = true;
      clearInterval(this.mover);
    };
    s.on('close', gone);
    s.on('error', gone);
    s.write(`${JSON.stringify({ t: 'join', name })}\n`);
    // Players do not move in lockstep.
    setTimeout(() => {
      if (this.dropped || this.leaving) return;
      this.mover = setInterval(() => s.write(`${JSON.stringify({ t: 'move' })}\n`), moveEveryMs);
    }, Math.random() * moveEveryMs);
  }

  private onMessage(msg: Json): void {
    if (msg.t === 'tick') {
      const now = performance.now();
      if (this.recording && this.lastTickAt) this.gaps.push(now - this.lastTickAt);
      this.lastTickAt = now;
      this.ticks++;
      this.rules = msg.rules;
      this.updatePending = msg.updatePending ?? null;
    } else if (msg.t === 'moved') {
      this.lastGain = msg.gain;
      this.lastGainRules = msg.rules;
    }
  }

  leave(): void {
    this.leaving = true;
    clearInterval(this.mover);
    this.socket.destroy();
  }
}

export interface SessionsOptions {
  objects: KubeClient;
  policy: Policy;
  namespace: string;
  servers: number;
  players: number;
  maxUnavailable: string;
  /** How long to wait for any condition (generous: CI machines are slow and shared). */
  waitMs: number;
  progress: (msg: string) => void;
}

export interface SessionsResult {
  policy: Policy;
  players: number;
  rolloutSeconds: number;
  dropped: number;
  /** Sessions still connected whose moves score by the v2 rules (+2) once the rollout is over. */
  onV2: number;
  p99TickGapMs: number;
  maxTickGapMs: number;
  /** Where the players dialled, with the pod behind each address (its IP and its node's). */
  dialled: (Address & { podIP: string; hostIP: string })[];
  /** Containers running afterwards that did not run before (a recreated pod counts both). */
  containersRestarted: number;
  containers: number;
  /** Policy.allocated: sessions still connected and on v1 (their server's update waits). */
  heldOnV1?: number;
  /** Policy.allocated: sessions their server told, in its ticks, that an update is pending. */
  toldPending?: number;
  /** Policy.allocated: from the release of the Allocated servers to every server updated. */
  afterReleaseSeconds?: number;
}

export async function waitUntil(what: string, timeoutMs: number, fn: () => Promise<boolean> | boolean, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function livePods(o: SessionsOptions, w: Workload): Promise<Json[]> {
  const list = await o.objects.listPage('v1', 'Pod', { namespace: o.namespace, labelSelector: w.podSelector });
  return list.items.filter((p: Json) => !p.metadata.deletionTimestamp);
}

/** Where a player dials a server. */
export interface Address {
  host: string;
  port: number;
}

/** The engine's port in the example manifests. */
const ENGINE_PORT = 7777;

/**
 * Where players reach each server, as a player would learn it: a GameServer's
 * status.networkStatus external address (Kubernetes-HostPort: its node's IP and host port); a
 * GameDeployment's pod IP (BCS has no network plugin) and the engine's port.
 */
async function serverAddresses(o: SessionsOptions, w: Workload, pods: Json[]): Promise<Address[]> {
  const out: Address[] = [];
  for (const pod of pods) {
    let address: Address | undefined;
    await waitUntil(`${pod.metadata.name}: an address players can dial`, o.waitMs, async () => {
      address = w.kind === 'GameServerSet' ? networkAddress((await o.objects.get(GSS_API, 'GameServer', { namespace: o.namespace, name: pod.metadata.name })).status?.networkStatus) : pod.status?.podIP ? { host: pod.status.podIP, port: ENGINE_PORT } : undefined;
      return address !== undefined;
    });
    out.push(address!);
  }
  return out;
}

/** The first external address of a Ready networkStatus. */
export function networkAddress(status: Json | undefined): Address | undefined {
  if (status?.currentNetworkState !== 'Ready') return undefined;
  const ext = status.externalAddresses?.[0];
  const port = ext?.ports?.[0]?.port;
  return ext?.ip && port ? { host: ext.ip, port: Number(port) } : undefined;
}

/** Sets the GameServers' opsState and waits until their pods carry it (the label the gate reads). */
async function setOpsState(o: SessionsOptions, names: string[], opsState: string, w: Workload): Promise<void> {
  for (const name of names) await o.objects.patchObject(GSS_API, 'GameServer', { namespace: o.namespace, name }, { spec: { opsState } }, { contentType: MERGE_PATCH });
  await waitUntil(`${names.length} servers ${opsState}`, o.waitMs, async () => {
    const pods = await livePods(o, w);
    return names.every((n) => pods.find((p) => p.metadata.name === n)?.metadata.labels?.['game.kruise.io/gs-opsState'] === opsState);
  });
}

function containerIds(pods: Json[]): Set<string> {
  const ids = new Set<string>();
  for (const p of pods) for (const c of p.status?.containerStatuses ?? []) if (c.containerID) ids.add(c.containerID);
  return ids;
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * Creates the workload on v1, connects the players, rolls the scripts sidecar to v2 and measures
 * until the workload's status shows every pod updated and ready and every session still
 * connected plays by the v2 rules; then removes the workload.
 */
export async function measureSessions(o: SessionsOptions): Promise<SessionsResult> {
  const name = `arena-${o.policy.kind === 'GameServerSet' ? 'gss' : 'gd'}-${o.policy.policy.toLowerCase()}${o.policy.allocated ? '-allocated' : ''}`;
  const w = arenaWorkload(o.policy, name, o.namespace, o.servers, o.maxUnavailable);
  const key = { namespace: o.namespace, name };
  const status = async (): Promise<Json> => (await o.objects.get(w.apiVersion, w.kind, key)).status ?? {};
  const allReady = (st: Json) => st.replicas === o.servers && st.readyReplicas === o.servers && st.updatedReadyReplicas === o.servers;

  o.progress(`${o.policy.label}: ${o.servers} servers on v1`);
  await o.objects.createObject(w.manifest);
  await waitUntil(`${name}: ${o.servers} servers ready`, o.waitMs, async () => allReady(await status()));
  const podsBefore = await livePods(o, w);
  // Allocated: the first half of the servers hold every player; the rollout may update the rest.
  const allocated = o.policy.allocated ? podsBefore.map((p) => p.metadata.name as string).sort().slice(0, Math.ceil(o.servers / 2)) : [];
  if (allocated.length) await setOpsState(o, allocated, 'Allocated', w);
  const served = allocated.length ? podsBefore.filter((p) => allocated.includes(p.metadata.name)) : podsBefore;
  const addresses = await serverAddresses(o, w, served);

  o.progress(`${o.policy.label}: ${o.players} players joining`);
  const players: Player[] = [];
  for (let i = 0; i < o.players; i++) players.push(await Player.join(addresses[i % addresses.length]!, `p${i}`, 500));
  try {
    await waitUntil(`${name}: every player gets ticks on v1`, o.waitMs, () => players.every((p) => p.ticks >= 5 && p.rules === 'v1' && p.lastGainRules === 'v1'));
    const idsBefore = containerIds(podsBefore);

    o.progress(`${o.policy.label}: rolling the scripts to v2`);
    for (const p of players) p.recording = true;
    const t0 = performance.now();
    const oldRevision = (await status()).updateRevision;
    const patched = await o.objects.patchObject(w.apiVersion, w.kind, key, w.scriptsPatch, { contentType: JSON_PATCH });
    const generation = patched.metadata?.generation ?? 0;
    await waitUntil(
      `${name}: every server updated and ready`,
      o.waitMs,
      async () => {
        const st = await status();
        if (st.observedGeneration < generation || st.updateRevision === oldRevision) return false;
        if (!allocated.length) return allReady(st);
        const waiting = (st.conditions ?? []).find((c: Json) => c.type === 'AllocatedUpdateWaiting');
        return st.readyReplicas === o.servers && st.updatedReadyReplicas === o.servers - allocated.length && waiting?.message?.startsWith(`${allocated.length} GameServer`);
      },
      100,
    );
    const rolloutSeconds = (performance.now() - t0) / 1000;
    // The engines pick the new scripts up within a poll (250 ms) after the sidecar publishes them.
    const kept = () => players.filter((p) => !p.dropped);
    if (!allocated.length) await waitUntil(`${name}: connected players on v2 rules`, o.waitMs, () => kept().every((p) => p.rules === 'v2' && p.lastGainRules === 'v2'));
    for (const p of players) p.recording = false;

    const podsAfter = await livePods(o, w);
    const idsAfter = containerIds(podsAfter);
    const gaps = players.flatMap((p) => p.gaps);
    const result: SessionsResult = {
      policy: o.policy,
      players: o.players,
      rolloutSeconds,
      dropped: players.filter((p) => p.dropped).length,
      onV2: kept().filter((p) => p.rules === 'v2' && p.lastGain === 2).length,
      p99TickGapMs: percentile(gaps, 0.99),
      maxTickGapMs: gaps.length ? Math.max(...gaps) : 0,
      containersRestarted: [...idsAfter].filter((id) => !idsBefore.has(id)).length,
      containers: idsAfter.size,
      dialled: addresses.map((a, i) => ({ ...a, podIP: served[i]!.status?.podIP, hostIP: served[i]!.status?.hostIP })),
    };
    if (allocated.length) {
      result.heldOnV1 = kept().filter((p) => p.rules === 'v1').length;
      // The engine reads hotpod.dev/update-pending through its downwardAPI volume.
      const pending = (await status()).updateRevision;
      await waitUntil(`${name}: the Allocated servers tell their players an update is pending`, o.waitMs, () => kept().every((p) => p.updatePending === pending)).catch(() => undefined);
      result.toldPending = kept().filter((p) => p.updatePending === pending).length;
      // The matches end: players leave, the servers are no longer Allocated, and they update.
      for (const p of players) p.leave();
      const t1 = performance.now();
      await setOpsState(o, allocated, 'None', w);
      await waitUntil(`${name}: every server updated once released`, o.waitMs, async () => allReady(await status()), 100);
      result.afterReleaseSeconds = (performance.now() - t1) / 1000;
    }
    o.progress(`${o.policy.label}: ${JSON.stringify({ ...result, policy: undefined })}`);
    return result;
  } finally {
    for (const p of players) p.leave();
    o.progress(`${o.policy.label}: deleting`);
    await o.objects.deleteObject(w.apiVersion, w.kind, key, { propagationPolicy: 'Background' });
    await waitUntil(`${name}: pods gone`, o.waitMs, async () => (await o.objects.listPage('v1', 'Pod', { namespace: o.namespace, labelSelector: w.podSelector })).items.length === 0, 500);
  }
}
