// Schema pieces shared by the kinds: label selectors, pod templates, conditions.

import type { V1PodSpec, V1PersistentVolumeClaim, V1PodStatus } from '@kubernetes/client-node';
import type { ObjectMeta } from './resource.js';
import { arr, enumOf, int, looseObject, map, obj, str, time } from './schema.js';


/** metav1.LabelSelector */
export const labelSelector = (description: string) =>
  obj(
    {
      matchExpressions: arr(
        obj(
          {
            key: str({ description: 'key is the label key that the selector applies to.' }),
            operator: str({
              description: "operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist.",
            }),
            values: arr(str(), {
              description:
                'values is an array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty.',
            }),
          },
          { required: ['key', 'operator'] },
        ),
        { description: 'matchExpressions is a list of label selector requirements. The requirements are ANDed.' },
      ),
      matchLabels: map(str(), {
        description:
          'matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.',
      }),
    },
    { description },
  );

const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const NO_SURROUNDING_SPACE = '^\\S(.*\\S)?$';

/** A pod template's metadata: labels and annotations checked, everything else kept. */
export const podTemplateMetadata = looseObject<ObjectMeta>({
  description: "Standard object's metadata of the pods created from this template.",
  properties: {
    labels: map(str()),
    annotations: map(str()),
  },
});

/**
 * A pod spec: containers required, each with a name, everything else kept as written. The
 * schema does not spell out PodSpec; the API server checks the pods made from it.
 */
export const podSpec = looseObject<V1PodSpec>({
  description: 'Specification of the desired behavior of the pod.',
  required: ['containers'],
  properties: {
    containers: arr(
      looseObject({
        required: ['name'],
        properties: {
          // Pod validation's rules (a DNS-1123 label; an image without surrounding spaces), so
          // that a template no pod could be made from is refused when written, not on every create.
          name: str({ description: 'Name of the container (a DNS-1123 label).', maxLength: 63, pattern: DNS1123_LABEL }),
          image: str({ description: 'Container image name.', pattern: NO_SURROUNDING_SPACE }),
        },
      }),
      {
        description: 'List of containers belonging to the pod. Container names are unique.',
        minItems: 1,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    ),
  },
});

/** Kept whole: a PersistentVolumeClaim template. */
export const persistentVolumeClaim = looseObject<V1PersistentVolumeClaim>({
  description: 'A PersistentVolumeClaim template; each pod gets its own claim made from it.',
});

/** Kept whole: the pod's status as the GameServer mirrors it. */
export const podStatus = looseObject<V1PodStatus>({ description: 'The status of the GameServer\'s pod.' });

/** inPlaceUpdateStrategy of Kruise and BCS. */
export const inPlaceUpdateStrategy = obj(
  {
    gracePeriodSeconds: int({
      minimum: 0,
      description:
        'GracePeriodSeconds is the timespan between set Pod status to not-ready and update images in Pod spec when in-place update a Pod.',
    }),
  },
  { description: 'InPlaceUpdateStrategy contains strategies for in-place update.' },
);

/** BCS's InplaceUpdatePolicy: the order in which an in-place update restarts a pod's containers. */
export const IN_PLACE_UPDATE_POLICIES = ['DisOrdered', 'OrderedReady', 'OrderedUpdated'] as const;

/** inPlaceUpdateStrategy of BCS's GameDeployment: Kruise's, plus the container order (policy). */
export const gameDeploymentInPlaceUpdateStrategy = obj(
  {
    gracePeriodSeconds: int({
      minimum: 0,
      description:
        'GracePeriodSeconds is the timespan between set Pod status to not-ready and update images in Pod spec when in-place update a Pod.',
    }),
    policy: enumOf(IN_PLACE_UPDATE_POLICIES, {
      default: 'DisOrdered',
      description:
        "Policy is the policy when in-place updating a pod. Defaults to DisOrdered. DisOrdered: all changed containers at once. OrderedReady: the containers in the template's order, each only when the previous one runs its new image and is ready. OrderedUpdated: the same, each only when the previous one runs its new image.",
    }),
  },
  { description: 'InPlaceUpdateStrategy contains strategies for in-place update.' },
);

/** A status condition with the usual fields. */
export const condition = (description: string) =>
  obj(
    {
      type: str({ description: 'Type of the condition.' }),
      status: str({ description: 'Status of the condition, one of True, False, Unknown.' }),
      lastProbeTime: time({ description: 'Last time the condition was probed.' }),
      lastTransitionTime: time({ description: 'Last time the condition transitioned from one status to another.' }),
      reason: str({ description: "The reason for the condition's last transition." }),
      message: str({ description: 'A human readable message indicating details about the transition.' }),
    },
    { description, required: ['type', 'status'] },
  );
