// Finds, and when missing installs, the Electron runtime that `npm start` launches.
//
// Never `require('electron')` here: since Electron 42 the package has no postinstall and requiring it
// downloads the runtime as a side effect (node_modules/electron/index.js). Finding is a pure file
// check, so tests and CI can call it freely. Installing runs Electron's own installer
// (node_modules/electron/install.js, the `install-electron` bin, built on @electron/get) in a child
// process, so every setting Electron documents for it applies unchanged: ELECTRON_MIRROR and the
// other mirror variables (also as `electron_mirror` in .npmrc), electron_config_cache,
// electron_use_remote_checksums, ELECTRON_GET_USE_PROXY with HTTPS_PROXY / NO_PROXY, force_no_cache.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app's folder (the one holding package.json): `build/..`. */
export const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where npm puts the `electron` package for this app. */
export const defaultElectronPackageDir = path.join(appRoot, 'node_modules', 'electron');

/**
 * The executable's path inside an unpacked runtime, as Electron's installer writes it to path.txt.
 * @param {NodeJS.Platform | string} platform
 */
function executableInRuntime(platform) {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron';
  return platform === 'win32' ? 'electron.exe' : 'electron';
}

/**
 * The Electron version the app depends on (node_modules/electron/package.json), or null without the package.
 * @param {string} [packageDir]
 */
export function electronVersion(packageDir = defaultElectronPackageDir) {
  try {
    return /** @type {{ version: string }} */ (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'))).version;
  } catch {
    return null;
  }
}

/**
 * The path of the Electron executable, or null when no runtime of the package's version is installed.
 * Same test as Electron's installer (dist/version and path.txt match; the executable exists), so a
 * runtime found here is one the installer would not download again. ELECTRON_OVERRIDE_DIST_PATH
 * (an unpacked Electron folder) wins, as it does for the `electron` package itself.
 * @param {NodeJS.ProcessEnv} [env]
 * @param {string} [packageDir] node_modules/electron (tests pass a copy)
 */
export function findElectronRuntime(env = process.env, packageDir = defaultElectronPackageDir) {
  const read = (/** @type {string} */ file) => {
    try {
      return readFileSync(path.join(packageDir, file), 'utf8').trim();
    } catch {
      return null;
    }
  };
  const relative = read('path.txt');
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || executableInRuntime(process.platform));
    return existsSync(candidate) ? candidate : null;
  }
  if (!relative) return null;
  const installed = read(path.join('dist', 'version'))?.replace(/^v/, '');
  if (installed !== electronVersion(packageDir)) return null;
  const candidate = path.join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : null;
}

/**
 * Where Electron's installer will download from, for messages only. Mirrors @electron/get's lookup
 * of the `mirror` setting (.npmrc via npm_config_*, package.json config, then ELECTRON_MIRROR);
 * the installer itself reads the real settings.
 * @param {NodeJS.ProcessEnv} env
 */
export function electronDownloadBase(env) {
  return (
    env.npm_config_electron_mirror ||
    env.NPM_CONFIG_ELECTRON_MIRROR ||
    env.npm_package_config_electron_mirror ||
    env.ELECTRON_MIRROR ||
    'https://github.com/electron/electron/releases/download/'
  );
}

/**
 * @typedef {{ ok: true, bytes: number | null, seconds: number }
 *   | { ok: false, code: 'unreachable' | 'http' | 'checksum' | 'node-too-old' | 'failed', reason: string }} InstallResult
 */

/**
 * Turns the installer's stderr (an error stack) into a short reason a user can act on.
 * @param {string} stderr
 * @returns {{ code: 'unreachable' | 'http' | 'checksum' | 'node-too-old' | 'failed', reason: string }}
 */
export function explainInstallFailure(stderr) {
  const response = /Response code (\d+) \(([^)]*)\) for (\S+)/.exec(stderr);
  if (response) return { code: 'http', reason: `the server answered ${response[1]} ${response[2]} for ${response[3]}` };
  if (/checksum/i.test(stderr) && /match/i.test(stderr)) {
    return { code: 'checksum', reason: 'the downloaded archive did not match its published SHA-256 checksum, so nothing was installed' };
  }
  if (/ERR_REQUIRE_ESM|ERR_REQUIRE_ASYNC_MODULE/.test(stderr)) {
    return { code: 'node-too-old', reason: `Electron's installer needs Node 22.12 or newer and this is Node ${process.versions.node}` };
  }
  if (/fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|UND_ERR/.test(stderr)) {
    return { code: 'unreachable', reason: 'the server could not be reached' };
  }
  const first = stderr
    .split('\n')
    .find((line) => line.trim() !== '')
    ?.trim();
  return { code: 'failed', reason: first ? `the installer said: ${first}` : 'the installer failed without a message' };
}

/**
 * The size of the archive being downloaded: @electron/get writes it into a fresh
 * `electron-download-*` folder of os.tmpdir(), which for the installer's process is `tempRoot`.
 * @param {string} tempRoot
 * @returns {number | null}
 */
function downloadedBytes(tempRoot) {
  let largest = null;
  try {
    for (const folder of readdirSync(tempRoot)) {
      const dir = path.join(tempRoot, folder);
      for (const file of readdirSync(dir)) {
        if (!file.endsWith('.zip')) continue;
        const size = statSync(path.join(dir, file)).size;
        if (largest === null || size > largest) largest = size;
      }
    }
  } catch {
    // Folders come and go while the installer works: a missed sample only delays the next figure.
  }
  return largest;
}

/**
 * Runs Electron's own installer (node_modules/electron/install.js) and waits for it.
 * It downloads `electron-v<version>-<platform>-<arch>.zip` (or takes it from its cache), checks its
 * SHA-256, unpacks it into node_modules/electron/dist and writes path.txt.
 * @param {{
 *   env?: NodeJS.ProcessEnv,
 *   packageDir?: string,
 *   onProgress?: (bytes: number) => void,
 *   progressIntervalMs?: number,
 * }} [options] onProgress: bytes of the archive received so far (sampled every progressIntervalMs, default 250 ms)
 * @returns {Promise<InstallResult>}
 */
export async function installElectronRuntime(options = {}) {
  const env = options.env ?? process.env;
  const packageDir = options.packageDir ?? defaultElectronPackageDir;
  const installer = path.join(packageDir, 'install.js');
  if (!existsSync(installer)) {
    return { ok: false, code: 'failed', reason: `${installer} is missing (run npm ci first)` };
  }
  // A private temporary folder for the installer, so its download can be measured (it has no
  // progress output of its own for the first 30 s, and none at all without a terminal).
  const tempRoot = mkdtempSync(path.join(os.tmpdir(), 'mai-electron-install-'));
  const started = Date.now();
  let bytes = null;
  const timer = setInterval(() => {
    const now = downloadedBytes(tempRoot);
    if (now !== null && now !== bytes) {
      bytes = now;
      options.onProgress?.(now);
    }
  }, options.progressIntervalMs ?? 250);
  try {
    const { code, stderr } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [installer], {
        cwd: packageDir,
        env: { ...env, TMPDIR: tempRoot, TMP: tempRoot, TEMP: tempRoot },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      let captured = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        captured += chunk;
      });
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, stderr: captured }));
    });
    if (code === 0) return { ok: true, bytes, seconds: (Date.now() - started) / 1000 };
    return { ok: false, ...explainInstallFailure(stderr) };
  } catch (error) {
    return { ok: false, code: 'failed', reason: `the installer could not start (${/** @type {Error} */ (error).message})` };
  } finally {
    clearInterval(timer);
    rmSync(tempRoot, { recursive: true, force: true });
  }
}
