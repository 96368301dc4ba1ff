// Typed builders for OpenAPI v3 structural schemas, as CustomResourceDefinitions write them.
//
// Each builder returns the plain schema node that goes into the CRD, and carries, at the type
// level only, the TypeScript type of the values it describes:
//   Infer<typeof s>       an object as the API server stores it (fields with a default present)
//   InferInput<typeof s>  an object as a client writes it (only `required` fields present)
// so the schema is the one source of truth for both the CRD and the TypeScript types.

/** A schema node as it appears in a CRD (plain JSON). */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  default?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  required?: readonly string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode;
  items?: SchemaNode;
  anyOf?: readonly SchemaNode[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-embedded-resource'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  /** CEL rules; the embedded API server evaluates `self == oldSelf` (immutable once set). */
  'x-kubernetes-validations'?: readonly { rule: string; message?: string }[];
}

/** The schema node, immutable once set: kube's `self == oldSelf` transition rule (with the refusal's message). */
export function immutable<S extends SchemaNode>(schema: S, message = 'field is immutable'): S {
  return { ...schema, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message }] };
}

/** Type-level only: never present at run time. */
declare const valueTypes: unique symbol;

interface ValueTypes<Out, In, Defaulted extends boolean> {
  out: Out;
  in: In;
  defaulted: Defaulted;
}

/** A schema node that describes values of type `Out` (stored) / `In` (written). */
export type Schema<Out = unknown, In = Out, Defaulted extends boolean = boolean> = SchemaNode & {
  readonly [valueTypes]?: ValueTypes<Out, In, Defaulted>;
};

type TypesOf<S> = NonNullable<S extends { readonly [valueTypes]?: infer T } ? T : never>;
/** The type of a value as the API server stores it: defaults applied. */
export type Infer<S> = TypesOf<S> extends ValueTypes<infer Out, any, any> ? Out : never;
/** The type of a value as a client may write it: defaulted fields optional. */
export type InferInput<S> = TypesOf<S> extends ValueTypes<any, infer In, any> ? In : never;
type IsDefaulted<S> = TypesOf<S> extends ValueTypes<any, any, infer D> ? D : false;

type HasDefault<O> = O extends { default: {} | null } ? true : false;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

interface Common<T> {
  description?: string;
  default?: T;
}

function node<S>(base: SchemaNode, opts: object | undefined): S {
  const out: Record<string, unknown> = {};
  const { description, ...rest } = (opts ?? {}) as Record<string, unknown>;
  // description first: it reads best at the top of each node in the YAML and in kubectl explain
  if (description !== undefined) out.description = description;
  Object.assign(out, base);
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) out[k] = v;
  return out as S;
}

// ---------------------------------------------------------------------------------------------
// scalars

interface StringOpts extends Common<string> {
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

export function str<const O extends StringOpts>(opts?: O): Schema<string, string, HasDefault<O>> {
  return node({ type: 'string' }, opts);
}

/** An RFC 3339 timestamp, as metav1.Time marshals. */
export function time<const O extends Common<string>>(opts?: O): Schema<string, string, HasDefault<O>> {
  return node({ type: 'string', format: 'date-time' }, opts);
}

interface IntOpts extends Common<number> {
  minimum?: number;
  maximum?: number;
  /** int32 unless said otherwise, as Go's int32 fields */
  format?: 'int32' | 'int64';
}

export function int<const O extends IntOpts>(opts?: O): Schema<number, number, HasDefault<O>> {
  return node({ type: 'integer', format: 'int32' }, opts);
}

export function bool<const O extends Common<boolean>>(opts?: O): Schema<boolean, boolean, HasDefault<O>> {
  return node({ type: 'boolean' }, opts);
}

interface IntOrStringOpts extends Common<number | string> {
  /** applies to integers only */
  minimum?: number;
  /** applies to strings only, e.g. a percentage */
  pattern?: string;
}

/** intstr.IntOrString: an integer or a string (a percentage like "20%", or a number as text). */
export function intOrString<const O extends IntOrStringOpts>(opts?: O): Schema<number | string, number | string, HasDefault<O>> {
  return node({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true }, opts);
}

/** A string limited to the given values; the TypeScript type is their union. */
export function enumOf<const V extends readonly [string, ...string[]], const O extends Common<V[number]>>(
  values: V,
  opts?: O,
): Schema<V[number], V[number], HasDefault<O>> {
  return node({ type: 'string', enum: values }, opts);
}

// ---------------------------------------------------------------------------------------------
// composites

interface ArrayOpts extends Common<unknown[]> {
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
}

export function arr<S extends Schema, const O extends ArrayOpts>(items: S, opts?: O): Schema<Infer<S>[], InferInput<S>[], HasDefault<O>> {
  return node({ type: 'array', items }, opts);
}

/** An object with arbitrary keys and values of one schema (map[string]T). */
export function map<S extends Schema, const O extends Common<Record<string, unknown>>>(
  values: S,
  opts?: O,
): Schema<Record<string, Infer<S>>, Record<string, InferInput<S>>, HasDefault<O>> {
  return node({ type: 'object', additionalProperties: values }, opts);
}

type Props = Record<string, Schema>;

interface ObjectOpts<K extends string> extends Common<Record<string, unknown>> {
  required?: readonly K[];
  minProperties?: number;
  maxProperties?: number;
  /** keep fields the schema does not declare (x-kubernetes-preserve-unknown-fields) */
  preserveUnknownFields?: boolean;
}

type RequiredOf<O> = O extends { required: readonly (infer K)[] } ? K : never;

/** Stored: required fields and fields with a default are present. */
type ObjectOut<P extends Props, R> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : IsDefaulted<P[K]> extends true ? K : never]: Infer<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : IsDefaulted<P[K]> extends true ? never : K]?: Infer<P[K]>;
  }
>;

/** Written: only required fields must be there. */
type ObjectIn<P extends Props, R> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]: InferInput<P[K]> } & { -readonly [K in keyof P as K extends R ? never : K]?: InferInput<P[K]> }
>;

/** An object with the given fields; fields not declared are pruned by the API server. */
export function obj<const P extends Props, const O extends ObjectOpts<keyof P & string>>(
  properties: P,
  opts?: O,
): Schema<ObjectOut<P, RequiredOf<O>>, ObjectIn<P, RequiredOf<O>>, HasDefault<O>> {
  const { preserveUnknownFields, ...rest }: ObjectOpts<string> = opts ?? {};
  const required = rest.required?.length ? rest.required : undefined;
  const extension = preserveUnknownFields ? { 'x-kubernetes-preserve-unknown-fields': true as const } : {};
  return node({ type: 'object', ...extension, properties }, { ...rest, required });
}

interface LooseObjectOpts extends Common<Record<string, unknown>> {
  /** fields worth describing (kubectl explain) or validating; all others are kept as they are */
  properties?: Props;
  required?: readonly string[];
}

/**
 * An object whose unknown fields are kept (x-kubernetes-preserve-unknown-fields), such as a pod
 * template: its TypeScript type `T` comes from elsewhere (the Kubernetes API types), since the
 * schema declares only part of it.
 */
export function looseObject<T = Record<string, unknown>>(opts?: LooseObjectOpts): Schema<T, T, false> {
  const required = opts?.required?.length ? opts.required : undefined;
  return node({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, { ...opts, required });
}

// ---------------------------------------------------------------------------------------------
// defaults, applied in process

/**
 * Fills the schema's defaults into `value`, in place, as kube-apiserver does for a structural
 * schema: an absent field (or a null one that may not be null) gets its default, and defaults
 * apply inside defaulted values too. For objects that did not come through an API server serving
 * these schemas (a cluster with the upstream CRDs, which declare no defaults; unit tests).
 */
export function applySchemaDefaults(value: unknown, schema: SchemaNode | undefined): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) applySchemaDefaults(item, schema.items);
    return;
  }
  const o = value as Record<string, unknown>;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default !== undefined && prop.default !== null && (!Object.hasOwn(o, key) || o[key] === null)) {
      o[key] = structuredClone(prop.default);
    }
  }
  for (const [key, v] of Object.entries(o)) {
    applySchemaDefaults(v, schema.properties?.[key] ?? schema.additionalProperties);
  }
}
