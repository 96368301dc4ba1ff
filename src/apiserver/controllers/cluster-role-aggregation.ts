// ClusterRole aggregation, as kube-controller-manager does it: a ClusterRole with an
// aggregationRule holds the rules of every ClusterRole its selectors pick. This is how the
// admin, edit and view roles grow to cover custom resources whose roles carry an
// `rbac.authorization.k8s.io/aggregate-to-*` label.

import type { Logger } from 'pino';
import type { ObjectService } from '../objects.js';
import type { KObject } from '../types.js';
import { matchesLabelSelector, type LabelSelector } from '../../util/label-selector.js';
import { deepEqual } from '../../util/equal.js';

type Json = Record<string, any>;

const KEY = 'rbac.authorization.k8s.io/clusterroles';
/** Aggregated roles may include aggregated roles; a few passes settle any sane chain. */
const MAX_PASSES = 5;

export class ClusterRoleAggregator {
  private scheduled = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly objects: ObjectService,
    private readonly logger: Logger,
  ) {}

  /** Settles every aggregated role now, then follows ClusterRole changes. */
  async start(): Promise<void> {
    for (let i = 0; i < MAX_PASSES && (await this.syncAll()); i++);
    this.unsubscribe = this.objects.store.subscribe((e) => {
      if (e.groupResource === KEY) this.schedule();
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.syncAll().catch((err) => this.logger.warn({ err }, 'could not aggregate cluster roles'));
    });
  }

  /** Rewrites the aggregated roles whose rules are out of date; true when it wrote any. */
  async syncAll(): Promise<boolean> {
    const roles = this.objects.store.list(KEY);
    const def = this.objects.registry.lookup('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
    let wrote = false;
    for (const role of roles) {
      const selectors = ((role as Json).aggregationRule?.clusterRoleSelectors ?? []) as LabelSelector[];
      if (!(role as Json).aggregationRule || role.metadata.deletionTimestamp) continue;
      const rules = aggregatedRules(role, selectors, roles);
      if (deepEqual((role as Json).rules ?? [], rules)) continue;
      try {
        await this.objects.update(def, undefined, role.metadata.name!, { ...role, rules }, undefined);
        wrote = true;
      } catch (err) {
        this.logger.debug({ err, role: role.metadata.name }, 'aggregation write lost a race; the next change retries');
      }
    }
    return wrote;
  }
}

function aggregatedRules(target: KObject, selectors: LabelSelector[], roles: KObject[]): Json[] {
  const rules: Json[] = [];
  for (const selector of selectors) {
    for (const role of roles) {
      if (role.metadata.name === target.metadata.name || !matchesLabelSelector(selector, role.metadata.labels)) continue;
      for (const rule of ((role as Json).rules ?? []) as Json[]) {
        if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
      }
    }
  }
  return rules;
}
