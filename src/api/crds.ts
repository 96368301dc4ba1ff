// The CRD manifests hotpod serves, rendered as the YAML checked in under deploy/crds.

import YAML from 'yaml';
import { GameDeploymentResource } from './gamedeployment.js';
import { GameServerResource } from './gameserver.js';
import { GameServerSetResource } from './gameserverset.js';
import { HookRunResource, HookTemplateResource } from './hooks.js';
import { crdFor, type ResourceDefinition } from './resource.js';

export const RESOURCES: readonly ResourceDefinition[] = [GameServerSetResource, GameServerResource, GameDeploymentResource, HookTemplateResource, HookRunResource];

/** deploy/crds/<group>_<plural>.yaml, as controller-gen names them */
function crdFileName(def: ResourceDefinition): string {
  return `${def.group}_${def.plural}.yaml`;
}

const SOURCES: Record<string, string> = {
  GameServerSet: 'src/api/gameserverset.ts',
  GameServer: 'src/api/gameserver.ts',
  GameDeployment: 'src/api/gamedeployment.ts',
  HookTemplate: 'src/api/hooks.ts',
  HookRun: 'src/api/hooks.ts',
};

/** The file's whole text: a header naming its source, then the CRD. */
function renderCrdYaml(def: ResourceDefinition): string {
  const source = SOURCES[def.kind] ?? 'src/api';
  const header = `# Generated from ${source} by \`npm run gen:crds\`. Do not edit: change the definition and regenerate.\n`;
  // YAML 1.1 quoting, as kubectl reads YAML: strings such as "on" or "yes" stay strings.
  return header + YAML.stringify(crdFor(def), { version: '1.1', lineWidth: 100 });
}

/** file name → text, for every CRD */
export function renderAllCrds(): Map<string, string> {
  return new Map(RESOURCES.map((def) => [crdFileName(def), renderCrdYaml(def)]));
}
