// Runs a TypeScript entry on plain Node (20 has no type stripping): esbuild bundles the entry with
// every package left external into a temporary .mjs file beside it, which is then imported.
// Usage: node build/run-ts.mjs path/to/entry.ts [args...]
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node build/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
// Inside the project, so that the bundle's bare imports resolve against node_modules (ESM ignores NODE_PATH).
const cacheDir = path.resolve('node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const outDir = mkdtempSync(path.join(cacheDir, 'mai-run-'));
const outFile = path.join(outDir, 'entry.mjs');
await build({
  entryPoints: [entry],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'error',
  // Bundled code keeps the entry's own notion of where it lives for path lookups.
  banner: { js: `const __maiEntryDir = ${JSON.stringify(path.resolve(path.dirname(entry)))};` },
});
process.argv = [process.argv[0], path.resolve(entry), ...rest];
try {
  await import(pathToFileURL(outFile).href);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
