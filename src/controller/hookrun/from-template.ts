// A HookRun made from a HookTemplate, as BCS's workloads make them: the template's metrics and
// policy, its args with the values the workload supplies. The workload's own args fill the
// template's by name; the built-ins (PodName, PodNamespace, PodIP, HostIP, PodContainer[i], ...)
// are added even where the template does not declare them; any other arg the template does not
// declare is dropped. An arg the template declares and nothing fills is an error, and no run is
// made (BCS: `args.X was not resolved`).

type Json = Record<string, any>;

export interface Arg {
  name: string;
  value?: string;
}

/** BCS's built-in argument names (a name containing one of them counts, as PodContainer[0]). */
const BUILT_IN_ARGS = ['PodName', 'PodNamespace', 'PodIP', 'PodContainer', 'ModifiedContainer', 'HostIP'];

export function mergeArgs(incoming: readonly Arg[], declared: readonly Arg[]): Arg[] {
  const args = declared.map((a) => ({ ...a }));
  for (const arg of incoming) {
    const i = args.findIndex((a) => a.name === arg.name);
    if (i >= 0 && arg.value !== undefined) args[i]!.value = arg.value;
    else if (i < 0 && BUILT_IN_ARGS.some((b) => arg.name.includes(b))) args.push({ ...arg });
  }
  const missing = args.filter((a) => a.value === undefined || a.value === null).map((a) => `args.${a.name}`);
  if (missing.length) throw new Error(`${missing.join(', ')} ${missing.length === 1 ? 'was' : 'were'} not resolved`);
  return args;
}

/** The built-in args of a pod: its name, namespace, addresses and container names (PodContainer[i]). */
export function podArgs(pod: Json): Arg[] {
  const args: Arg[] = [
    { name: 'PodName', value: pod.metadata?.name ?? '' },
    { name: 'PodNamespace', value: pod.metadata?.namespace ?? '' },
    { name: 'PodIP', value: pod.status?.podIP ?? '' },
    { name: 'HostIP', value: pod.status?.hostIP ?? '' },
  ];
  ((pod.spec?.containers ?? []) as Json[]).forEach((c, i) => args.push({ name: `PodContainer[${i}]`, value: String(c.name) }));
  return args;
}

export interface RunRequest {
  template: Json;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** The workload that owns the run (controller reference). */
  owner: { apiVersion: string; kind: string; metadata: { name: string; uid: string } };
  /** The step's args, then the built-ins. */
  args: readonly Arg[];
}

export function hookRunFromTemplate(r: RunRequest): Json {
  const spec = (r.template.spec ?? {}) as Json;
  const args = mergeArgs(r.args, (spec.args ?? []) as Arg[]);
  return {
    apiVersion: 'tkex.tencent.com/v1alpha1',
    kind: 'HookRun',
    metadata: {
      name: r.name,
      namespace: r.namespace,
      labels: r.labels,
      ownerReferences: [{ apiVersion: r.owner.apiVersion, kind: r.owner.kind, name: r.owner.metadata.name, uid: r.owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { metrics: spec.metrics ?? [], args, ...(spec.policy ? { policy: spec.policy } : {}) },
  };
}
