// kube-apiserver's node port allocation for Services: a NodePort or LoadBalancer Service's ports
// get a nodePort from the service-node-port-range (30000-32767) unless they ask for one, keep
// the ones they have across updates that leave them out, and give them back when the Service
// goes or stops being of such a type. One number belongs to one Service (kube's allocator is
// one bitmap), which may use it for TCP and UDP both. Pure: the stored Services are passed in.

import type { KObject } from '../types.js';

type Json = Record<string, any>;

export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

interface Cause {
  reason: string;
  field: string;
  message: string;
}

function hasNodePorts(type: unknown): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** Node ports held by Services other than `self`. */
function heldByOthers(services: readonly KObject[], self: KObject): Set<number> {
  const held = new Set<number>();
  for (const s of services) {
    if (s.metadata.namespace === self.metadata.namespace && s.metadata.name === self.metadata.name) continue;
    for (const p of ((s as Json).spec?.ports ?? []) as Json[]) if (p?.nodePort) held.add(p.nodePort);
  }
  return held;
}

/**
 * Sets the Service's nodePorts in place (`old`: the stored Service on an update) and returns
 * the causes of a refusal, as kube-apiserver words them.
 */
export function allocateNodePorts(svc: KObject, old: KObject | undefined, services: readonly KObject[], random: () => number = Math.random): Cause[] {
  const spec = (svc as Json).spec;
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.ports)) return [];
  const ports = spec.ports as Json[];
  if (!hasNodePorts(spec.type)) {
    // Leaving NodePort: kube drops the ports it gave (the client need not clear them).
    if (old && hasNodePorts((old as Json).spec?.type)) for (const p of ports) delete p.nodePort;
    return [];
  }
  const held = heldByOthers(services, svc);
  const mine = new Set<number>();
  const causes: Cause[] = [];
  const oldPorts = (old && hasNodePorts((old as Json).spec?.type) ? ((old as Json).spec?.ports ?? []) : []) as Json[];
  ports.forEach((p, i) => {
    if (!p || typeof p !== 'object') return;
    if (!p.nodePort) {
      const kept = oldPorts.find((o) => o?.nodePort && o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (kept) p.nodePort = kept.nodePort;
    }
    if (!p.nodePort) return;
    const field = `spec.ports[${i}].nodePort`;
    if (!Number.isInteger(p.nodePort) || p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
      causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` });
    } else if (held.has(p.nodePort)) {
      causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${p.nodePort}: provided port is already allocated` });
    }
    mine.add(p.nodePort);
  });
  if (causes.length) return causes;
  const size = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
  for (const p of ports) {
    if (!p || typeof p !== 'object' || p.nodePort) continue;
    // The same port number for the other protocol of the same port, as kube does for TCP+UDP pairs.
    const twin = ports.find((o) => o !== p && o?.nodePort && o.port === p.port && (o.protocol ?? 'TCP') !== (p.protocol ?? 'TCP'));
    if (twin) {
      p.nodePort = twin.nodePort;
      continue;
    }
    // Random, as kube's allocator, so numbers freed by a deleted Service are not handed out at once.
    const start = Math.floor(random() * size);
    for (let k = 0; k < size; k++) {
      const n = NODE_PORT_RANGE.min + ((start + k) % size);
      if (!held.has(n) && !mine.has(n)) {
        p.nodePort = n;
        mine.add(n);
        break;
      }
    }
    if (!p.nodePort) return [{ reason: 'FieldValueInvalid', field: 'spec.ports', message: `Internal error: range is full: no free node port left in ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` }];
  }
  return [];
}
