// The labels and annotations OpenKruiseGame puts on a GameServerSet's pods and GameServers.
// Names exactly as OKG's (users select on them: `kubectl get pod -l game.kruise.io/gs-opsState=...`).

import { GameServerResource } from '../../api/gameserver.js';
import { GameServerSetResource } from '../../api/gameserverset.js';
import { apiVersionOf } from '../../api/resource.js';

export const GSS_API_VERSION = apiVersionOf(GameServerSetResource);
export const GSS_KIND = GameServerSetResource.kind;
export const GS_KIND = GameServerResource.kind;

/** On pods and GameServers: the name of their GameServerSet. */
export const OWNER_GSS_LABEL = 'game.kruise.io/owner-gss';
/** On pods, mirroring their GameServer. */
export { GS_OPS_STATE_LABEL } from '../../util/vocabulary.js';
export const GS_UPDATE_PRIORITY_LABEL = 'game.kruise.io/gs-update-priority';
export const GS_DELETE_PRIORITY_LABEL = 'game.kruise.io/gs-delete-priority';
export const GS_STATE_LABEL = 'game.kruise.io/gs-state';
export const GS_NETWORK_DISABLED_LABEL = 'game.kruise.io/network-disabled';
/** On GameServers: the hash of the template labels and annotations last copied onto them. */
export const GS_TEMPLATE_METADATA_HASH_ANNOTATION = 'game.kruise.io/gsTemplate-metadata-hash';
/** On pods: when the opsState label, and the gs-state label, last changed (RFC 3339). */
export const GS_OPS_STATE_CHANGED_ANNOTATION = 'game.kruise.io/opsState-last-changed-time';
export const GS_STATE_CHANGED_ANNOTATION = 'game.kruise.io/state-last-changed-time';
/** On GameServers: the node of their pod. */
export const GS_NODE_NAME_LABEL = 'game.kruise.io/node-name';
/** The reason of OKG's "X turn from A to B" Events on GameServers. */
export const GS_STATE_CHANGED_REASON = 'GsStateChanged';
/** GameServer labels and annotations with this prefix are copied to the pod. */
export const GS_SYNC_PREFIX = 'gs-sync/';
/** StatefulSet's per-pod label (Kruise's Advanced StatefulSet sets it too): a Service per server selects on it. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

/** `minecraft-3` → 3 when the name is `<set>-<ordinal>`; undefined otherwise. */
export function ordinalOf(setName: string, name: string | undefined): number | undefined {
  if (!name || !name.startsWith(`${setName}-`)) return undefined;
  const rest = name.slice(setName.length + 1);
  if (!/^(0|[1-9]\d*)$/.test(rest)) return undefined;
  return Number(rest);
}

export function serverName(setName: string, ordinal: number): string {
  return `${setName}-${ordinal}`;
}
