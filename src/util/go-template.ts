// The part of Go's text/template that OpenKruiseGame's service-quality actions use
// (`{{.Result}}`, `{{if eq .Result "0"}}WaitToBeDeleted{{else}}None{{end}}`, with `eq`, `ne`,
// `lt`, `le`, `gt`, `ge`, `and`, `or`, `not`), rendered as kruise-game renders it: a template
// that does not parse or fails to run gives back its own text. Written here because no
// maintained npm package implements Go's template language; this covers its actions
// (`{{pipeline}}`, if / else if / else / end, `{{-` `-}}` trimming), field `.Result`, string and
// number literals and function calls, and nothing more (no range, with, define, variables).

type Value = string | number | boolean;

export interface TemplateContext {
  Result: string;
}

type Node = { kind: 'text'; text: string } | { kind: 'expr'; expr: Expr } | { kind: 'if'; branches: { cond: Expr; body: Node[] }[]; otherwise: Node[] };
type Expr = { kind: 'field'; name: string } | { kind: 'literal'; value: Value } | { kind: 'call'; fn: string; args: Expr[] } | { kind: 'paren'; inner: Expr };

class TemplateError extends Error {}

/** Renders `tmpl` with `.Result`; its own text when it has no action, does not parse or cannot run. */
export function renderGoTemplate(tmpl: string, ctx: TemplateContext): string {
  if (!tmpl.includes('{{')) return tmpl;
  try {
    return run(parse(tmpl), ctx);
  } catch {
    return tmpl;
  }
}

// --- lexing into text and actions -----------------------------------------------------------

function actions(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let body = src.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const rest = src.slice(next);
      next += rest.length - rest.replace(/^\s+/, '').length;
    }
    if (text) out.push({ text });
    out.push({ action: body.trim() });
    i = next;
  }
  return out;
}

function parse(src: string): Node[] {
  const items = actions(src);
  let pos = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const item = items[pos++]!;
      if ('text' in item) {
        nodes.push({ kind: 'text', text: item.text });
        continue;
      }
      const a = item.action;
      const word = a.split(/\s+/)[0]!;
      if (ends.includes(word)) return { nodes, end: a };
      if (word === 'if') nodes.push(ifNode(a.slice(2).trim()));
      else if (['range', 'with', 'define', 'template', 'block'].includes(word) || a.startsWith('$')) throw new TemplateError(`unsupported action ${word}`);
      else if (word === 'end' || word === 'else') throw new TemplateError(`unexpected ${word}`);
      else if (a.startsWith('/*')) continue;
      else nodes.push({ kind: 'expr', expr: parseExpr(a) });
    }
    if (ends.length) throw new TemplateError('missing end');
    return { nodes, end: '' };
  };
  const ifNode = (cond: string): Node => {
    const branches: { cond: Expr; body: Node[] }[] = [];
    let otherwise: Node[] = [];
    let current = cond;
    for (;;) {
      const { nodes, end } = block(['else', 'end']);
      branches.push({ cond: parseExpr(current), body: nodes });
      if (end === 'end') break;
      const rest = end.slice(4).trim();
      if (rest.startsWith('if ')) {
        current = rest.slice(3).trim();
        continue;
      }
      if (rest) throw new TemplateError(`unexpected else ${rest}`);
      otherwise = block(['end']).nodes;
      break;
    }
    return { kind: 'if', branches, otherwise };
  };
  return block([]).nodes;
}

function tokens(src: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|[^\s()]+)/y;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(src))) {
    out.push(m[1]!);
    last = re.lastIndex;
  }
  if (src.slice(last).trim()) throw new TemplateError(`cannot read ${src.slice(last)}`);
  return out;
}

function parseExpr(src: string): Expr {
  const toks = tokens(src);
  let pos = 0;
  const operand = (): Expr => {
    const t = toks[pos++];
    if (t === undefined) throw new TemplateError('missing operand');
    if (t === '(') {
      const inner = command(')');
      if (toks[pos++] !== ')') throw new TemplateError('unclosed (');
      return { kind: 'paren', inner };
    }
    if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) as string };
    if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (/^[-+]?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
    if (/^\.[A-Za-z_]\w*$/.test(t)) return { kind: 'field', name: t.slice(1) };
    if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'call', fn: t, args: [] };
    throw new TemplateError(`unexpected ${t}`);
  };
  const command = (stop?: string): Expr => {
    const first = operand();
    if (first.kind !== 'call') {
      if (pos < toks.length && toks[pos] !== stop) throw new TemplateError('unexpected arguments');
      return first;
    }
    while (pos < toks.length && toks[pos] !== stop) first.args.push(operand());
    return first;
  };
  const e = command();
  if (pos < toks.length) throw new TemplateError(`unexpected ${toks[pos]}`);
  return e;
}

// --- running ---------------------------------------------------------------------------------

function run(nodes: Node[], ctx: TemplateContext): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'expr') out += String(evaluate(n.expr, ctx));
    else {
      const taken = n.branches.find((b) => truth(evaluate(b.cond, ctx)));
      out += run(taken ? taken.body : n.otherwise, ctx);
    }
  }
  return out;
}

/** Go's truth: false, 0 and the empty string are false. */
function truth(v: Value): boolean {
  return !(v === false || v === 0 || v === '');
}

/** kruise-game's order functions compare as numbers when both sides read as numbers. */
function order(a: Value, b: Value): number {
  const x = Number(a);
  const y = Number(b);
  if (String(a).trim() !== '' && String(b).trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

const FUNCS: Record<string, (args: Value[]) => Value> = {
  eq: (a) => a.slice(1).some((b) => a[0] === b),
  ne: ([a, b]) => a !== b,
  lt: ([a, b]) => order(a!, b!) < 0,
  le: ([a, b]) => order(a!, b!) <= 0,
  gt: ([a, b]) => order(a!, b!) > 0,
  ge: ([a, b]) => order(a!, b!) >= 0,
  and: (a) => a.find((v) => !truth(v)) ?? a[a.length - 1]!,
  or: (a) => a.find((v) => truth(v)) ?? a[a.length - 1]!,
  not: ([a]) => !truth(a!),
};

function evaluate(e: Expr, ctx: TemplateContext): Value {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'field':
      if (e.name !== 'Result') throw new TemplateError(`can't evaluate field ${e.name}`);
      return ctx.Result;
    case 'paren':
      return evaluate(e.inner, ctx);
    case 'call': {
      const fn = FUNCS[e.fn];
      if (!fn) throw new TemplateError(`function "${e.fn}" not defined`);
      const args = e.args.map((a) => evaluate(a, ctx));
      if (e.fn !== 'and' && e.fn !== 'or' && e.fn !== 'eq' && args.length !== (e.fn === 'not' ? 1 : 2)) throw new TemplateError(`wrong number of args for ${e.fn}`);
      if ((e.fn === 'eq' || e.fn === 'and' || e.fn === 'or') && args.length < (e.fn === 'eq' ? 2 : 1)) throw new TemplateError(`wrong number of args for ${e.fn}`);
      return fn(args);
    }
  }
}
