// `npm start` after the build: launch Electron on this folder, or say in one sentence why it cannot.
import { spawn } from 'node:child_process';
import { findElectronRuntime } from './electron-runtime.mjs';

const electronPath = findElectronRuntime();
if (!electronPath) {
  console.error(
    'No Electron runtime is installed (npm skipped its download, e.g. with ELECTRON_SKIP_BINARY_DOWNLOAD=1): run `npx install-electron` where the network allows it or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron folder — meanwhile `npm run start:web` runs Mai in your browser.',
  );
  process.exit(1);
}
const child = spawn(electronPath, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
