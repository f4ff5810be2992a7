// `npm start` after the build: make sure Electron's runtime is installed (downloading it once with
// Electron's own installer when it is missing), then run `electron .` on this folder with the
// arguments given after `npm start --`. When the runtime cannot be had, say why in one sentence,
// point at the browser version and exit non-zero.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { appRoot, electronDownloadBase, electronVersion, findElectronRuntime, installElectronRuntime } from './electron-runtime.mjs';

const WEB_HINT = 'meanwhile `npm run start:web` runs Mai in your browser';
const megabytes = (/** @type {number} */ bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** @param {string} sentence */
function fail(sentence) {
  console.error(sentence);
  process.exit(1);
}

async function ensureRuntime() {
  const found = findElectronRuntime();
  if (found) return found;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    fail(
      `ELECTRON_OVERRIDE_DIST_PATH (${process.env.ELECTRON_OVERRIDE_DIST_PATH}) holds no Electron executable: point it at an unpacked Electron folder or unset it to download the runtime — ${WEB_HINT}.`,
    );
  }
  const version = electronVersion();
  if (!version) fail(`The electron package is missing from node_modules: run \`npm ci\` first — ${WEB_HINT}.`);
  const base = electronDownloadBase(process.env);
  console.error(
    `Mai needs Electron ${version}'s runtime for ${process.platform}-${process.arch} (about 100 MB, once); downloading it with Electron's installer from ${base}…`,
  );
  const tty = process.stderr.isTTY === true;
  const result = await installElectronRuntime({
    onProgress: (bytes) => {
      if (tty) process.stderr.write(`\r  received ${megabytes(bytes)}   `);
    },
  });
  if (tty) process.stderr.write('\n');
  if (!result.ok) {
    const advice =
      result.code === 'node-too-old'
        ? 'install Node 22.12 or newer'
        : 'check the network or proxy (HTTPS_PROXY with ELECTRON_GET_USE_PROXY=1) or set ELECTRON_MIRROR, then run npm start again';
    fail(`Electron's runtime could not be installed from ${base}: ${result.reason}; ${advice} — ${WEB_HINT}.`);
  }
  const installed = findElectronRuntime();
  if (!installed) fail(`Electron's installer finished but left no runtime in node_modules/electron/dist — ${WEB_HINT}.`);
  console.error(`Electron ${version} is installed${result.bytes ? ` (${megabytes(result.bytes)} in ${result.seconds.toFixed(1)} s)` : ''}; starting Mai.`);
  return installed;
}

const executable = await ensureRuntime();
// An inherited ELECTRON_RUN_AS_NODE would make Electron run `.` as a plain Node script, not the app.
const { ELECTRON_RUN_AS_NODE: _ignored, ...env } = process.env;
const child = spawn(executable, ['.', ...process.argv.slice(2)], { cwd: appRoot, env, stdio: 'inherit' });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => fail(`Electron could not be started (${error.message}) — ${WEB_HINT}.`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
