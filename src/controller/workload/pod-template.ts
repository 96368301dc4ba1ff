// A new pod from a workload's template: the template's metadata and spec, the workload's labels,
// the revision label, the controller ownerReference, per-pod image overrides, and the readiness
// gate InPlaceUpdateReady that lets an in-place update take the pod out of service (a gate can
// only be set at creation: a pod's readinessGates are immutable).

import { IN_PLACE_UPDATE_READY } from '../../util/vocabulary.js';
import { REVISION_LABEL } from '../../update/in-place.js';
import type { PodTemplate } from '../../update/in-place-diff.js';
import type { KubeObject } from '../../kube/index.js';
import { controllerRefTo, type WorkloadOwner } from './owner.js';

export interface NewPod {
  owner: WorkloadOwner;
  name: string;
  template: PodTemplate;
  /** The revision the template belongs to (label controller-revision-hash). */
  revision: string;
  /** The workload's own labels (selector, ordinals, ...), over the template's. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Container name → image, over the template's (one server's override). */
  images?: Record<string, string>;
  /**
   * Container name → requests and limits set over the template's, quantity by quantity (one
   * server's override; a pod's resources are fixed once it runs, so only here).
   */
  resources?: Record<string, ContainerResources>;
  /** Fields set on the spec over the template's (hostname, subdomain). */
  spec?: Record<string, unknown>;
  /** false: no InPlaceUpdateReady gate (BCS's disableReadinessGate); the template's own gates stay. */
  readinessGate?: boolean;
}

export interface ContainerResources {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
}

export function podFromTemplate(p: NewPod): KubeObject {
  const spec = structuredClone(p.template.spec ?? {}) as Record<string, any>;
  Object.assign(spec, p.spec ?? {});
  for (const c of (spec.containers ?? []) as Record<string, any>[]) {
    const image = p.images?.[c.name];
    if (image !== undefined) c.image = image;
    const resources = p.resources?.[c.name];
    for (const kind of ['limits', 'requests'] as const) {
      if (!resources?.[kind] || !Object.keys(resources[kind]).length) continue;
      c.resources = { ...(c.resources ?? {}), [kind]: { ...(c.resources?.[kind] ?? {}), ...resources[kind] } };
    }
  }
  const gates = ((spec.readinessGates ?? []) as { conditionType: string }[]).filter((g) => g.conditionType !== IN_PLACE_UPDATE_READY);
  if (p.readinessGate === false) {
    if (gates.length) spec.readinessGates = gates;
    else delete spec.readinessGates;
  } else spec.readinessGates = [...gates, { conditionType: IN_PLACE_UPDATE_READY }];
  const meta = p.template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}), ...(p.labels ?? {}), [REVISION_LABEL]: p.revision },
      annotations: { ...(meta.annotations ?? {}), ...(p.annotations ?? {}) },
      ownerReferences: [controllerRefTo(p.owner)],
    },
    spec,
  };
}
