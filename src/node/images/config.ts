// hotpod-image.json: what a build directory says about how its image runs, the part of a
// Dockerfile that matters here (ENTRYPOINT, CMD, ENV, WORKDIR).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGE_CONFIG_FILE = 'hotpod-image.json';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** Environment of every container, before the pod's own env. */
  env?: Record<string, string>;
  /** Absolute path inside the image; `/` when unset. */
  workingDir?: string;
}

const KEYS = new Set(['entrypoint', 'cmd', 'env', 'workingDir']);

/** Reads DIR/hotpod-image.json; an absent file means an image with no command of its own. */
export function readImageConfig(buildDir: string): ImageConfig {
  const file = join(buildDir, IMAGE_CONFIG_FILE);
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseImageConfig(raw);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

function parseImageConfig(raw: unknown): ImageConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new Error(`unknown field "${k}" (known: ${[...KEYS].join(', ')})`);
  const config: ImageConfig = {};
  if (o.entrypoint !== undefined) config.entrypoint = commandOf(o.entrypoint, 'entrypoint');
  if (o.cmd !== undefined) config.cmd = commandOf(o.cmd, 'cmd');
  if (o.env !== undefined) config.env = envOf(o.env);
  if (o.workingDir !== undefined) {
    if (typeof o.workingDir !== 'string' || !o.workingDir.startsWith('/')) throw new Error('workingDir must be an absolute path');
    config.workingDir = o.workingDir;
  }
  return config;
}

// As in a Dockerfile, a string is the shell form and runs under `/bin/sh -c`.
function commandOf(v: unknown, field: string): string[] {
  if (typeof v === 'string') return ['/bin/sh', '-c', v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new Error(`${field} must be an array of strings (or a string for /bin/sh -c)`);
}

function envOf(v: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item !== 'string' || !item.includes('=')) throw new Error('env entries must be "NAME=value" strings');
      const i = item.indexOf('=');
      env[item.slice(0, i)] = item.slice(i + 1);
    }
    return env;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') throw new Error(`env.${k} must be a string`);
      env[k] = val;
    }
    return env;
  }
  throw new Error('env must be an object of strings or an array of "NAME=value"');
}
