// The labels, annotations, condition types and names that parts of hotpod which never import
// one another must spell alike: the controller and update engine write what the node agents and
// the scheduler read (and the reverse), the API server defaults what the nodes act on, and its
// bootstrap roles grant the groups src/api defines. They meet only through the Kubernetes API,
// so a typo on one side fails silently: each string is written here once. Strings only one part
// uses stay with that part.

/** Node label `"true"` on nodes whose agent honours HOT_PATCH_ANNOTATION (not with `--no-hot-patch`). */
export const HOT_PATCH_LABEL = 'hotpod.dev/hot-patch';

/** Pod annotation `"true"` (BCS's kubelet contract): change container images without restarts. */
export const HOT_PATCH_ANNOTATION = 'io.kubernetes.hotpatch.container';
/**
 * On a GameServer's pod: the probes of its set's serviceQualities (JSON), which the node agent
 * runs and reports as the pod conditions game.kruise.io/<name>.
 */
export const SERVICE_QUALITY_PROBES_ANNOTATION = 'hotpod.dev/service-quality-probes';
/** On a Node: its agent runs the service-quality probes of the pods on it (hotpod's embedded nodes do). */
export const SERVICE_QUALITY_NODE_LABEL = 'hotpod.dev/runs-service-qualities';

/**
 * Pod readiness gate and condition type of in-place and hot-patch updates (OpenKruise's): the
 * controller sets it False before changing a pod and True after; the node's Ready waits for it.
 */
export const IN_PLACE_UPDATE_READY = 'InPlaceUpdateReady';

/** The scheduler of pods without spec.schedulerName: the API server's default, the embedded scheduler's name. */
export const DEFAULT_SCHEDULER = 'default-scheduler';

/** Taint of a node whose Ready is not True; pods tolerate it for 300 s by default. */
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** Taint of a node whose Lease has expired; pods tolerate it for 300 s by default. */
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** The namespace of the nodes' Leases, which the API server creates at start. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The API group of GameServerSet and GameServer (OpenKruiseGame's). */
export const GAME_KRUISE_GROUP = 'game.kruise.io';

/** The API group of GameDeployment (BCS's). */
export const TKEX_GROUP = 'tkex.tencent.com';

/**
 * Pod label with a game server's opsState: a GameServerSet's pods mirror their GameServer's
 * (OpenKruiseGame's name), a GameDeployment's pods carry it as the game or its allocator sets it.
 * Both workloads' allocation-aware updates read it (src/update/allocation-gate.ts).
 */
export const GS_OPS_STATE_LABEL = 'game.kruise.io/gs-opsState';

/**
 * Why a revision was made: the controller copies it from the workload onto each new
 * ControllerRevision, and `hotpod rollout history` shows it (as kubectl does for StatefulSets).
 */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
