// The names OpenKruiseGame's network plugins write and read, spelled as OKG spells them: users
// and tools read these annotations and select on these labels, and a cluster moved between OKG
// and hotpod keeps its objects.

import type { NetworkType } from '../../api/index.js';

export const HOST_PORT_NETWORK: NetworkType = 'Kubernetes-HostPort';
export const NODE_PORT_NETWORK: NetworkType = 'Kubernetes-NodePort';
export const INGRESS_NETWORK: NetworkType = 'Kubernetes-Ingress';

/** On pods (from the set's template): the plugin, and its parameters as JSON `[{"name","value"}]`. */
export const NETWORK_TYPE_ANNOTATION = 'game.kruise.io/network-type';
export const NETWORK_CONF_ANNOTATION = 'game.kruise.io/network-conf';
/** On pods: what the plugin found (a NetworkStatus as JSON), which the GameServer's status copies. */
export const NETWORK_STATUS_ANNOTATION = 'game.kruise.io/network-status';

/** On a plugin's Service and Ingress: the hash of the parameters they were made from. */
export const SERVICE_HASH_ANNOTATION = 'game.kruise.io/svc-hash';
export const INGRESS_HASH_ANNOTATION = 'game.kruise.io/ingress-hash';
/** Kubernetes-NodePort: the selector key a disabled server's Service selects on (no pod carries it). */
export const SERVICE_SELECTOR_DISABLED_KEY = 'game.kruise.io/svc-selector-disabled';

/** networkConf names. */
export const CONF = {
  /** Kubernetes-HostPort: `container:port/protocol,port/protocol`. */
  containerPorts: 'ContainerPorts',
  /** Kubernetes-NodePort: `port/protocol,port/protocol`. */
  portProtocols: 'PortProtocols',
  /** The objects outlive the pod (owned by the set). */
  fixed: 'Fixed',
  /** Kubernetes-Ingress. */
  path: 'Path',
  pathType: 'PathType',
  port: 'Port',
  host: 'Host',
  ingressClassName: 'IngressClassName',
  tlsHosts: 'TlsHosts',
  tlsSecretName: 'TlsSecretName',
  annotation: 'Annotation',
} as const;

/** ContainerPorts: the container port is the host port allocated. */
export const PORT_SAME_AS_HOST = 'SameAsHost';
/** ContainerPorts protocol: one host port for both TCP and UDP. */
export const PROTOCOL_TCP_UDP = 'TCPUDP';

/** The reason of OKG's Warning Event when a server's network stays short of its desired state. */
export const NETWORK_STATE_REASON = 'GsNetworkState';
