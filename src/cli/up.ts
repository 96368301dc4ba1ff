// `hotpod up`: the embedded control plane in the foreground until SIGINT or SIGTERM.

import { pino } from 'pino';
import { startControlPlane } from '../apiserver/index.js';

export interface UpOptions {
  dataDir: string;
  port: number;
  address: string;
  inMemory: boolean;
  logLevel: string;
}

export async function up(opts: UpOptions): Promise<void> {
  const logger = pino({ level: opts.logLevel }, pino.destination(2));
  let plane;
  try {
    plane = await startControlPlane({ dataDir: opts.dataDir, port: opts.port, address: opts.address, inMemory: opts.inMemory, logger });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`port ${opts.port} on ${opts.address} is already in use (try --port 0 or another port)`);
    if (e.code === 'EACCES') throw new Error(`not allowed to listen on ${opts.address}:${opts.port}`);
    throw err;
  }
  logger.info({ url: plane.url, dataDir: opts.dataDir, inMemory: opts.inMemory }, 'control plane ready');
  process.stdout.write(`KUBECONFIG=${plane.kubeconfigPath}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await plane.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
