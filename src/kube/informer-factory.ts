// One informer per resource for the whole process, shared by every controller that reads it
// (GameServerSet and GameDeployment both read pods: one list, one watch, one cache).

import type { Logger } from 'pino';
import { Informer, type InformerOptions, type InformerSpec } from './informer.js';
import type { KubeClient } from './client.js';
import type { IndexFunc } from './indexed-cache.js';
import type { KubeObject } from './objects.js';

export type FactoryDefaults = Omit<InformerOptions, keyof InformerSpec | 'indexers' | 'logger'>;

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: { logger?: Logger; defaults?: FactoryDefaults } = {},
  ) {}

  /** The informer for this resource (and selectors), created on first use. */
  informerFor<T extends KubeObject = KubeObject>(spec: InformerSpec & { indexers?: Record<string, IndexFunc> }): Informer<T> {
    const id = [spec.apiVersion, spec.kind, spec.namespace ?? '', spec.labelSelector ?? '', spec.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(id);
    if (!inf) {
      const { indexers, ...rest } = spec;
      inf = new Informer<KubeObject>(this.client, { ...this.opts.defaults, ...rest, indexers, logger: this.opts.logger });
      this.informers.set(id, inf);
      if (this.started) inf.start();
    } else {
      for (const [name, fn] of Object.entries(spec.indexers ?? {})) {
        try {
          inf.cache.addIndexer(name, fn);
        } catch {
          // Another controller registered an index of that name already; names are shared.
        }
      }
    }
    return inf as unknown as Informer<T>;
  }

  list(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }

  /** Starts every informer, and any created later. */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(timeoutMs = 60_000): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
