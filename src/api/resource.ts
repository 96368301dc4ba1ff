// A custom resource kind defined once: names, spec and status schemas, printer columns and
// subresources. From a definition come its TypeScript type (Resource<typeof def>), its
// openAPIV3Schema and its CustomResourceDefinition manifest (crdFor), nothing written twice.

import type { ObjectMeta } from '../util/kube-meta.js';
import { obj, str, type Infer, type InferInput, type Schema, type SchemaNode } from './schema.js';

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceDefinition<Spec extends Schema = Schema, Status extends Schema = Schema> {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  categories: readonly string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: Spec;
  /** the root schema requires `spec` (the BCS CRD does, OpenKruiseGame's do not) */
  specRequired: boolean;
  status: Status;
  printerColumns: readonly PrinterColumn[];
  /** the status subresource is always on; scale when given */
  scale?: ScaleSubresource;
}

export function defineResource<const D extends ResourceDefinition>(def: D): D {
  return def;
}

export type { ObjectMeta, OwnerReference } from '../util/kube-meta.js';

type ApiVersionOf<D extends ResourceDefinition> = `${D['group']}/${D['version']}`;

/** An object of the kind as the API server returns it (defaults applied). */
export interface Resource<D extends ResourceDefinition> {
  apiVersion: ApiVersionOf<D>;
  kind: D['kind'];
  metadata: ObjectMeta;
  spec: Infer<D['spec']>;
  status?: Infer<D['status']>;
}

/** An object of the kind as a client writes it (a manifest). */
export interface ResourceInput<D extends ResourceDefinition> {
  apiVersion: ApiVersionOf<D>;
  kind: D['kind'];
  metadata: ObjectMeta;
  spec: InferInput<D['spec']>;
  status?: InferInput<D['status']>;
}

export function apiVersionOf<D extends ResourceDefinition>(def: D): ApiVersionOf<D> {
  return `${def.group}/${def.version}` as ApiVersionOf<D>;
}

/** `gameserversets.game.kruise.io` */
export function crdName(def: ResourceDefinition): string {
  return `${def.plural}.${def.group}`;
}

const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** The version's whole-object schema: apiVersion, kind, metadata, spec, status. */
export function openAPIV3Schema(def: ResourceDefinition): SchemaNode {
  const metadata: SchemaNode = { type: 'object' };
  return obj(
    {
      apiVersion: str({ description: API_VERSION_DESCRIPTION }),
      kind: str({ description: KIND_DESCRIPTION }),
      metadata,
      spec: def.spec,
      status: def.status,
    },
    { description: def.description, required: def.specRequired ? ['spec'] : [] },
  );
}

/** The CustomResourceDefinition manifest (apiextensions.k8s.io/v1) for one definition. */
export function crdFor(def: ResourceDefinition): Record<string, unknown> {
  const names: Record<string, unknown> = {
    kind: def.kind,
    listKind: `${def.kind}List`,
    plural: def.plural,
    singular: def.singular,
  };
  if (def.shortNames.length) names.shortNames = [...def.shortNames];
  if (def.categories.length) names.categories = [...def.categories];
  const subresources: Record<string, unknown> = { status: {} };
  if (def.scale) subresources.scale = { ...def.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(def) },
    spec: {
      group: def.group,
      names,
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          subresources,
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: openAPIV3Schema(def) },
        },
      ],
    },
  };
}
