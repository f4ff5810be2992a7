// `npm start` after the build: launch Electron on this folder, or say in one sentence why it cannot.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath;
try {
  electronPath = require('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath !== 'string' || !existsSync(electronPath)) {
  console.error(
    'No Electron runtime is installed (npm skipped its download, e.g. with ELECTRON_SKIP_BINARY_DOWNLOAD=1): run `node node_modules/electron/install.js` where the network allows it or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron folder — meanwhile `npm run start:web` runs Mai in your browser.',
  );
  process.exit(1);
}
const child = spawn(electronPath, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
