/**
 * The packaged app ships everything it reads at run time (build/packaging-manifest.mjs says what
 * and where). electron-builder itself packages the app — its own file matching, node_modules
 * collection, asarUnpack and extraResources, its fuse flipping and our afterAllArtifactBuild hook —
 * into a `--dir` build for linux-x64. Only the Electron runtime is a stand-in (GitHub, where
 * electron-builder would download it, is out of reach): an unpacked folder given as `electronDist`
 * whose executable carries a real fuse wire (tests/helpers/stand-in-electron.ts).
 *
 * The project is a scratch copy (package.json and lock, the builder config and hook, the tray icons,
 * the built dist/) with a hard-linked copy of node_modules: electron-builder lists the production
 * dependencies with `npm ls`, which misreads a symlinked node_modules (as these machines' worktrees
 * have), and nothing here writes into node_modules (npmRebuild is off: node-llama-cpp's binaries are
 * N-API prebuilds). The same build is made with a copy of the configuration without
 * extraResources, and the check must find the tray icons missing there.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Configuration } from 'electron-builder';
import type * as ElectronBuilder from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPackagedApp, runtimeManifest } from '../../build/packaging-manifest.mjs';
import { standInElectronDistFiles } from '../helpers/stand-in-electron';

const repo = path.resolve(__dirname, '..', '..');
const require = createRequire(import.meta.url);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'mai-packaging-'));
const project = path.join(scratch, 'project');
const electronVersion = (require(path.join(repo, 'node_modules', 'electron', 'package.json')) as { version: string }).version;

function prepareProject(): void {
  if (!existsSync(path.join(repo, 'dist', 'main', 'index.js'))) throw new Error('dist/ is not built: run `npm run build` before this test');
  mkdirSync(path.join(project, 'build', 'icons'), { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'build/electron-builder.config.cjs', 'build/after-pack-fuses.cjs']) {
    copyFileSync(path.join(repo, file), path.join(project, file));
  }
  cpSync(path.join(repo, 'build', 'icons', 'tray'), path.join(project, 'build', 'icons', 'tray'), { recursive: true });
  cpSync(path.join(repo, 'dist'), path.join(project, 'dist'), { recursive: true });
  const modules = realpathSync(path.join(repo, 'node_modules'));
  try {
    execFileSync('cp', ['-al', modules, path.join(project, 'node_modules')]);
  } catch {
    execFileSync('cp', ['-a', modules, path.join(project, 'node_modules')]); // another file system: a real copy
  }
  // The configuration as it was before the tray icons were shipped.
  writeFileSync(
    path.join(project, 'build', 'electron-builder.without-extra-resources.cjs'),
    "const config = { ...require('./electron-builder.config.cjs') };\ndelete config.extraResources;\nmodule.exports = config;\n",
  );
  const electronDist = path.join(scratch, 'electron-dist');
  mkdirSync(path.join(electronDist, 'resources'), { recursive: true });
  for (const file of standInElectronDistFiles(electronVersion)) {
    writeFileSync(path.join(electronDist, file.name), file.data);
    chmodSync(path.join(electronDist, file.name), file.mode);
  }
}

/** `electron-builder --dir --linux --x64` with the given configuration file; returns the unpacked app folder. */
async function packLinuxDir(configFile: string, output: string): Promise<string> {
  const builder = require(path.join(project, 'node_modules', 'electron-builder')) as typeof ElectronBuilder;
  // A deep copy: electron-builder normalises the configuration in place, and both files share one module.
  const config = structuredClone(require(path.join(project, 'build', configFile)) as Configuration);
  await builder.build({
    projectDir: project,
    targets: builder.Platform.LINUX.createTarget('dir', builder.Arch.x64),
    publish: 'never',
    config: {
      ...config,
      electronDist: path.join(scratch, 'electron-dist'),
      npmRebuild: false,
      directories: { output: path.join(scratch, output) },
      // The hook is named relative to the project; electron-builder resolves it against the working folder.
      afterAllArtifactBuild: path.join(project, 'build', 'after-pack-fuses.cjs'),
    },
  });
  return path.join(scratch, output, 'linux-unpacked');
}

describe.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('the packaged app (electron-builder --dir, linux-x64)', () => {
  beforeAll(prepareProject, 120_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('holds every file Mai reads at run time: bundles in app.asar, node-llama-cpp binaries unpacked, tray icons in resources', async () => {
    const manifest = runtimeManifest({ projectDir: project, os: 'linux', arch: 'x64' });
    expect(manifest.inAsar).toEqual(
      expect.arrayContaining(['dist/main/index.js', 'dist/preload/index.cjs', 'dist/renderer/index.html', 'dist/engine/index.js']),
    );
    expect(manifest.unpacked).toContain('node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node');
    // The file main starts for node-llama-cpp's binary test (binary-test-relay.ts).
    expect(manifest.unpacked).toContain('node_modules/node-llama-cpp/dist/bindings/utils/testBindingBinary.js');
    expect(manifest.resources).toContain('icons/tray/tray-steady-light.png');
    const appOutDir = await packLinuxDir('electron-builder.config.cjs', 'release');
    expect(checkPackagedApp(appOutDir, manifest)).toEqual([]);
  }, 300_000);

  it('reports the tray icons missing with the configuration that had no extraResources', async () => {
    const manifest = runtimeManifest({ projectDir: project, os: 'linux', arch: 'x64' });
    const appOutDir = await packLinuxDir('electron-builder.without-extra-resources.cjs', 'release-without-extra-resources');
    const problems = checkPackagedApp(appOutDir, manifest);
    expect(problems).toEqual(manifest.resources.map((file) => `resources/${file} is missing (extraResources)`));
    expect(problems.length).toBeGreaterThanOrEqual(16); // 4 states × 2 themes × 2 scales
  }, 300_000);
});

describe('node-llama-cpp binaries per build target (`${os}`/`${arch}` in the builder config)', () => {
  // electron-builder's own macro expansion, and minimatch with the options its FileMatcher uses.
  const { expandMacro } = require('app-builder-lib/out/util/macroExpander') as {
    expandMacro: (pattern: string, arch: string | null, appInfo: object, extra: Record<string, string>) => string;
  };
  const { minimatch } = createRequire(require.resolve('app-builder-lib'))('minimatch') as {
    minimatch: (file: string, pattern: string, options: { dot: boolean }) => boolean;
  };
  const config = require(path.join(repo, 'build', 'electron-builder.config.cjs')) as { files: string[]; asarUnpack: string[] };
  const platformPackages = Object.keys(
    (require(path.join(repo, 'node_modules', 'node-llama-cpp', 'package.json')) as { optionalDependencies: Record<string, string> }).optionalDependencies,
  ).map((name) => name.replace('@node-llama-cpp/', ''));

  /** Is `file` kept by the `files` patterns, evaluated in order as electron-builder does (last match wins)? */
  function kept(file: string, os: string, arch: string): boolean {
    let included = false;
    for (const raw of config.files) {
      const pattern = expandMacro(raw, arch, { productName: 'Mai', sanitizedProductName: 'Mai' }, { os, '/*': '{,/**/*}' });
      const negated = pattern.startsWith('!');
      if (minimatch(file, negated ? pattern.slice(1) : pattern, { dot: true })) included = !negated;
    }
    return included;
  }

  it.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
    ['mac', 'arm64'],
    ['mac', 'x64'],
    ['win', 'x64'],
    ['win', 'arm64'],
  ])("%s-%s keeps its own binaries (GPU variants included) and drops every other platform's", (os, arch) => {
    const own = platformPackages.filter((name) => name.startsWith(`${os}-${arch}`));
    expect(own.length).toBeGreaterThan(0); // node-llama-cpp names its packages with electron-builder's ${os}
    for (const name of platformPackages) {
      const binary = `node_modules/@node-llama-cpp/${name}/bins/${name}/llama-addon.node`;
      expect(kept(binary, os, arch), binary).toBe(own.includes(name));
      expect(
        config.asarUnpack.some((pattern) => minimatch(binary, pattern, { dot: true })),
        `${binary} unpacked`,
      ).toBe(true);
    }
  });
});
