// Shapes shared by the API server's modules. Objects are plain JSON as they travel on the wire.

import type { ObjectMeta } from '../util/kube-meta.js';

export type { ObjectMeta, OwnerReference } from '../util/kube-meta.js';

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A column of a server-side Table (meta.k8s.io/v1). */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** additionalPrinterColumns entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** Everything the server knows about one served resource (built-in or from a CRD). */
export interface ResourceDef {
  group: string; // '' for core
  version: string;
  resource: string; // plural, e.g. 'pods'
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** 'status' and/or 'scale' (plus built-in ones such as 'binding', 'log'). */
  subresources: string[];
  /** For the scale subresource of custom resources. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Custom resources: printer columns from the CRD; built-ins: printed by code. */
  printerColumns?: PrinterColumn[];
  /** Built-in kinds accept strategic merge patches; custom resources do not. */
  builtin: boolean;
  /** Whether spec changes bump metadata.generation (any non-metadata, non-status change). */
  tracksGeneration: boolean;
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
