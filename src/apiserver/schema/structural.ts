// A CRD version's structural schema, compiled once and applied on every write of its custom
// resources: prune unknown fields, fill defaults, validate (in that order, as kube-apiserver).

import type { StatusCause } from '../errors.js';
import { applyDefaults } from './defaults.js';
import { isSchemaNode, type SchemaNode } from './nodes.js';
import { pruneUnknownFields } from './prune.js';
import { transitionRuleErrors } from './transition-rules.js';
import { createValidator } from './validate.js';

export interface CompiledSchema {
  /** Fills `default`s of absent fields in place (after pruning). */
  applyDefaults(obj: any): void;
  /** Drops undeclared fields in place; returns their paths (`spec.foo`). */
  prune(obj: any): string[];
  /** Causes as kube-apiserver reports them; empty when valid. `old`: the stored object, on updates. */
  validate(obj: any, old?: any): StatusCause[];
}

/** Compiling is the costly part (ajv generates code), so identical schemas share one result. */
const CACHE_LIMIT = 256;
const byContent = new Map<string, CompiledSchema>();
const byIdentity = new WeakMap<object, CompiledSchema>();

/** Throws if the schema cannot be compiled; validateCrd reports that case as a CRD error. */
export function compileSchema(openAPIV3Schema: any): CompiledSchema {
  const identityKey = isSchemaNode(openAPIV3Schema) ? openAPIV3Schema : undefined;
  const known = identityKey && byIdentity.get(identityKey);
  if (known) return known;
  const contentKey = JSON.stringify(openAPIV3Schema ?? null);
  let compiled = byContent.get(contentKey);
  if (compiled) {
    // Re-inserting keeps recently used schemas at the end, away from eviction.
    byContent.delete(contentKey);
  } else {
    compiled = build(openAPIV3Schema);
  }
  byContent.set(contentKey, compiled);
  if (byContent.size > CACHE_LIMIT) byContent.delete(byContent.keys().next().value!);
  if (identityKey) byIdentity.set(identityKey, compiled);
  return compiled;
}

function build(openAPIV3Schema: unknown): CompiledSchema {
  // A private copy: later edits to the CRD object must not change a compiled schema.
  const schema: SchemaNode = isSchemaNode(openAPIV3Schema) ? structuredClone(openAPIV3Schema) : {};
  const validator = createValidator(schema, true);
  return {
    applyDefaults: (obj) => applyDefaults(obj, schema),
    prune: (obj) => pruneUnknownFields(obj, schema),
    validate: (obj, old) => [...validator(obj), ...transitionRuleErrors(schema, obj, old)],
  };
}
