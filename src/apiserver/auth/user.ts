// Who a request comes from, once authenticated: the identity RBAC subjects and
// SelfSubjectReview speak of.

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** The holder of the admin kubeconfig: in system:masters, so RBAC never restricts it. */
export const ADMIN_USER: UserInfo = { name: 'hotpod-admin', groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] };

/**
 * Who the API server is when it proxies to a node's kubelet endpoint (pods/log), as
 * kube-apiserver's --kubelet-client-certificate names it; in system:masters as kubeadm's
 * apiserver-kubelet-client was, so it may use every node's endpoint.
 */
export const KUBELET_CLIENT_USER: UserInfo = { name: 'kube-apiserver-kubelet-client', groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] };

export const ANONYMOUS_USER: UserInfo = { name: 'system:anonymous', groups: [UNAUTHENTICATED_GROUP] };

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function serviceAccountUser(namespace: string, name: string, uid: string): UserInfo {
  return {
    name: serviceAccountUsername(namespace, name),
    uid,
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`, AUTHENTICATED_GROUP],
  };
}

export function isSuperuser(user: UserInfo): boolean {
  return user.groups.includes(MASTERS_GROUP);
}
