// Electronegativity (Doyensec's Electron security linter) over electron/ (the TypeScript sources)
// and dist/ (the built main, preload and renderer HTML with its CSP), for `npm run lint` and CI.
// Writes SARIF to a temp folder, reads it back, prints every finding, and exits 1 if any finding is
// above informational (SARIF level "warning" or "error") unless it is suppressed below with its
// reason. Electronegativity itself always exits 0, so its SARIF is the verdict.
//
// Usage: node build/electronegativity.mjs [--keep-sarif]
//
// Why not its CLI (node_modules/.bin/electronegativity): 1.10.3 does not declare `commander` as a
// dependency and reads options as properties (commander ≤ 6), while the hoisted commander here is
// v10 (which keeps them in .opts()), so the CLI ignores every option and prints its help. The CLI
// is a thin wrapper around `run()` in dist/runner.js; calling `run()` with the same options is the
// same scan, SARIF included.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const runnerModule = require('@doyensec/electronegativity/dist/runner.js');
const run = runnerModule.default ?? runnerModule;
const electronVersion = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.electron.replace(/^[^\d]*/, '');

/**
 * Findings reviewed and accepted, each for one check in named files only, never a whole check
 * everywhere. Each needs the reason it is a false positive for Mai.
 */
const SUPPRESSIONS = [
  {
    ruleId: 'AUXCLICK_JS_CHECK',
    files: /^(main\/electron\/main\.ts|main\/index\.js)$/,
    // The check wants `disableBlinkFeatures: 'Auxclick'` because a middle-click on a link could
    // open it in a new Electron window. In Mai every new window, whatever opens it (window.open,
    // target=_blank, shift- or middle-click), goes through setWindowOpenHandler, which always
    // returns {action: 'deny'} and offers only http(s) links to the system browser after a
    // confirmation; will-navigate blocks every other navigation of the main frame. Model output
    // cannot contain a live non-http(s) link anyway (renderer/features/chat/markdown.ts, proven by
    // tests/e2e/hostile-output.spec.ts). So no middle-click can open anything inside Mai.
    reason: 'every new window is denied by setWindowOpenHandler; navigation is blocked by will-navigate',
  },
];

const targets = [{ label: 'electron/ (sources)', input: path.join(root, 'electron') }];
if (existsSync(path.join(root, 'dist', 'main', 'index.js'))) targets.push({ label: 'dist/ (built)', input: path.join(root, 'dist') });
else console.warn('electronegativity: dist/ is not built; scanning the sources only (run `npm run build` to scan the bundles too).');

/** run() writes the SARIF with a fire-and-forget fs.writeFile: wait until it is complete. */
async function readSarif(file) {
  const started = performance.now();
  for (;;) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      if (performance.now() - started > 30_000) throw new Error(`no complete SARIF in ${file}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const LEVEL_RANK = { none: 0, note: 1, warning: 2, error: 3 };
const outDir = mkdtempSync(path.join(os.tmpdir(), 'mai-electronegativity-'));
let failing = 0;
let total = 0;

for (const [index, target] of targets.entries()) {
  const sarifFile = path.join(outDir, `scan-${index}.sarif`);
  const result = await run(
    {
      input: target.input,
      output: sarifFile,
      isSarif: true,
      customScan: [],
      // This check compares the Electron version with the published releases (a network look-up
      // that takes ~10 s to give up offline); the version is the same for both scans: run it once.
      excludeFromScan: index === 0 ? [] : ['AvailableSecurityFixesGlobalCheck'],
      isRelative: true,
      isVerbose: true,
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  );
  // A file it could not parse is a file it did not check: that fails the scan too.
  const unparsed = result.errors.filter((error) => !error.tolerable);
  for (const error of unparsed) console.error(`  ✗ could not parse ${path.relative(root, error.file)}: ${error.message}`);
  failing += unparsed.length;

  const sarif = await readSarif(sarifFile);
  const results = sarif.runs.flatMap((r) => r.results ?? []);
  console.log(`electronegativity ${sarif.runs[0]?.tool?.driver?.version ?? '?'} on ${target.label}: ${result.globalChecks + result.atomicChecks} checks, ${results.length} findings`);
  for (const finding of results) {
    total += 1;
    const location = finding.locations?.[0]?.physicalLocation;
    const file = location?.artifactLocation?.uri ?? '?';
    const where = `${file}:${location?.region?.startLine ?? '?'}:${location?.region?.startColumn ?? '?'}`;
    const level = finding.level ?? 'warning';
    const suppression = SUPPRESSIONS.find((s) => s.ruleId === finding.ruleId && s.files.test(file));
    const blocking = (LEVEL_RANK[level] ?? 2) > LEVEL_RANK.note && !suppression;
    if (blocking) failing += 1;
    const mark = blocking ? '✗' : suppression ? '~' : '·';
    console.log(`  ${mark} ${level.padEnd(7)} ${finding.ruleId.padEnd(26)} ${where}  ${finding.message?.text ?? ''}`);
    if (suppression) console.log(`      suppressed: ${suppression.reason}`);
  }
}

if (process.argv.includes('--keep-sarif')) console.log(`SARIF kept in ${outDir}`);
else rmSync(outDir, { recursive: true, force: true });

if (failing > 0) {
  console.error(`electronegativity: ${failing} finding(s) above informational (or unparsed files); see above.`);
  process.exit(1);
}
console.log(`electronegativity: ${total} finding(s), none above informational once the reviewed ones are accounted for.`);
// Its translation and release look-ups may leave sockets open when offline: do not wait for them.
process.exit(0);
