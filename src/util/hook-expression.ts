// The expression syntax of BCS's hook conditions (`asInt(result) < 30`, `result == "ok"`,
// `result[0] > 0.9 and result[1] < 3`), evaluated by jexl, whose grammar already is this C-like
// subset; never by eval. BCS's own words (`and`, `or`, `not`, `len`, `asInt`, `asFloat`) are
// added to it. Shared by the API's validation (a condition that does not parse is refused) and
// the HookRun runner.

import jexlModule from 'jexl';

// One instance of our own: the module's shared one is anybody's to change.
const jexl = new jexlModule.Jexl();
jexl.addBinaryOp('and', 10, (a, b) => Boolean(a) && Boolean(b));
jexl.addBinaryOp('or', 10, (a, b) => Boolean(a) || Boolean(b));
jexl.addUnaryOp('not', (a) => !a);
jexl.addFunction('asInt', (v: unknown) => {
  const text = String(v).trim();
  if (!/^[-+]?\d+$/.test(text)) throw new Error(`asInt: "${String(v)}" is not an integer`);
  return Number.parseInt(text, 10);
});
jexl.addFunction('asFloat', (v: unknown) => {
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || Number.isNaN(n)) throw new Error(`asFloat: "${String(v)}" is not a number`);
  return n;
});
jexl.addFunction('len', (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0));

/** The condition's truth for this result; throws with the expression's own error. */
export function evalCondition(condition: string, result: unknown): boolean {
  let out: unknown;
  try {
    out = jexl.evalSync(condition, { result });
  } catch (err) {
    throw new Error(`condition "${condition}": ${(err as Error).message}`);
  }
  if (typeof out !== 'boolean') throw new Error(`condition "${condition}" gave ${JSON.stringify(out)}, not true or false`);
  return out;
}

/** Checks a condition's syntax (apply-time validation). */
export function conditionSyntaxError(condition: string): string | undefined {
  try {
    jexl.compile(condition);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

