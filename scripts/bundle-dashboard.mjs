// Bundles the dashboard page (src/dashboard/web, Preact) into dist/dashboard/app.js with
// esbuild, at build time, so the page loads nothing from the network. Part of `npm run build`.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../src/dashboard/web/main.tsx', import.meta.url).pathname],
  outfile: new URL('../dist/dashboard/app.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
