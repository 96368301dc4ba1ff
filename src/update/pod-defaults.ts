// Fields the API server fills in when a pod is created. Two revisions are compared after
// defaulting both, so writing a default explicitly (imagePullPolicy: IfNotPresent) never
// turns an image-only change into a "recreate" one — the known complaint about InPlaceOnly.

import { defaultPullPolicy } from '../util/image-reference.js';
import { DEFAULT_SCHEDULER } from '../util/vocabulary.js';

type Json = Record<string, any>;

export function defaultedPodSpec(spec: Json | undefined): Json {
  const s: Json = structuredClone(spec ?? {});
  s.restartPolicy ??= 'Always';
  s.terminationGracePeriodSeconds ??= 30;
  s.dnsPolicy ??= 'ClusterFirst';
  s.schedulerName ??= DEFAULT_SCHEDULER;
  s.securityContext ??= {};
  s.enableServiceLinks ??= true;
  s.serviceAccountName ??= s.serviceAccount ?? 'default';
  delete s.serviceAccount;
  for (const list of ['initContainers', 'containers']) {
    for (const c of (s[list] ?? []) as Json[]) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.resources ??= {};
      c.imagePullPolicy ??= defaultPullPolicy(c.image);
      for (const p of (c.ports ?? []) as Json[]) p.protocol ??= 'TCP';
    }
  }
  return s;
}
