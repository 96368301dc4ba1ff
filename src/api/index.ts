// src/api: the custom resources hotpod serves. One definition per kind (gameserverset.ts,
// gameserver.ts, gamedeployment.ts, hooks.ts) yields its TypeScript types, its schema, its CRD manifest
// (deploy/crds, `npm run gen:crds`), and the defaulting and validation the controller applies.

export * from './causes.js';
export * from './crds.js';
export { fieldsNotActedOn, supportGaps, supportOf, type FieldSupport, type FieldVerdict } from './field-support.js';
export * from './gamedeployment.js';
export * from './gameserver.js';
export * from './gameserverset.js';
export * from './hooks.js';
export * from './intstr.js';
export * from './resource.js';
export { applySchemaDefaults, type Infer, type InferInput, type Schema, type SchemaNode } from './schema.js';
export { selectorMatches, type LabelSelector } from './validation.js';
