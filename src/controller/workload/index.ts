// The workload layer shared by GameServerSet and GameDeployment: what every set of pods needs
// whatever its API. See ../README.md ("The shared workload layer").

export { ApiWriter, type WriteCounts, type WriteVerb } from './api-writer.js';
export { asOwner, controllerRefTo, describeOwner, ownerKey, type WorkloadOwner } from './owner.js';
export {
  Revisions,
  canonicalJson,
  revisionName,
  revisionTemplate,
  templateHash,
  DEFAULT_REVISION_HISTORY_LIMIT,
  REVISION_API_VERSION,
  REVISION_KIND,
} from './revisions.js';
export { podFromTemplate, type ContainerResources, type NewPod } from './pod-template.js';
export { PodUpdater, type PodUpdaterOptions } from './pod-updater.js';
export { countPods, nextAvailableInMs, podIsSettled, type PodCounts } from './status.js';
export { forEachLimit, slowStart } from './parallel.js';
export { BURST_REPLICAS, burst } from './burst.js';
export { createWorkloadContext, type WorkloadContext, type WorkloadContextOptions } from './context.js';
export { CONDITION_FAILED_UPDATE, REASON_INVALID_SPEC, invalidSpecMessage, reportInvalidSpec } from './invalid-spec.js';
export { ProblemEvents, conditionProblems } from './problem-events.js';
export { PodCreator } from './pod-creator.js';
