// Electronegativity (Doyensec's Electron security linter) over electron/ (the TypeScript sources)
// and dist/ (the built main, preload and renderer HTML with its CSP), for `npm run lint` and CI.
//
// The verdict is each finding's SEVERITY (informational, low, medium, high), read from the
// results run() returns: any finding above informational fails the scan unless SUPPRESSIONS below
// lists it, for named files only, with the reason. (The SARIF it writes is not a usable verdict:
// its `level` says whether a finding "needs manual review" — note — or not — warning — whatever
// its severity, so a medium finding that needs review is a mere note there.) Electronegativity
// itself always exits 0. The SARIF is still written for CI to upload (--sarif FILE).
//
// Usage:
//   node build/electronegativity.mjs                 scan electron/ and dist/ (exit 1 on a finding)
//   node build/electronegativity.mjs --input DIR     scan DIR only (no suppressions apply to it)
//   node build/electronegativity.mjs --self-test     scan build/electronegativity-fixture/, a window
//                                                    with nodeIntegration on, no isolation, no
//                                                    sandbox and an unchecked
//                                                    openExternal: exits 0 only if the gate fails it
//   --sarif FILE                                     also keep the SARIF of the (last) scan in FILE
//
// Why not its CLI (node_modules/.bin/electronegativity): 1.10.3 does not declare `commander` as a
// dependency and reads options as properties (commander ≤ 6), while the hoisted commander here is
// v10 (which keeps them in .opts()), so the CLI ignores every option and prints its help. The CLI
// is a thin wrapper around `run()` in dist/runner.js; calling `run()` with the same options is the
// same scan.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const runnerModule = require('@doyensec/electronegativity/dist/runner.js');
const run = runnerModule.default ?? runnerModule;
const electronVersion = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.electron.replace(/^[^\d]*/, '');

/** Electronegativity's severities (dist/finder/attributes.js), lowest first. */
const SEVERITY_RANK = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };

/** The window's wiring: the sources and the bundle esbuild makes of main.ts (dist/main/index.js). */
const WINDOW_FILES = /^(main\/electron\/window\.ts|main\/index\.js)$/;

/**
 * Findings reviewed and accepted, each for one check in named files only (paths relative to the
 * scanned folder), never a whole check everywhere, each with the reason it is safe in Mai.
 */
export const SUPPRESSIONS = [
  {
    ruleId: 'AUXCLICK_JS_CHECK',
    severity: 'MEDIUM',
    files: WINDOW_FILES,
    // The check wants `disableBlinkFeatures: 'Auxclick'` because a middle-click on a link could
    // open it in a new Electron window. In Mai every new window, whatever opens it (window.open,
    // target=_blank, shift- or middle-click), goes through setWindowOpenHandler, which always
    // returns {action: 'deny'} and offers only http(s) links to the system browser after a
    // confirmation; will-navigate blocks every other navigation of the main frame. Model output
    // cannot contain a live non-http(s) link anyway (renderer/features/chat/markdown.ts, proven by
    // tests/e2e/hostile-output.spec.ts). So no middle-click can open anything inside Mai.
    reason: 'every new window is denied by setWindowOpenHandler; navigation is blocked by will-navigate',
  },
  {
    ruleId: 'PRELOAD_JS_CHECK',
    severity: 'MEDIUM',
    files: WINDOW_FILES,
    reason:
      'reviewed: the preload (electron/preload/) exposes only window.mai.invoke/on, built from the contract; every call is validated by its schemas in main',
  },
  {
    ruleId: 'OPEN_EXTERNAL_JS_CHECK',
    severity: 'MEDIUM',
    files: WINDOW_FILES,
    reason: 'reviewed: confirmExternal() opens only http(s) URLs, parsed with URL, after the user confirms in a dialog (tests/unit/electron/window.test.ts)',
  },
  {
    ruleId: 'CSP_GLOBAL_CHECK',
    severity: 'LOW',
    files: WINDOW_FILES,
    reason:
      '"failed to parse CSP": the header is built at run time by rendererCsp() (electron/main/web/csp.ts), which the checker cannot evaluate; the built page carries the same policy and is checked below',
  },
  {
    ruleId: 'CSP_GLOBAL_CHECK',
    severity: 'LOW',
    files: /^renderer\/index\.html$/,
    reason: `the CSP evaluator's "script-src 'self' can be problematic if you host JSONP, Angular or user uploads": 'self' serves only Mai's own bundle from file:// or the web host; no unsafe-*, no remote source`,
  },
];

/**
 * Checks whose every finding blocks, whatever severity electronegativity gives it: 1.10.3 rates an
 * explicit `nodeIntegration: true` INFORMATIONAL (it weighs the option against old defaults), yet
 * for Mai turning off any of these is exactly the hole the hardening closes.
 */
export const ALWAYS_BLOCKING = new Set([
  'NODE_INTEGRATION_JS_CHECK',
  'CONTEXT_ISOLATION_JS_CHECK',
  'SANDBOX_JS_CHECK',
  'WEB_SECURITY_JS_CHECK',
  'INSECURE_CONTENT_JS_CHECK',
  'EXPERIMENTAL_FEATURES_JS_CHECK',
  'BLINK_FEATURES_JS_CHECK',
]);

/**
 * Splits findings into blocking, suppressed and informational. A suppression matches its check,
 * file and severity only: a finding that grows more severe is looked at again.
 * @param {Array<{id: string, file: string, severity: {name: string}}>} issues run()'s `issues`
 * @param {typeof SUPPRESSIONS} suppressions
 */
export function classify(issues, suppressions) {
  return issues.map((issue) => {
    const severity = issue.severity?.name ?? 'HIGH';
    const rank = SEVERITY_RANK[severity] ?? SEVERITY_RANK.HIGH;
    const suppression = suppressions.find((s) => s.ruleId === issue.id && s.severity === severity && s.files.test(issue.file));
    const serious = rank > SEVERITY_RANK.INFORMATIONAL || ALWAYS_BLOCKING.has(issue.id);
    return { issue, severity, suppression: suppression ?? null, blocking: serious && !suppression };
  });
}

/** run() writes the SARIF with a fire-and-forget fs.writeFile: wait until it is complete. */
async function waitForSarif(file) {
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

/** Scans one folder; prints every finding; returns how many block (unparsed files count too). */
async function scan(target, { suppressions, lookUpReleases, sarifFile }) {
  const result = await run(
    {
      input: target.input,
      output: sarifFile,
      isSarif: true,
      customScan: [],
      // This check compares the Electron version with the published releases (a network look-up
      // that takes ~10 s to give up offline): run it once per invocation.
      excludeFromScan: lookUpReleases ? [] : ['AvailableSecurityFixesGlobalCheck'],
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
  const findings = classify(result.issues, suppressions);
  console.log(`electronegativity on ${target.label}: ${result.globalChecks + result.atomicChecks} checks, ${findings.length} findings`);
  for (const { issue, severity, suppression, blocking } of findings) {
    const mark = blocking ? '✗' : suppression ? '~' : '·';
    const where = `${issue.file}:${issue.location?.line ?? '?'}:${issue.location?.column ?? '?'}`;
    console.log(`  ${mark} ${severity.padEnd(13)} ${issue.id.padEnd(26)} ${where}  ${issue.description ?? ''}`);
    if (suppression) console.log(`      suppressed: ${suppression.reason}`);
  }
  await waitForSarif(sarifFile);
  return { blocking: unparsed.length + findings.filter((f) => f.blocking).length, findings };
}

async function main() {
  const { values } = parseArgs({ options: { input: { type: 'string' }, 'self-test': { type: 'boolean' }, sarif: { type: 'string' } } });
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'mai-electronegativity-'));
  const sarifFile = (index) => path.join(outDir, `scan-${index}.sarif`);
  let blocking = 0;
  let lastSarif = null;
  try {
    if (values['self-test']) {
      // The control: a window that breaks the rules must fail the gate, with the same suppressions
      // as the real scan (the fixture's file names match none of them).
      const fixture = path.join(root, 'build', 'electronegativity-fixture');
      const { findings } = await scan(
        { label: 'the insecure fixture', input: fixture },
        { suppressions: SUPPRESSIONS, lookUpReleases: false, sarifFile: sarifFile(0) },
      );
      const caught = new Set(findings.filter((f) => f.blocking).map((f) => f.issue.id));
      // OPEN_EXTERNAL_JS_CHECK is medium and "needs manual review": a SARIF-level gate let it pass;
      // NODE_INTEGRATION_JS_CHECK is informational in 1.10.3: only ALWAYS_BLOCKING catches it.
      const expected = ['NODE_INTEGRATION_JS_CHECK', 'CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'OPEN_EXTERNAL_JS_CHECK', 'AUXCLICK_JS_CHECK'];
      const missed = expected.filter((id) => !caught.has(id));
      if (missed.length > 0) {
        console.error(`electronegativity self-test FAILED: the gate let through ${missed.join(', ')} in the insecure fixture.`);
        return 1;
      }
      console.log(`electronegativity self-test: the gate fails the insecure fixture (${[...caught].sort().join(', ')}).`);
      return 0;
    }
    const targets = values.input
      ? [{ label: values.input, input: path.resolve(values.input) }]
      : [{ label: 'electron/ (sources)', input: path.join(root, 'electron') }];
    if (!values.input) {
      if (existsSync(path.join(root, 'dist', 'main', 'index.js'))) targets.push({ label: 'dist/ (built)', input: path.join(root, 'dist') });
      else console.warn('electronegativity: dist/ is not built; scanning the sources only (run `npm run build` to scan the bundles too).');
    }
    // Suppressions are written for Mai's own files: a folder given by hand gets none.
    const suppressions = values.input ? [] : SUPPRESSIONS;
    let total = 0;
    for (const [index, target] of targets.entries()) {
      const result = await scan(target, { suppressions, lookUpReleases: index === 0 && !values.input, sarifFile: sarifFile(index) });
      blocking += result.blocking;
      total += result.findings.length;
      lastSarif = sarifFile(index);
    }
    if (blocking > 0) {
      console.error(`electronegativity: ${blocking} finding(s) above informational that no suppression covers (or unparsed files); see above.`);
      return 1;
    }
    console.log(`electronegativity: ${total} finding(s), none above informational once the reviewed ones are accounted for.`);
    return 0;
  } finally {
    if (values.sarif && lastSarif) copyFileSync(lastSarif, path.resolve(values.sarif));
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main();
  // Its translation and release look-ups may leave sockets open when offline: do not wait for them.
  process.exit(code);
}
