// Checks the Electron fuses of packaged Mai builds against `electronFuses` in
// build/electron-builder.config.cjs. electron-builder flips the fuses itself (after its afterPack
// hook, right before signing), so this runs as the afterAllArtifactBuild hook, once everything is
// packed and signed, and fails the build when a packaged binary does not carry the fuses it should.
//
// Also usable by hand:
//   node build/after-pack-fuses.cjs release/linux-unpacked/mai      (or Mai.exe, or Mai.app)
//   node build/after-pack-fuses.cjs --self-test
// The self-test needs no Electron download: it validates the builder configuration with
// electron-builder's own schema, turns `electronFuses` into a fuse config with electron-builder's
// own code, flips a synthetic fuse wire with @electron/fuses and checks it with the same code the
// hook uses.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS hook: electron-builder loads it with require() */
const { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } = require('@electron/fuses');
const { FuseState, SENTINEL } = require('@electron/fuses/dist/constants');
const config = require('./electron-builder.config.cjs');

const STATE_NAMES = { [FuseState.ENABLE]: 'on', [FuseState.DISABLE]: 'off', [FuseState.REMOVED]: 'removed', [FuseState.INHERIT]: 'inherit' };

/** `runAsNode` → FuseV1Options.RunAsNode (the index in the fuse wire). */
function fuseIndex(key) {
  const name = key.charAt(0).toUpperCase() + key.slice(1);
  const index = FuseV1Options[name];
  if (typeof index !== 'number') throw new Error(`electronFuses.${key} is not a fuse @electron/fuses knows`);
  return index;
}

/** Compares the fuse wire of one binary (or .app) with the configuration; returns the differences. */
async function checkBinary(binary, fuses = config.electronFuses) {
  const wire = await getCurrentFuseWire(binary);
  const problems = [];
  const lines = [];
  for (const [key, wanted] of Object.entries(fuses)) {
    if (typeof wanted !== 'boolean') continue; // resetAdHocDarwinSignature and the like
    const index = fuseIndex(key);
    const actual = wire[index];
    const expected = wanted ? FuseState.ENABLE : FuseState.DISABLE;
    lines.push(`${key} ${STATE_NAMES[actual] ?? actual}`);
    if (actual === undefined) problems.push(`${key}: this Electron's fuse wire has no fuse ${index}`);
    else if (actual !== expected && actual !== FuseState.REMOVED)
      problems.push(`${key}: wanted ${wanted ? 'on' : 'off'}, found ${STATE_NAMES[actual] ?? actual}`);
  }
  console.log(`fuses of ${binary}: ${lines.join(', ')}`);
  return problems;
}

/** The Electron binaries electron-builder left in its output folder (one per platform and arch). */
function packagedBinaries(outDir) {
  const executable = config.executableName ?? require('../package.json').name;
  const found = [];
  for (const entry of existsSync(outDir) ? readdirSync(outDir) : []) {
    const dir = path.join(outDir, entry);
    if (!statSync(dir).isDirectory()) continue;
    if (/^mac/.test(entry)) {
      for (const app of readdirSync(dir).filter((name) => name.endsWith('.app'))) found.push(path.join(dir, app));
    } else if (entry.endsWith('-unpacked')) {
      for (const name of [`${config.productName}.exe`, executable]) {
        const file = path.join(dir, name);
        if (existsSync(file) && statSync(file).isFile()) found.push(file);
      }
    }
  }
  return found;
}

/** electron-builder's afterAllArtifactBuild hook. */
async function afterAllArtifactBuild(buildResult) {
  const binaries = packagedBinaries(buildResult.outDir);
  if (binaries.length === 0) throw new Error(`after-pack-fuses: no packaged Electron binary found in ${buildResult.outDir} to check the fuses of`);
  const problems = [];
  for (const binary of binaries) for (const problem of await checkBinary(binary)) problems.push(`${binary}: ${problem}`);
  if (problems.length > 0) throw new Error(`Electron fuses not as configured:\n  ${problems.join('\n  ')}`);
  return [];
}

async function selfTest() {
  // 1. electron-builder accepts the configuration (its JSON schema, as `electron-builder` runs it).
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  await validateConfiguration(JSON.parse(JSON.stringify(config)), new DebugLogger(false));
  console.log('electron-builder schema: configuration valid');

  // 2. A synthetic Electron fuse wire with Electron's defaults (8 fuses, wire version 1).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-fuses-'));
  const binary = path.join(dir, 'electron');
  const defaults = [
    FuseState.ENABLE,
    FuseState.DISABLE,
    FuseState.ENABLE,
    FuseState.ENABLE,
    FuseState.DISABLE,
    FuseState.DISABLE,
    FuseState.DISABLE,
    FuseState.ENABLE,
  ];
  writeFileSync(
    binary,
    Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([Number(FuseVersion.V1), defaults.length, ...defaults]), Buffer.alloc(4096, 7)]),
  );
  try {
    const before = await checkBinary(binary);
    if (before.length === 0) throw new Error('self-test: the unflipped wire should not pass');
    console.log(`unflipped wire refused as it should be (${before.length} fuses differ)`);

    // 3. Flip it exactly as electron-builder does (its own generateFuseConfig), then check it.
    const { PlatformPackager } = require('app-builder-lib');
    const fuseConfig = await PlatformPackager.prototype.generateFuseConfig.call(null, config.electronFuses);
    await flipFuses(binary, fuseConfig);
    const after = await checkBinary(binary);
    if (after.length > 0) throw new Error(`self-test: flipped wire still differs:\n  ${after.join('\n  ')}`);
    console.log('flipped wire matches electronFuses');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = afterAllArtifactBuild;
module.exports.default = afterAllArtifactBuild;
module.exports.afterAllArtifactBuild = afterAllArtifactBuild;
module.exports.checkBinary = checkBinary;

if (require.main === module) {
  const arg = process.argv[2];
  const job =
    arg === '--self-test'
      ? selfTest()
      : arg
        ? checkBinary(path.resolve(arg)).then((problems) => {
            if (problems.length > 0) throw new Error(problems.join('\n'));
            console.log('fuses as configured');
          })
        : Promise.reject(new Error('usage: node build/after-pack-fuses.cjs <Mai binary | Mai.app> | --self-test'));
  job.catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
