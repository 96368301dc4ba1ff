// Table printers for built-in kinds other than pods, for custom resources (from the CRD's
// additionalPrinterColumns) and the fallbacks kube-apiserver uses for everything else.

import type { KObject, PrinterColumn, ResourceDef } from '../types.js';
import { humanDuration } from './duration.js';
import { evalJsonPath } from '../../util/jsonpath.js';
import { type Cell, type Printer, type Rec, AGE_DESCRIPTION, ageColumn, ageOf, column, nameColumn, num, parseTime, rec, recs, since, str } from './fields.js';
import { podPrinter } from './pod.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.js';
import { labelSelectorToString } from '../selectors/labels.js';
import { rfc3339 } from '../../util/time.js';

const nameOf = (obj: KObject): string => str(obj.metadata?.name);

/** Printers keyed by `group/resource` (core group is ''). */
const builtinPrinters: Record<string, Printer> = {
  '/pods': podPrinter,
  '/namespaces': {
    columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
    // Namespaces are created Active; a missing phase means the object was never defaulted.
    cells: (o, now) => [nameOf(o), str(rec(o.status).phase) || 'Active', ageOf(o, now)],
  },
  '/nodes': nodePrinter(),
  '/events': eventPrinter(),
  'events.k8s.io/events': eventPrinter(),
  '/configmaps': {
    columns: [nameColumn(), column('Data', 'string', 'Data contains the configuration data.'), ageColumn()],
    cells: (o, now) => [nameOf(o), keyCount(o.data) + keyCount(o.binaryData), ageOf(o, now)],
  },
  '/secrets': {
    columns: [
      nameColumn(),
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'string', 'Data contains the secret data.'),
      ageColumn(),
    ],
    cells: (o, now) => [nameOf(o), str(o.type) || 'Opaque', keyCount(o.data), ageOf(o, now)],
  },
  '/services': servicePrinter(),
  'networking.k8s.io/ingresses': ingressPrinter(),
  'networking.k8s.io/ingressclasses': ingressClassPrinter(),
  '/persistentvolumeclaims': persistentVolumeClaimPrinter,
  '/persistentvolumes': persistentVolumePrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  // Since 1.24 token secrets are no longer auto-created, so this usually shows 0, but the column stays.
  '/serviceaccounts': {
    columns: [nameColumn(), column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn()],
    cells: (o, now) => [nameOf(o), recs(o.secrets).length, ageOf(o, now)],
  },
  'apps/deployments': deploymentPrinter(),
  'apps/controllerrevisions': {
    columns: [
      nameColumn(),
      column('Controller', 'string', 'Controller of the object'),
      column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
      ageColumn(),
    ],
    cells: (o, now) => [nameOf(o), controllerOf(o), num(o.revision), ageOf(o, now)],
  },
  'coordination.k8s.io/leases': {
    columns: [nameColumn(), column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn()],
    cells: (o, now) => [nameOf(o), str(rec(o.spec).holderIdentity), ageOf(o, now)],
  },
  'rbac.authorization.k8s.io/roles': rolePrinter(),
  'rbac.authorization.k8s.io/clusterroles': rolePrinter(),
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter(),
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter(),
  // CRDs have no printer of their own: the default convertor prints the raw creation time.
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [nameColumn(), column('Created At', 'date', AGE_DESCRIPTION)],
    cells: (o) => [nameOf(o), createdAt(o)],
  },
};

const fallbackPrinter: Printer = {
  columns: [nameColumn(), ageColumn()],
  cells: (o, now) => [nameOf(o), ageOf(o, now)],
};

export function printerFor(def: ResourceDef): Printer {
  if (!def.builtin) return customResourcePrinter(def.printerColumns);
  return builtinPrinters[`${def.group}/${def.resource}`] ?? fallbackPrinter;
}

/** Roles print their creation time, not an age, as kube's printers do. */
function rolePrinter(): Printer {
  return {
    columns: [nameColumn(), column('Created At', 'date', AGE_DESCRIPTION)],
    cells: (o) => [nameOf(o), createdAt(o)],
  };
}

function bindingPrinter(): Printer {
  return {
    columns: [
      nameColumn(),
      column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      ageColumn(),
      column('Users', 'string', 'Users in the roleBinding', 1),
      column('Groups', 'string', 'Groups in the roleBinding', 1),
      column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
    ],
    cells: (o, now) => {
      const ref = rec(o.roleRef);
      const subjects = recs(o.subjects);
      const named = (kind: string) => subjects.filter((s) => s.kind === kind);
      return [
        nameOf(o),
        `${str(ref.kind)}/${str(ref.name)}`,
        ageOf(o, now),
        named('User').map((s) => str(s.name)).join(', '),
        named('Group').map((s) => str(s.name)).join(', '),
        named('ServiceAccount').map((s) => `${str(s.namespace)}/${str(s.name)}`).join(', '),
      ];
    },
  };
}

function keyCount(v: unknown): number {
  return Object.keys(rec(v)).length;
}

/** Go's zero time is what an object without creationTimestamp prints as. */
function createdAt(o: KObject): string {
  const t = parseTime(o.metadata?.creationTimestamp);
  return t === undefined ? '0001-01-01T00:00:00Z' : rfc3339(t);
}

/** `kind.group/name` of the controlling owner, the way resource names are written on the command line. */
function controllerOf(o: KObject): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${kind.toLowerCase()}/${ref.name}`;
}

// ---------------------------------------------------------------- workloads

/**
 * kube's printDeployment. READY, UP-TO-DATE and AVAILABLE come from status, which only a
 * Deployment controller writes: on the embedded plane, which runs none, they stay 0.
 */
function deploymentPrinter(): Printer {
  return {
    columns: [
      nameColumn(),
      column('Ready', 'string', 'Number of the pod with ready state'),
      column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn(),
      column('Containers', 'string', 'Names of each container in the template.', 1),
      column('Images', 'string', 'Images referenced by each container in the template.', 1),
      column('Selector', 'string', "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.", 1),
    ],
    cells: (o, now) => {
      const spec = rec(o.spec);
      const status = rec(o.status);
      // spec.replicas is defaulted to 1 by kube; an object stored without it means the same.
      const desired = spec.replicas === undefined ? 1 : num(spec.replicas);
      const containers = recs(rec(rec(spec.template).spec).containers);
      return [
        nameOf(o),
        `${num(status.readyReplicas)}/${desired}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
        ageOf(o, now),
        containers.map((c) => str(c.name)).join(','),
        containers.map((c) => str(c.image)).join(','),
        selectorText(spec.selector),
      ];
    },
  };
}

/** metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, `<invalid>` when it fails. */
function selectorText(selector: unknown): string {
  if (selector === undefined || selector === null) return '';
  try {
    return labelSelectorToString(rec(selector));
  } catch {
    return '<invalid>';
  }
}

// ---------------------------------------------------------------- nodes

function nodePrinter(): Printer {
  const addresses = 'List of addresses reachable to the node.';
  return {
    columns: [
      nameColumn(),
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      ageColumn(),
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', addresses, 1),
      column('External-IP', 'string', addresses, 1),
      column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    cells: (o, now) => {
      const status = rec(o.status);
      const info = rec(status.nodeInfo);
      return [
        nameOf(o),
        nodeStatus(o),
        nodeRoles(o),
        ageOf(o, now),
        str(info.kubeletVersion),
        nodeAddress(status, 'InternalIP'),
        nodeAddress(status, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      ];
    },
  };
}

/** Only the Ready condition matters; any status other than True (including Unknown) is NotReady. */
function nodeStatus(o: KObject): string {
  const ready = recs(rec(o.status).conditions).find((c) => c.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (rec(o.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles come from `node-role.kubernetes.io/<role>` keys and the legacy `kubernetes.io/role` value. */
function nodeRoles(o: KObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(o.metadata?.labels ?? {})) {
    const prefix = 'node-role.kubernetes.io/';
    if (key.startsWith(prefix) && key.length > prefix.length) roles.add(key.slice(prefix.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(status: Rec, type: string): string {
  return str(recs(status.addresses).find((a) => a.type === type)?.address) || '<none>';
}

// ---------------------------------------------------------------- events

/**
 * Both event APIs are one stored type, so events.k8s.io/v1 fields are read through their
 * core/v1 equivalents. The server always prints the wide columns; kubectl hides priority 1.
 */
function eventPrinter(): Printer {
  return {
    columns: [
      column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      column('Object', 'string', 'The object this Event is about.'),
      column('Subobject', 'string', 'The specific part of the object this Event is about, for example a container within a pod.', 1),
      column('Source', 'string', 'The component reporting this event.', 1),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
      column('First Seen', 'string', 'The time at which the event was first recorded.', 1),
      column('Count', 'string', 'The number of times this event has occurred.', 1),
      column('Name', 'string', 'Name of the event.', 1, 'name'),
    ],
    cells: eventCells,
  };
}

interface EventView {
  involved: Rec;
  first: unknown;
  last: unknown;
  eventTime: unknown;
  count: number;
  series: Rec | undefined;
  source: Rec;
  message: string;
}

function eventView(o: KObject): EventView {
  const isNew = o.apiVersion.startsWith('events.k8s.io/');
  const series = o.series === undefined || o.series === null ? undefined : rec(o.series);
  return {
    involved: rec(isNew ? o.regarding : o.involvedObject),
    first: isNew ? o.deprecatedFirstTimestamp : o.firstTimestamp,
    last: isNew ? o.deprecatedLastTimestamp : o.lastTimestamp,
    eventTime: o.eventTime,
    count: num(isNew ? o.deprecatedCount : o.count),
    series,
    source: rec(isNew ? o.deprecatedSource : o.source),
    message: str(isNew ? o.note : o.message),
  };
}

/** Newer reporters set only eventTime (and series), older ones only first/lastTimestamp. */
function eventCells(o: KObject, now: number): Cell[] {
  const e = eventView(o);
  const first = parseTime(e.first) !== undefined ? since(e.first, now) : since(e.eventTime, now);
  let last = parseTime(e.last) !== undefined ? since(e.last, now) : first;
  let count = e.count;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    count = num(e.series.count);
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const kind = str(e.involved.kind).toLowerCase();
  const target = str(e.involved.name) ? `${kind}/${str(e.involved.name)}` : kind;
  return [
    last,
    str(o.type),
    str(o.reason),
    target,
    str(e.involved.fieldPath),
    eventSource(o, e.source),
    e.message.trim(),
    first,
    count,
    nameOf(o),
  ];
}

function eventSource(o: KObject, source: Rec): string {
  const component = str(source.component) || str(o.reportingController);
  const instance = str(source.host) || str(o.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

// ---------------------------------------------------------------- services

function servicePrinter(): Printer {
  return {
    columns: [
      nameColumn(),
      column('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP.'),
      column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      ageColumn(),
      column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    cells: (o, now) => {
      const spec = rec(o.spec);
      const clusterIP = (spec.clusterIPs as unknown[] | undefined)?.[0] ?? spec.clusterIP;
      return [
        nameOf(o),
        str(spec.type) || 'ClusterIP',
        str(clusterIP) || '<none>',
        serviceExternalIP(o),
        servicePorts(spec) || '<none>',
        ageOf(o, now),
        formatLabels(rec(spec.selector)),
      ];
    },
  };
}

function serviceExternalIP(o: KObject): string {
  const spec = rec(o.spec);
  const externalIPs = (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).map(str);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const all = [...loadBalancerIngress(rec(o.status)), ...externalIPs];
      // A load balancer that has not been provisioned yet is the common case right after creation.
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function loadBalancerIngress(status: Rec): string[] {
  const hosts = recs(rec(status.loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname));
  return [...new Set(hosts.filter((h) => h !== ''))].sort();
}

/** `80/TCP,443:30443/TCP`: the node port is shown only when one is allocated. */
function servicePorts(spec: Rec): string {
  return recs(spec.ports)
    .map((p) => {
      const protocol = str(p.protocol) || 'TCP';
      return num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${protocol}` : `${num(p.port)}/${protocol}`;
    })
    .join(',');
}

// ---------------------------------------------------------------- ingresses

function ingressPrinter(): Printer {
  return {
    columns: [
      nameColumn(),
      column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
      column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'string', 'Ports of TLS configurations that open'),
      ageColumn(),
    ],
    cells: (o, now) => {
      const spec = rec(o.spec);
      const className = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>';
      // The server prints wide: the address is not clipped.
      const address = [...new Set(recs(rec(rec(o.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).filter((h) => h !== ''))].sort().join(',');
      return [nameOf(o), className, ingressHosts(recs(spec.rules)), address, recs(spec.tls).length ? '80, 443' : '80', ageOf(o, now)];
    },
  };
}

/** kube's formatHosts: the first three hosts, `+ N more...` past them, `*` for none. */
function ingressHosts(rules: Rec[]): string {
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === 3) more = true;
    if (!more && str(rule.host) !== '') hosts.push(str(rule.host));
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

function ingressClassPrinter(): Printer {
  return {
    columns: [
      nameColumn(),
      column('Controller', 'string', 'Controller that is responsible for handling this class'),
      column('Parameters', 'string', 'A reference to a resource with additional parameters'),
      ageColumn(),
    ],
    cells: (o, now) => {
      const spec = rec(o.spec);
      const p = spec.parameters === undefined ? undefined : rec(spec.parameters);
      const parameters = p ? `${str(p.kind)}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${str(p.name)}` : '<none>';
      return [nameOf(o), str(spec.controller), parameters, ageOf(o, now)];
    },
  };
}

function formatLabels(labels: Rec): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${str(labels[k])}`).join(',');
}

// ---------------------------------------------------------------- custom resources

/** A CRD without printer columns still gets an Age column, evaluated like any date column. */
const DEFAULT_CUSTOM_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', description: AGE_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' },
];

function customResourcePrinter(printerColumns: PrinterColumn[] | undefined): Printer {
  const cols = printerColumns && printerColumns.length > 0 ? printerColumns : DEFAULT_CUSTOM_COLUMNS;
  return {
    columns: [
      nameColumn(),
      ...cols.map((c) =>
        column(c.name, c.type, c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, c.priority ?? 0, c.format ?? ''),
      ),
    ],
    cells: (o, now) => [nameOf(o), ...cols.map((c) => customCell(o, c, now))],
  };
}

/** Only the first match is shown; a missing value is null, which kubectl prints as <none>. */
function customCell(o: KObject, col: PrinterColumn, now: number): Cell {
  let results: unknown[];
  try {
    results = evalJsonPath(o, col.jsonPath);
  } catch {
    return null;
  }
  const value = results[0];
  if (value === undefined || value === null) return null;
  return col.type === 'string' ? textOf(value) : typedCell(col.type, value, now);
}

/** A value of the wrong JSON type for the column is shown as missing rather than coerced. */
function typedCell(type: string, value: unknown, now: number): Cell {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, now) : null;
    default:
      return null;
  }
}

function dateCell(value: string, now: number): string {
  if (value === '' || value === 'null') return '<unknown>';
  const t = parseTime(value);
  return t === undefined ? '<invalid>' : humanDuration(now - t);
}

/** String columns print any JSON value as text, objects and arrays as compact JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(sortKeys(value));
}

/**
 * Integral JSON numbers decode as int64 on the server and print plainly; other numbers are
 * float64 and print as Go's %v does, in exponent form below 1e-4 and from 1e6 up.
 */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return n.toFixed(0);
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  if (exp >= -4 && exp < 6) return String(n);
  const sign = exp < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Go's JSON encoder writes map keys in sorted order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Rec = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Rec)[k]);
  return out;
}
