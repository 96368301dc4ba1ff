// The subset of Kubernetes JSONPath that CRD additionalPrinterColumns and HookRun web metrics
// (`jsonPath: "{$.age}"`) use. Missing keys yield no result rather than an error (the CRD table
// convertor enables AllowMissingKeys), and so do out-of-range indexes and type mismatches: the
// column then shows <none>.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'recursive'; name: string | null }
  | { kind: 'slice'; start: number | null; end: number | null; step: number; single: boolean }
  | { kind: 'filter'; filter: Filter };

type Operand = { path: Step[] } | { literal: string | number | boolean | null };

interface Filter {
  left: Operand;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'exists';
  right: Operand | null;
}

/** Every value `path` selects in `obj`, in document order; [] when nothing matches. */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  const steps = parsePath(stripTemplate(path));
  return applySteps([obj], steps);
}

/** Printer columns are written both as `.a.b` and as the template form `{.a.b}`. */
function stripTemplate(path: string): string {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  return p;
}

// ---------------------------------------------------------------- parsing

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }
  fail(what: string): never {
    throw new Error(`invalid JSONPath ${JSON.stringify(this.text)} at ${this.pos}: ${what}`);
  }
  expect(s: string): void {
    if (!this.text.startsWith(s, this.pos)) this.fail(`expected ${s}`);
    this.pos += s.length;
  }
  skipSpaces(): void {
    while (this.peek() === ' ') this.pos++;
  }
}

function parsePath(text: string): Step[] {
  const c = new Cursor(text);
  const steps: Step[] = [];
  while (!c.done) steps.push(parseStep(c));
  return steps;
}

/** Stops where a filter's relative path ends (at an operator or `)`). */
function parseRelativePath(c: Cursor): Step[] {
  const steps: Step[] = [];
  while (c.peek() === '.' || c.peek() === '[') steps.push(parseStep(c));
  return steps;
}

function parseStep(c: Cursor): Step {
  if (c.peek() === '.' && c.peek(1) === '.') {
    c.pos += 2;
    const name = parseFieldName(c);
    return { kind: 'recursive', name: name === '' || name === '*' ? null : name };
  }
  if (c.peek() === '.') {
    c.pos++;
    const name = parseFieldName(c);
    if (name === '*') return { kind: 'wildcard' };
    if (name === '') c.fail('empty field name');
    return { kind: 'field', name };
  }
  if (c.peek() === '[') return parseBracket(c);
  // A leading name without a dot (`spec.replicas`) is accepted like kubectl does.
  const name = parseFieldName(c);
  if (name === '') c.fail(`unexpected ${c.peek()}`);
  return name === '*' ? { kind: 'wildcard' } : { kind: 'field', name };
}

/** A backslash escapes the next character, so `a\.b` names the key `a.b`. */
function parseFieldName(c: Cursor): string {
  let name = '';
  while (!c.done) {
    const ch = c.peek();
    if (ch === '\\' && c.pos + 1 < c.text.length) {
      name += c.peek(1);
      c.pos += 2;
      continue;
    }
    if (ch === '.' || ch === '[' || ch === ' ' || ch === ')' || '=!<>'.includes(ch)) break;
    name += ch;
    c.pos++;
  }
  return name;
}

function parseBracket(c: Cursor): Step {
  c.expect('[');
  c.skipSpaces();
  let step: Step;
  if (c.peek() === '?') step = { kind: 'filter', filter: parseFilter(c) };
  else if (c.peek() === "'" || c.peek() === '"') step = { kind: 'field', name: parseQuoted(c) };
  else if (c.peek() === '*') {
    c.pos++;
    step = { kind: 'wildcard' };
  } else step = parseSlice(c);
  c.skipSpaces();
  c.expect(']');
  return step;
}

function parseSlice(c: Cursor): Step {
  const parts: (number | null)[] = [parseOptionalInt(c)];
  while (c.peek() === ':' && parts.length < 3) {
    c.pos++;
    parts.push(parseOptionalInt(c));
  }
  const [start, end = null, step = null] = parts;
  if (parts.length === 1) {
    if (start === null) c.fail('expected an index');
    return { kind: 'slice', start, end: null, step: 1, single: true };
  }
  return { kind: 'slice', start, end, step: step ?? 1, single: false };
}

function parseOptionalInt(c: Cursor): number | null {
  c.skipSpaces();
  const m = /^-?\d+/.exec(c.text.slice(c.pos));
  if (!m) return null;
  c.pos += m[0].length;
  c.skipSpaces();
  return Number(m[0]);
}

function parseQuoted(c: Cursor): string {
  const quote = c.peek();
  c.pos++;
  let s = '';
  while (!c.done && c.peek() !== quote) {
    if (c.peek() === '\\' && c.pos + 1 < c.text.length) c.pos++;
    s += c.peek();
    c.pos++;
  }
  c.expect(quote);
  return s;
}

function parseFilter(c: Cursor): Filter {
  c.expect('?');
  c.skipSpaces();
  c.expect('(');
  c.skipSpaces();
  const left = parseOperand(c);
  c.skipSpaces();
  const op = /^(==|!=|<=|>=|<|>)/.exec(c.text.slice(c.pos))?.[0] as Filter['op'] | undefined;
  let filter: Filter = { left, op: 'exists', right: null };
  if (op) {
    c.pos += op.length;
    c.skipSpaces();
    filter = { left, op, right: parseOperand(c) };
    c.skipSpaces();
  }
  c.expect(')');
  return filter;
}

function parseOperand(c: Cursor): Operand {
  if (c.peek() === '@') {
    c.pos++;
    return { path: parseRelativePath(c) };
  }
  if (c.peek() === "'" || c.peek() === '"') return { literal: parseQuoted(c) };
  const m = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(c.text.slice(c.pos));
  if (!m) c.fail('expected a value');
  c.pos += m[0].length;
  return { literal: JSON.parse(m[0]) as number | boolean | null };
}

// ---------------------------------------------------------------- evaluation

function applySteps(inputs: unknown[], steps: Step[]): unknown[] {
  let values = inputs;
  for (const step of steps) values = values.flatMap((v) => applyStep(v, step));
  return values;
}

function applyStep(value: unknown, step: Step): unknown[] {
  switch (step.kind) {
    case 'field':
      return isRecord(value) && Object.hasOwn(value, step.name) ? [value[step.name]] : [];
    case 'wildcard':
      return childrenOf(value);
    case 'recursive':
      return descendantsAndSelf(value).flatMap((v) =>
        step.name === null ? childrenOf(v) : applyStep(v, { kind: 'field', name: step.name }),
      );
    case 'slice':
      return Array.isArray(value) ? sliceOf(value, step) : [];
    case 'filter':
      return Array.isArray(value) ? value.filter((item) => matches(item, step.filter)) : [];
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childrenOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return Object.values(value);
  return [];
}

function descendantsAndSelf(value: unknown): unknown[] {
  return [value, ...childrenOf(value).flatMap(descendantsAndSelf)];
}

/** Negative bounds count from the end; out-of-range bounds select nothing, as kubectl errors there. */
function sliceOf(arr: unknown[], s: Extract<Step, { kind: 'slice' }>): unknown[] {
  const len = arr.length;
  const start = s.start === null ? 0 : s.start < 0 ? s.start + len : s.start;
  const end = s.single ? start + 1 : s.end === null ? len : s.end < 0 ? s.end + len : s.end;
  if (start < 0 || start >= len || end > len || end < start || s.step <= 0) return [];
  const out: unknown[] = [];
  for (let i = start; i < end; i += s.step) out.push(arr[i]);
  return out;
}

function matches(item: unknown, f: Filter): boolean {
  const left = operandValues(item, f.left);
  if (f.op === 'exists') return left.length > 0;
  const right = f.right ? operandValues(item, f.right) : [];
  // Missing values never compare equal (or unequal): the element is simply not selected.
  if (left.length === 0 || right.length === 0) return false;
  return compare(left[0], f.op, right[0]);
}

function operandValues(item: unknown, op: Operand): unknown[] {
  return 'path' in op ? applySteps([item], op.path) : [op.literal];
}

function compare(a: unknown, op: Filter['op'], b: unknown): boolean {
  if (op === '==') return sameValue(a, b);
  if (op === '!=') return !sameValue(a, b);
  const bothNumbers = typeof a === 'number' && typeof b === 'number';
  const bothStrings = typeof a === 'string' && typeof b === 'string';
  if (!bothNumbers && !bothStrings) return false;
  const [x, y] = [a as number | string, b as number | string];
  if (op === '<') return x < y;
  if (op === '<=') return x <= y;
  if (op === '>') return x > y;
  return x >= y;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}
