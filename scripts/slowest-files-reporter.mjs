// A node:test reporter that prints, once the run ends, the ten test files that took longest:
// so that whoever reads CI output sees where the suite's time goes. Used beside the TAP
// reporter by `npm test`; it prints nothing else.

const SHOWN = 10;

export default async function* slowestFiles(source) {
  // Per file: the run of the file itself when the runner reports one (Node 20 reports each
  // file as a top-level test named by its path), else the sum of its top-level tests.
  const byFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, name, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    const ms = details?.duration_ms ?? 0;
    const entry = byFile.get(file) ?? { whole: undefined, parts: 0 };
    if (name === file) entry.whole = ms;
    else entry.parts += ms;
    byFile.set(file, entry);
  }
  const rows = [...byFile].map(([file, e]) => [file, e.whole ?? e.parts]).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return;
  const cwd = process.cwd() + '/';
  let out = `\n# the ${Math.min(SHOWN, rows.length)} slowest of ${rows.length} test files (seconds)\n`;
  for (const [file, ms] of rows.slice(0, SHOWN)) out += `# ${(ms / 1000).toFixed(1).padStart(7)}  ${file.startsWith(cwd) ? file.slice(cwd.length) : file}\n`;
  yield out;
}
