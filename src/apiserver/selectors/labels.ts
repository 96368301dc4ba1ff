// Label selectors: the `labelSelector` query parameter (string syntax, as `kubectl get -l` sends
// it) and metav1.LabelSelector objects (`spec.selector` of workloads).
//
// Parsing follows k8s.io/apimachinery/pkg/labels so that kubectl users get the same answers and
// the same error messages:
//
//   selector    := requirement ("," requirement)*        (empty: everything)
//   requirement := ["!"] KEY [ ("in" | "notin") "(" values ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
//
// Whitespace separates tokens and is otherwise ignored.

import { badRequest } from '../errors.js';
import type { LabelSelector } from '../../util/label-selector.js';

type Labels = Record<string, string> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;

export type { LabelSelector, LabelSelectorRequirement } from '../../util/label-selector.js';

/** '!' is "does not exist"; '>' and '<' compare integers (used by node affinity style selectors). */
type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | '>' | '<';

interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** Parses the string form; throws 400 BadRequest with kube-apiserver's wording on bad input. */
export function parseLabelSelector(s: string): LabelMatcher {
  return matcher(new Parser(s).parse());
}

/** metav1.LabelSelector semantics: no selector selects nothing, an empty one selects everything. */
export function selectorFromLabelSelector(sel: LabelSelector | null | undefined): LabelMatcher {
  if (sel === undefined || sel === null) return () => false;
  return matcher(requirementsOf(sel));
}

/** The canonical string form, e.g. `app=x,tier in (a,b)`, as in the scale subresource's status. */
export function labelSelectorToString(sel: LabelSelector | null | undefined): string {
  if (sel === undefined || sel === null) return '';
  const requirements = requirementsOf(sel);
  return [...requirements].sort((a, b) => compareStrings(a.key, b.key)).map(requirementString).join(',');
}

// ---------------------------------------------------------------------------------------------
// Requirements.

function requirementsOf(sel: LabelSelector): Requirement[] {
  try {
    return buildRequirements(sel);
  } catch (err) {
    if (err instanceof RequirementError) throw badRequest(err.message);
    throw err;
  }
}

function buildRequirements(sel: LabelSelector): Requirement[] {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    requirements.push(newRequirement(key, '=', [value]));
  }
  for (const expr of sel.matchExpressions ?? []) {
    requirements.push(newRequirement(expr.key, expressionOperator(expr.operator), expr.values ?? []));
  }
  return requirements;
}

function expressionOperator(op: string): Operator {
  switch (op) {
    case 'In':
      return 'in';
    case 'NotIn':
      return 'notin';
    case 'Exists':
      return 'exists';
    case 'DoesNotExist':
      return '!';
    default:
      throw badRequest(`${JSON.stringify(op)} is not a valid label selector operator`);
  }
}

/** Builds a requirement after the checks labels.NewRequirement makes, with its messages. */
function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const problems: string[] = [];
  const keyProblem = invalidKey(key);
  if (keyProblem) problems.push(keyProblem);
  const countProblem = valueCountProblem(operator, values);
  if (countProblem) problems.push(countProblem);
  values.forEach((value, i) => {
    const valueProblems = labelValueProblems(value);
    if (valueProblems.length > 0) {
      problems.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${valueProblems.join('; ')}`);
    }
  });
  if (problems.length > 0) throw new RequirementError(problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`);
  return { key, operator, values };
}

function invalidKey(key: string): string | undefined {
  const problems = qualifiedNameProblems(key);
  return problems.length > 0 ? `key: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}` : undefined;
}

function valueCountProblem(operator: Operator, values: string[]): string | undefined {
  switch (operator) {
    case 'in':
    case 'notin':
      return values.length === 0 ? "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty" : undefined;
    case '=':
    case '==':
    case '!=':
      return values.length !== 1 ? 'values: Invalid value: exact-match compatibility requires one single value' : undefined;
    case 'exists':
    case '!':
      return values.length !== 0 ? 'values: Invalid value: values set must be empty for exists and does not exist' : undefined;
    case '>':
    case '<':
      if (values.length !== 1) return "values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required";
      return int64(values[0]) === undefined
        ? `values[0]: Invalid value: ${JSON.stringify(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer`
        : undefined;
  }
}

/** Thrown inside a requirement so the parser can add its "unable to parse requirement" prefix. */
class RequirementError extends Error {}

function matcher(requirements: Requirement[]): LabelMatcher {
  if (requirements.length === 0) return () => true;
  return (labels) => requirements.every((r) => matches(r, labels));
}

function matches(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && labels !== null && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? String(labels[r.key]) : '';
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case '>':
    case '<': {
      const actual = has ? int64(value) : undefined;
      const bound = int64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === '>' ? actual > bound : actual < bound;
    }
  }
}

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, 64-bit range. */
function int64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function requirementString(r: Requirement): string {
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${values})`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/** Byte-wise order, as Go's sort.Strings (localeCompare would differ). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Validation of keys and values (k8s.io/apimachinery/pkg/util/validation).

const NAME_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const NAME_RE = new RegExp(`^${NAME_FORMAT}$`);
const NAME_HELP =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  `(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${NAME_FORMAT}')`;
const VALUE_FORMAT = `(${NAME_FORMAT})?`;
const VALUE_RE = new RegExp(`^${VALUE_FORMAT}$`);
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN}$`);

/** A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${NAME_HELP} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const problems: string[] = [];
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else problems.push(...subdomainProblems(prefix).map((p) => `prefix part ${p}`));
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!NAME_RE.test(name)) problems.push(`name part ${NAME_HELP}`);
  return problems;
}

function subdomainProblems(s: string): string[] {
  const problems: string[] = [];
  if (s.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN_RE.test(s)) {
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " +
        `and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`,
    );
  }
  return problems;
}

function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!VALUE_RE.test(value)) {
    problems.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start " +
        `and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${VALUE_FORMAT}')`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser for the string form.

type TokenKind = 'identifier' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
}

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/** `in` and `notin` stay identifiers here: they are operators only where an operator is expected. */
function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (WHITESPACE.has(c)) {
      i++;
    } else if (SYMBOLS.has(c)) {
      const pair = s.slice(i, i + 2);
      const text = pair === '==' || pair === '!=' ? pair : c;
      tokens.push({ kind: text as TokenKind, text });
      i += text.length;
    } else {
      let j = i;
      while (j < s.length && !SYMBOLS.has(s[j]) && !WHITESPACE.has(s[j])) j++;
      tokens.push({ kind: 'identifier', text: s.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const start = this.peek();
      if (start.kind === 'end') return requirements;
      if (start.kind !== 'identifier' && start.kind !== '!') {
        throw badRequest(`found '${start.text}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.requirementOrThrow());
      const after = this.next();
      if (after.kind === 'end') return requirements;
      if (after.kind !== ',') throw badRequest(`found '${after.text}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.kind !== 'identifier' && following.kind !== '!') {
        throw badRequest(`found '${following.text}', expected: identifier after ','`);
      }
    }
  }

  private requirementOrThrow(): Requirement {
    try {
      return this.requirement();
    } catch (err) {
      if (err instanceof RequirementError) throw badRequest(`unable to parse requirement: ${err.message}`);
      throw err;
    }
  }

  private requirement(): Requirement {
    let token = this.next();
    const negated = token.kind === '!';
    if (negated) token = this.next();
    if (token.kind !== 'identifier') throw new RequirementError(`found '${token.text}', expected: identifier`);
    const key = token.text;
    const keyProblem = invalidKey(key);
    if (keyProblem) throw new RequirementError(keyProblem);
    const lookahead = this.peek().kind;
    // `!key` takes no operator; anything after it is reported by parse() as a misplaced token.
    if (negated) return newRequirement(key, '!', []);
    if (lookahead === 'end' || lookahead === ',') return newRequirement(key, 'exists', []);
    const operator = this.operator();
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return newRequirement(key, operator, values);
  }

  private operator(): Operator {
    const token = this.next();
    if (token.kind === 'identifier' && (token.text === 'in' || token.text === 'notin')) return token.text;
    switch (token.kind) {
      case '=':
      case '==':
      case '!=':
      case '>':
      case '<':
        return token.kind;
      default:
        throw new RequirementError(`found '${token.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** `(a,b)`; empty items such as `()` or `(a,)` stand for the empty value, as in Kubernetes. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw new RequirementError(`found '${open.text}' expected: '('`);
    const values = new Set<string>();
    for (;;) {
      let token = this.peek();
      if (token.kind === 'identifier') {
        values.add(token.text);
        this.next();
        token = this.peek();
      } else {
        values.add('');
      }
      if (token.kind === ')') {
        this.next();
        return [...values].sort(compareStrings);
      }
      if (token.kind !== ',') throw new RequirementError(`found '${token.text}', expected: ',' or ')'`);
      this.next();
    }
  }

  /** `key=` with nothing after it selects the empty value. */
  private exactValue(): string[] {
    const lookahead = this.peek().kind;
    if (lookahead === 'end' || lookahead === ',') return [''];
    const token = this.next();
    if (token.kind !== 'identifier') throw new RequirementError(`found '${token.text}', expected: identifier`);
    return [token.text];
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos];
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }
}
