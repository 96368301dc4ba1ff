// docs/fields.md: every field of every kind hotpod serves, with what hotpod does with it, from
// the CRD schemas (field-paths.ts) and the support list (field-support.ts).

import { RESOURCES } from './crds.js';
import { fieldPaths } from './field-paths.js';
import { supportOf, type FieldVerdict } from './field-support.js';
import { apiVersionOf } from './resource.js';

const VERDICT: Record<FieldVerdict, string> = {
  honoured: 'honoured',
  partial: 'partial',
  'not-acted-on': '**not acted on**',
};

export const FIELD_DOC_PATH = 'docs/fields.md';

export function renderFieldDoc(): string {
  const lines = [
    '<!-- Generated from src/api/field-support.ts and the CRD definitions by `npm run gen:crds`. Do not edit. -->',
    '# Fields: what hotpod does with each',
    '',
    'Every field of the kinds hotpod serves, as their CRDs define them (the upstream field names).',
    '*honoured*: acted on as upstream. *partial*: acted on, with the difference named.',
    '*not acted on*: stored only; a manifest that sets it gets a Warning Event and the',
    '`FieldsNotActedOn` condition naming the field (spec fields), so nothing is ignored silently.',
    'A row marked ↳ speaks for the fields below it too.',
    '',
  ];
  for (const def of RESOURCES) {
    lines.push(`## ${def.kind} (${apiVersionOf(def)})`, '', '| field | type | verdict | what hotpod does |', '| --- | --- | --- | --- |');
    let covered: string | undefined;
    for (const p of fieldPaths(def)) {
      if (covered && (p.path.startsWith(`${covered}.`) || p.path.startsWith(`${covered}[]`) || p.path.startsWith(`${covered}{}`))) continue;
      covered = undefined;
      const own = supportOf(def.kind, p.path);
      if (!p.leaf && !own?.subtree) continue;
      if (!own) {
        lines.push(`| \`${p.path}\` | ${p.type} | **missing** | no entry in src/api/field-support.ts |`);
        continue;
      }
      if (own.subtree) covered = p.path;
      const type = own.subtree ? `${p.type} ↳` : p.type;
      lines.push(`| \`${p.path}\` | ${type} | ${VERDICT[own.verdict]} | ${own.note.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
