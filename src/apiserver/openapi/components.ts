// The apimachinery schemas every group-version document refers to (ObjectMeta, ListMeta,
// Status, DeleteOptions, Patch) and autoscaling/v1 Scale for scale subresources, so that
// `kubectl explain <kind>.metadata` has something to walk. Descriptions are short on purpose.

type Schema = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const OBJECT_META = `${META}.ObjectMeta`;
export const LIST_META = `${META}.ListMeta`;
export const STATUS = `${META}.Status`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const PATCH = `${META}.Patch`;
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** OpenAPI 3.0 ignores siblings of $ref, so a described reference is wrapped in allOf (as Kubernetes does). */
export function describedRef(name: string, description: string, extra: Schema = {}): Schema {
  return description ? { allOf: [ref(name)], description, ...extra } : { allOf: [ref(name)], ...extra };
}

const str = (description: string): Schema => ({ type: 'string', description });
const int64 = (description: string): Schema => ({ type: 'integer', format: 'int64', description });
const int32 = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const stringMap = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });

export const API_VERSION_PROPERTY = str('The versioned schema of this representation of an object (group/version).');
export const KIND_PROPERTY = str('The REST resource this object represents, in CamelCase.');

const metaSchemas: Record<string, Schema> = {
  [`${META}.Time`]: { type: 'string', format: 'date-time', description: 'A timestamp in RFC 3339 form, to the second.' },
  [`${META}.FieldsV1`]: { type: 'object', description: 'A set of fields, in the FieldsV1 format of server-side apply.' },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    description: 'Which manager owns which fields of an object, and since when.',
    properties: {
      apiVersion: str('The version of the fields set, as the manager sent them.'),
      fieldsType: str('The format of fieldsV1; only "FieldsV1".'),
      fieldsV1: describedRef(`${META}.FieldsV1`, 'The fields this entry covers.'),
      manager: str('Who manages these fields.'),
      operation: str('Apply or Update: the kind of write that set these fields.'),
      subresource: str('The subresource the write went through, if any.'),
      time: describedRef(`${META}.Time`, 'When these fields last changed.'),
    },
  },
  [`${META}.OwnerReference`]: {
    type: 'object',
    description: 'An object this one depends on; deleting the owner deletes its dependents.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: str('API version of the owner.'),
      blockOwnerDeletion: bool('Whether foreground deletion of the owner waits for this object.'),
      controller: bool('Whether the owner is the managing controller.'),
      kind: str('Kind of the owner.'),
      name: str('Name of the owner.'),
      uid: str('UID of the owner.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [OBJECT_META]: {
    type: 'object',
    description: 'Metadata that every persisted resource has.',
    properties: {
      annotations: stringMap('Arbitrary non-identifying metadata, for tools and controllers.'),
      creationTimestamp: describedRef(`${META}.Time`, 'When the server created the object. Read-only.'),
      deletionGracePeriodSeconds: int64('Seconds the object has to terminate once deletion is requested. Read-only.'),
      deletionTimestamp: describedRef(`${META}.Time`, 'When the object is to be deleted; set when deletion is requested. Read-only.'),
      finalizers: {
        type: 'array',
        description: 'Conditions that must be cleared before the object is removed from storage.',
        items: { type: 'string', default: '' },
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      },
      generateName: str('Prefix for a server-generated name, used when name is empty.'),
      generation: int64('Sequence number of the desired state (spec). Read-only.'),
      labels: stringMap('Key/value pairs used to select and group objects.'),
      managedFields: {
        type: 'array',
        description: 'Field ownership for server-side apply.',
        items: describedRef(`${META}.ManagedFieldsEntry`, '', { default: {} }),
      },
      name: str('Name, unique within a namespace. Cannot be updated.'),
      namespace: str('The namespace of a namespaced object; empty for cluster-scoped ones.'),
      ownerReferences: {
        type: 'array',
        description: 'Objects this one depends on.',
        items: describedRef(`${META}.OwnerReference`, '', { default: {} }),
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: str('Opaque version of the object, for optimistic concurrency and watches. Read-only.'),
      selfLink: str('Deprecated; not set.'),
      uid: str('Unique identifier over time and space. Read-only.'),
    },
  },
  [LIST_META]: {
    type: 'object',
    description: 'Metadata of a list.',
    properties: {
      continue: str('Token for the next page of a chunked list.'),
      remainingItemCount: int64('Items left after this page, when known.'),
      resourceVersion: str('Version of the list, to start a watch from.'),
      selfLink: str('Deprecated; not set.'),
    },
  },
  [`${META}.StatusCause`]: {
    type: 'object',
    description: 'One reason an operation failed.',
    properties: {
      field: str('The field at fault, e.g. spec.replicas.'),
      message: str('Human-readable description of the cause.'),
      reason: str('Machine-readable reason, e.g. FieldValueInvalid.'),
    },
  },
  [`${META}.StatusDetails`]: {
    type: 'object',
    description: 'Details of a failed operation.',
    properties: {
      causes: { type: 'array', description: 'The causes of the failure.', items: describedRef(`${META}.StatusCause`, '', { default: {} }) },
      group: str('Group of the resource.'),
      kind: str('Kind (resource) concerned.'),
      name: str('Name of the object concerned.'),
      retryAfterSeconds: int32('When to retry, for errors that may go away.'),
      uid: str('UID of the object concerned.'),
    },
  },
  [STATUS]: {
    type: 'object',
    description: 'The result of an operation that returns no object.',
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      code: int32('HTTP status code.'),
      details: describedRef(`${META}.StatusDetails`, 'Details of the failure.'),
      kind: KIND_PROPERTY,
      message: str('Human-readable description.'),
      metadata: describedRef(LIST_META, 'Standard list metadata.', { default: {} }),
      reason: str('Machine-readable reason, e.g. NotFound.'),
      status: str('Success or Failure.'),
    },
  },
  [`${META}.Preconditions`]: {
    type: 'object',
    description: 'Conditions a deletion requires.',
    properties: { resourceVersion: str('Required resourceVersion.'), uid: str('Required UID.') },
  },
  [DELETE_OPTIONS]: {
    type: 'object',
    description: 'Options of a deletion.',
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      dryRun: { type: 'array', description: 'All: do everything but persist.', items: { type: 'string', default: '' } },
      gracePeriodSeconds: int64('Seconds before the object is deleted; 0 deletes at once.'),
      kind: KIND_PROPERTY,
      orphanDependents: bool('Deprecated: use propagationPolicy.'),
      preconditions: describedRef(`${META}.Preconditions`, 'Must hold for the deletion to proceed.'),
      propagationPolicy: str('Orphan, Background or Foreground: what happens to dependents.'),
    },
  },
  [PATCH]: { type: 'object', description: 'The body of a PATCH request, in the format its Content-Type names.' },
};

const scaleSchemas: Record<string, Schema> = {
  'io.k8s.api.autoscaling.v1.ScaleSpec': {
    type: 'object',
    description: 'Desired scale.',
    properties: { replicas: int32('Desired number of instances.') },
  },
  'io.k8s.api.autoscaling.v1.ScaleStatus': {
    type: 'object',
    description: 'Observed scale.',
    required: ['replicas'],
    properties: {
      replicas: int32('Observed number of instances.'),
      selector: str('Label selector of the instances, in string form.'),
    },
  },
  [SCALE]: {
    type: 'object',
    description: 'The scale subresource of a resource.',
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      kind: KIND_PROPERTY,
      metadata: describedRef(OBJECT_META, 'Standard object metadata.', { default: {} }),
      spec: describedRef('io.k8s.api.autoscaling.v1.ScaleSpec', 'Desired scale.', { default: {} }),
      status: describedRef('io.k8s.api.autoscaling.v1.ScaleStatus', 'Observed scale. Read-only.', { default: {} }),
    },
    'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
  },
};

/** Fresh copies, so that a document's consumer can never alter the next one. */
export function metaComponents(withScale: boolean): Record<string, Schema> {
  return structuredClone(withScale ? { ...metaSchemas, ...scaleSchemas } : metaSchemas);
}
