// A plane whose pods run real processes: the images a test needs are built into a fresh data
// dir (`hotpod image build`, as a user would), then `hotpod up` runs on it with one node unless
// told otherwise. Images not built here run simulated, as anywhere.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/node/images/index.js';
import { apiOk, startCluster, waitFor, type Cluster } from './cluster.js';

export interface ProcessImage {
  /** file name → contents, at the image's root */
  files: Record<string, string>;
  cmd: string[];
}

export interface ProcessCluster {
  cluster: Cluster;
  /** stops the plane and removes its data dir */
  cleanup(): Promise<void>;
}

export async function startProcessCluster(name: string, images: Record<string, ProcessImage>, o: { nodes?: number } = {}): Promise<ProcessCluster> {
  const root = mkdtempSync(join(tmpdir(), `hotpod-${name}-`));
  const dataDir = join(root, 'data');
  const store = new ImageStore(dataDir);
  for (const [ref, image] of Object.entries(images)) {
    const build = join(root, 'build', ref.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(build, { recursive: true });
    for (const [file, text] of Object.entries(image.files)) writeFileSync(join(build, file), text);
    writeFileSync(join(build, 'hotpod-image.json'), JSON.stringify({ cmd: image.cmd }));
    store.build(build, [ref]);
  }
  const nodes = o.nodes ?? 1;
  const before = process.env.HOTPOD_NODES;
  // Read by `hotpod up` when it starts (and again on a restart), so kept until cleanup.
  process.env.HOTPOD_NODES = String(nodes);
  const cluster = await startCluster({ dataDir, inMemory: true });
  await waitFor(async () => (await apiOk(cluster, 'GET', '/api/v1/nodes')).items.length === nodes, `${nodes} node(s) registered`, 30_000);
  return {
    cluster,
    async cleanup() {
      if (before === undefined) delete process.env.HOTPOD_NODES;
      else process.env.HOTPOD_NODES = before;
      await cluster.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
