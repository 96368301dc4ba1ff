// Composite keywords (anyOf, oneOf, allOf). ajv reports the errors of every failed branch;
// kube-openapi reports the composite error first, then only the errors of the branch that came
// closest to matching. ajv says nothing of a failed allOf beyond its branches' errors, so that
// error is added here.

import type { ErrorObject } from 'ajv';
import { isSchemaNode, type SchemaNode } from './nodes.js';

/** Reorders and filters ajv's errors into the errors kube-openapi would report. */
export function asKubeOpenAPIErrors(errors: ErrorObject[], schema: SchemaNode): ErrorObject[] {
  return compositesFirst(keepBestBranches(withAllOfErrors(errors, schema)));
}

interface SchemaStep {
  keyword: string;
  arg?: string;
}

const KEYWORDS_WITH_NAME = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);
const KEYWORDS_WITH_INDEX = new Set(['allOf', 'anyOf', 'oneOf']);

/** `#/properties/a/allOf/1/minimum` → [properties a] [allOf 1] [minimum]. */
function schemaSteps(schemaPath: string): SchemaStep[] {
  const segments = schemaPath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const steps: SchemaStep[] = [];
  for (let i = 0; i < segments.length; i++) {
    const keyword = segments[i];
    if (KEYWORDS_WITH_NAME.has(keyword) || (KEYWORDS_WITH_INDEX.has(keyword) && /^\d+$/.test(segments[i + 1] ?? ''))) {
      steps.push({ keyword, arg: segments[++i] });
    } else {
      steps.push({ keyword });
    }
  }
  return steps;
}

function stepsToPath(steps: SchemaStep[]): string {
  const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return ['#', ...steps.flatMap((s) => (s.arg === undefined ? [s.keyword] : [s.keyword, escape(s.arg)]))].join('/');
}

/** How many levels into the data these schema steps go (the last step is the failing keyword). */
function instanceDepth(steps: SchemaStep[]): number {
  return steps.slice(0, -1).filter((s) => s.keyword === 'properties' || s.keyword === 'items' || s.keyword === 'additionalProperties').length;
}

function isSameOrBelow(instancePath: string, base: string): boolean {
  return instancePath === base || instancePath.startsWith(`${base}/`);
}

function resolveSchema(root: SchemaNode, steps: SchemaStep[]): SchemaNode | undefined {
  let node: any = root;
  for (const s of steps) node = s.arg === undefined ? node?.[s.keyword] : node?.[s.keyword]?.[s.arg];
  return isSchemaNode(node) ? node : undefined;
}

function withAllOfErrors(errors: ErrorObject[], schema: SchemaNode): ErrorObject[] {
  const groups = new Map<string, { error: ErrorObject; failed: Set<string>; branches: number; before: ErrorObject }>();
  for (const e of errors) {
    const steps = schemaSteps(e.schemaPath);
    steps.forEach((step, i) => {
      if (step.keyword !== 'allOf' || step.arg === undefined) return;
      const location = steps.slice(0, i);
      const depth = instanceDepth(steps.slice(i + 1));
      const segments = e.instancePath.split('/');
      const instancePath = segments.slice(0, segments.length - depth).join('/');
      const schemaPath = `${stepsToPath(location)}/allOf`;
      const key = `${schemaPath}|${instancePath}`;
      let group = groups.get(key);
      if (!group) {
        const branches = (resolveSchema(schema, location)?.allOf as unknown[] | undefined)?.length ?? 0;
        const error = { keyword: 'allOf', instancePath, schemaPath, params: {} } as ErrorObject;
        group = { error, failed: new Set(), branches, before: e };
        groups.set(key, group);
      }
      group.failed.add(step.arg);
    });
  }
  if (!groups.size) return errors;
  for (const g of groups.values()) (g.error.params as Record<string, unknown>).noneValidated = g.failed.size >= g.branches;
  const out: ErrorObject[] = [];
  for (const e of errors) {
    for (const g of groups.values()) if (g.before === e) out.push(g.error);
    out.push(e);
  }
  return out;
}

function isComposite(e: ErrorObject): boolean {
  return e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'allOf';
}

/** Whether `e` comes from one of the branches of composite `c`; returns the branch index. */
function branchOf(e: ErrorObject, c: ErrorObject): string | undefined {
  if (e === c || !e.schemaPath.startsWith(`${c.schemaPath}/`) || !isSameOrBelow(e.instancePath, c.instancePath)) return undefined;
  return e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0];
}

function keepBestBranches(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const composites = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const c of composites) {
    if (dropped.has(c)) continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      const branch = dropped.has(e) ? undefined : branchOf(e, c);
      if (branch !== undefined) branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    // With several branches valid (oneOf), kube-openapi has no failures to show.
    const tooManyValid = Array.isArray((c.params as Record<string, unknown>).passingSchemas);
    const best = tooManyValid ? undefined : fewestErrors(branches);
    for (const [branch, list] of branches) if (branch !== best) for (const e of list) dropped.add(e);
  }
  return errors.filter((e) => !dropped.has(e));
}

/** kube-openapi keeps the branch with the most passing checks; fewest errors is the close analogue. */
function fewestErrors(branches: Map<string, ErrorObject[]>): string | undefined {
  let best: string | undefined;
  for (const [branch, list] of branches) if (best === undefined || list.length < branches.get(best)!.length) best = branch;
  return best;
}

function compositesFirst(errors: ErrorObject[]): ErrorObject[] {
  const composites = errors.filter(isComposite).sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const out: ErrorObject[] = [];
  const emitted = new Set<ErrorObject>();
  const emit = (e: ErrorObject) => {
    if (emitted.has(e)) return;
    emitted.add(e);
    out.push(e);
  };
  for (const e of errors) {
    for (const c of composites) if (branchOf(e, c) !== undefined) emit(c);
    emit(e);
  }
  return out;
}

