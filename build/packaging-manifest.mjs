// What the packaged Mai reads at run time, and a check that a packaged build (electron-builder's
// `--dir` output, e.g. release/linux-unpacked) holds all of it where the code looks for it:
//   - in app.asar: package.json ("main"), the main bundle, the preload, the renderer, the engine
//     entry and the chunks they share (electron/main/electron/main.ts resolves them next to
//     dist/main), node-llama-cpp's JavaScript and the packages it imports;
//   - unpacked (app.asar.unpacked): node-llama-cpp's native binaries for the platform, which cannot
//     be dlopen()ed from inside an archive;
//   - beside the archive (<resources>/icons/tray): the tray icons (electron/main/electron/icons.ts).
// By hand, after `npm run dist -- --dir`:  node build/packaging-manifest.mjs release/linux-unpacked
import { listPackage } from '@electron/asar';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every file under `dir`, as paths relative to `dir` with forward slashes. */
function walk(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(path.join(dir, entry.name), relative));
    else out.push(relative);
  }
  return out;
}

/**
 * node-llama-cpp's platform package names for a build target: electron-builder's `${os}` is
 * `linux`, `mac` or `win`, which is how node-llama-cpp names them (`@node-llama-cpp/mac-arm64-metal`).
 * @param {'linux' | 'mac' | 'win'} os
 * @param {string} arch
 */
export function nodeLlamaCppPlatformPrefix(os, arch) {
  return `${os}-${arch}`;
}

/**
 * The files the packaged app reads, from a built project (dist/ must exist).
 * @param {{ projectDir?: string, os?: 'linux' | 'mac' | 'win', arch?: string }} [options]
 * @returns {{ inAsar: string[], unpacked: string[], resources: string[] }} paths relative to
 *   the archive's root, to app.asar.unpacked, and to the resources folder
 */
export function runtimeManifest(options = {}) {
  const projectDir = options.projectDir ?? path.resolve(here, '..');
  const os = options.os ?? 'linux';
  const arch = options.arch ?? 'x64';
  const dist = path.join(projectDir, 'dist');
  if (!existsSync(path.join(dist, 'main', 'index.js'))) throw new Error(`${dist} is not built: run \`npm run build\` first`);
  const inAsar = ['package.json'];
  for (const part of ['main', 'preload', 'renderer', 'engine', 'chunks']) {
    if (existsSync(path.join(dist, part)))
      inAsar.push(
        ...walk(path.join(dist, part))
          .filter((file) => !file.endsWith('.map'))
          .map((file) => `dist/${part}/${file}`),
      );
  }
  for (const entry of ['dist/main/index.js', 'dist/preload/index.cjs', 'dist/renderer/index.html', 'dist/engine/index.js']) {
    if (!inAsar.includes(entry)) throw new Error(`the build has no ${entry}`);
  }
  // node-llama-cpp: its entry, the metadata it reads when choosing a binary, and the packages it imports.
  const llama = path.join(projectDir, 'node_modules', 'node-llama-cpp');
  const llamaPackage = JSON.parse(readFileSync(path.join(llama, 'package.json'), 'utf8'));
  // dist/bindings/utils/testBindingBinary.js: main starts it for node-llama-cpp's binary test
  // (electron/main/core/binary-test-relay.ts binaryTestFile), beside the binaries it tests.
  const unpacked = [
    'package.json',
    'dist/index.js',
    'dist/bindings/utils/testBindingBinary.js',
    'llama/binariesGithubRelease.json',
    'llama/llama.cpp.info.json',
  ].map((file) => `node_modules/node-llama-cpp/${file}`);
  for (const dependency of Object.keys(llamaPackage.dependencies ?? {})) {
    // npm nests a dependency under node-llama-cpp when another version sits at the top.
    const nested = `node_modules/node-llama-cpp/node_modules/${dependency}/package.json`;
    inAsar.push(existsSync(path.join(projectDir, nested)) ? nested : `node_modules/${dependency}/package.json`);
  }
  // The platform's prebuilt binaries: every installed @node-llama-cpp/<os>-<arch>* package's bins.
  const scope = path.join(projectDir, 'node_modules', '@node-llama-cpp');
  const prefix = nodeLlamaCppPlatformPrefix(os, arch);
  const platformPackages = existsSync(scope) ? readdirSync(scope).filter((name) => name.startsWith(prefix)) : [];
  for (const name of platformPackages) {
    const bins = path.join(scope, name, 'bins');
    if (!existsSync(bins)) continue;
    unpacked.push(`node_modules/@node-llama-cpp/${name}/package.json`);
    unpacked.push(...walk(bins).map((file) => `node_modules/@node-llama-cpp/${name}/bins/${file}`));
  }
  if (!unpacked.some((file) => file.endsWith('.node'))) throw new Error(`no node-llama-cpp binary for ${prefix} is installed`);
  const icons = path.join(projectDir, 'build', 'icons', 'tray');
  const resources = readdirSync(icons)
    .filter((name) => name.endsWith('.png'))
    .map((name) => `icons/tray/${name}`);
  return { inAsar, unpacked, resources };
}

/**
 * Checks a packaged app folder against the manifest.
 * @param {string} appOutDir electron-builder's unpacked output (release/linux-unpacked; for macOS
 *   the folder holding Mai.app)
 * @param {{ inAsar: string[], unpacked: string[], resources: string[] }} manifest
 * @returns {string[]} one sentence per missing or misplaced file; empty when all is there
 */
export function checkPackagedApp(appOutDir, manifest) {
  const mac = readdirSync(appOutDir).find((name) => name.endsWith('.app'));
  const resourcesDir = mac ? path.join(appOutDir, mac, 'Contents', 'Resources') : path.join(appOutDir, 'resources');
  const asar = path.join(resourcesDir, 'app.asar');
  if (!existsSync(asar)) return [`${asar} is missing`];
  const listed = new Set(listPackage(asar, { isPack: false }).map((entry) => entry.replace(/\\/g, '/').replace(/^\//, '')));
  const problems = [];
  for (const file of manifest.inAsar) {
    if (!listed.has(file)) problems.push(`app.asar has no ${file}`);
  }
  for (const file of manifest.unpacked) {
    const onDisk = path.join(resourcesDir, 'app.asar.unpacked', file);
    if (!existsSync(onDisk) || !statSync(onDisk).isFile()) {
      problems.push(listed.has(file) ? `${file} is packed inside app.asar but must be unpacked (asarUnpack)` : `${file} is not packaged`);
    }
  }
  for (const file of manifest.resources) {
    if (!existsSync(path.join(resourcesDir, file))) problems.push(`resources/${file} is missing (extraResources)`);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const appOutDir = process.argv[2];
  if (!appOutDir) {
    console.error('usage: node build/packaging-manifest.mjs <release/linux-unpacked | release/mac-arm64 | release/win-unpacked>');
    process.exit(2);
  }
  const os = { darwin: 'mac', win32: 'win' }[process.platform] ?? 'linux';
  const problems = checkPackagedApp(appOutDir, runtimeManifest({ os, arch: process.arch }));
  if (problems.length > 0) {
    console.error(`${appOutDir} lacks what Mai reads at run time:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`${appOutDir}: every file Mai reads at run time is packaged where it is looked for.`);
}
