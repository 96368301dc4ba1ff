// pods/log: as kube-apiserver does, find the pod's node and stream the answer of that node's
// kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port on its InternalIP). The
// container checks (which container, is there anything to show yet) are made here from the
// pod's status, with the messages kube-apiserver and kubelet give.

import http, { type ServerResponse } from 'node:http';
import { ApiError, badRequest } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { KObject } from '../types.js';

const CONNECT_TIMEOUT_MS = 10_000;
const PASSED_PARAMS = ['follow', 'previous', 'tailLines', 'timestamps', 'sinceSeconds', 'sinceTime', 'limitBytes'];

interface ContainerStatus {
  name: string;
  containerID?: string;
  state?: { waiting?: { reason?: string }; running?: object; terminated?: { containerID?: string } };
  lastState?: { terminated?: { containerID?: string } };
}

/** `token`: the API server's own credential for kubelet endpoints, never the caller's. */
export async function proxyPodLog(objects: ObjectService, res: ServerResponse, pod: KObject, q: URLSearchParams, token: string): Promise<void> {
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  const podName = pod.metadata.name!;
  const container = chooseContainer(spec, podName, q.get('container') ?? '');
  // An unscheduled pod has no logs yet, and kube-apiserver answers with none.
  if (!spec.nodeName) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
  checkLogStatus(pod, container, q.get('previous') === 'true');

  const { host, port } = kubeletEndpoint(objects, spec.nodeName);

  const upstreamQuery = new URLSearchParams();
  for (const p of PASSED_PARAMS) if (q.has(p)) upstreamQuery.set(p, q.get(p)!);
  const path = `/containerLogs/${[pod.metadata.namespace!, podName, container].map(encodeURIComponent).join('/')}?${upstreamQuery}`;
  const target = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

  await new Promise<void>((resolve, reject) => {
    const upstream = http.get(target, { timeout: CONNECT_TIMEOUT_MS, headers: { Authorization: `Bearer ${token}` } }, (answer) => {
      upstream.setTimeout(0); // a follow may stay quiet for as long as the container does
      if (answer.statusCode !== 200) {
        let body = '';
        answer.setEncoding('utf8').on('data', (d: string) => (body += d));
        answer.on('end', () => reject(badRequest(body.trim() || `kubelet answered ${answer.statusCode}`)));
        answer.on('error', reject);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' });
      res.flushHeaders();
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => {
      if (res.headersSent) return resolve();
      reject(new ApiError(500, 'InternalError', `Get "${target}": ${err.message}`));
    });
    // kubectl logs -f ends by closing its connection: stop reading from the kubelet too.
    res.on('close', () => {
      upstream.destroy();
      resolve();
    });
  });
}

/** Where the node's kubelet endpoint listens: its InternalIP and status.daemonEndpoints.kubeletEndpoint.Port. */
export function kubeletEndpoint(objects: ObjectService, nodeName: string): { host: string; port: number } {
  const nodeDef = objects.registry.lookup('', 'v1', 'nodes')!;
  const node = objects.get(nodeDef, undefined, nodeName);
  const status = (node.status ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const host = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!port || !host) throw badRequest(`node "${nodeName}" does not advertise a kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port and an InternalIP address)`);
  return { host, port };
}

/** kube-apiserver's validateContainer: the named container, or the only one. */
export function chooseContainer(spec: { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] }, pod: string, container: string): string {
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (!container) {
    const main = (spec.containers ?? []).map((c) => c.name);
    if (main.length === 1) return main[0]!;
    if (main.length === 0) throw badRequest(`a container name must be specified for pod ${pod}`);
    throw badRequest(`a container name must be specified for pod ${pod}, choose one of: [${main.join(' ')}]`);
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${pod}`);
  return container;
}

/** kubelet's validateContainerLogStatus: is there a container whose log can be shown? */
function checkLogStatus(pod: KObject, container: string, previous: boolean): void {
  const status = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; ephemeralContainerStatuses?: ContainerStatus[] };
  const podName = pod.metadata.name!;
  const cs = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])].find((s) => s.name === container);
  const waiting = (reason: string) => badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  // The node has not reported this container yet: kubelet would be creating it.
  if (!cs) throw waiting('ContainerCreating');
  const last = cs.lastState?.terminated;
  const state = cs.state ?? {};
  if (previous) {
    if (!last?.containerID) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return;
  }
  if (state.running) return;
  if (state.terminated) {
    if (!state.terminated.containerID && !last?.containerID) throw badRequest(`container "${container}" in pod "${podName}" is terminated`);
    return;
  }
  if (last) {
    if (!last.containerID) throw badRequest(`container "${container}" in pod "${podName}" is terminated`);
    return;
  }
  if (state.waiting) {
    const reason = state.waiting.reason ?? '';
    if (reason === 'ErrImagePull') throw waiting("image can't be pulled");
    if (reason === 'ImagePullBackOff') throw waiting('trying and failing to pull image');
    throw waiting(reason);
  }
  throw badRequest(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}
