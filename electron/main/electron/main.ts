/**
 * The Electron main process: one hardened window, the engine in a utility process, IPC validated
 * against the contract. Everything that is not Electron wiring lives in ../core.
 */
import { app, dialog, safeStorage, session, shell, type BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppCore } from '../core/app-core';
import { rendererCsp } from '../web/csp';
import { iconsDir } from './icons';
import { registerIpc } from './ipc';
import { installGracefulQuit } from './quit';
import { rendererPage } from './renderer-page';
import { SafeStorageSecretStore } from './safe-storage-store';
import { resolveModelsDir } from '../core/models-folder';
import { startStatusUi, type StatusUi } from './tray';
import { closeToTrayAction, probeTrayHost } from './tray-host';
import { UtilityProcessLauncher } from './utility-launcher';
import { createMainWindow, hardenSession, pickGgufFile, refuseWebviews } from './window';

const here = path.dirname(fileURLToPath(import.meta.url));
// Loaded with loadURL(pathToFileURL(…)) and checked by file path, not with loadFile (renderer-page.ts).
const renderer = rendererPage(path.join(here, '../renderer/index.html'));
const isTrustedUrl = renderer.isTrustedUrl;

let window: BrowserWindow | null = null;
/** Set once the app is really quitting: the window's close handler then lets it close. */
let quitting = false;
let status: StatusUi | null = null;

function showWindow(): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function createWindow(): BrowserWindow {
  const win = createMainWindow(path.join(here, '../preload/index.cjs'), isTrustedUrl);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(renderer.url);
  return win;
}

app.enableSandbox();
// One Mai at a time: a second launch brings the (possibly hidden) window back.
if (!app.requestSingleInstanceLock()) app.exit(0);
app.on('second-instance', () => showWindow());
app.on('activate', () => showWindow());
// Windows shows no notifications without it (the electron-builder appId).
if (process.platform === 'win32') app.setAppUserModelId('ai.mai.desktop');
app.on('web-contents-created', (_event, contents) => refuseWebviews(contents));

app
  .whenReady()
  .then(async () => {
    hardenSession(session.defaultSession, rendererCsp());

    const core = new AppCore({
      mode: 'electron',
      launcher: new UtilityProcessLauncher(path.join(here, '../engine/index.js')),
      // The saved models folder applies from the start after it was changed (unless MAI_MODELS_DIR says otherwise).
      modelsDir: resolveModelsDir({ userDataDir: app.getPath('userData') }),
      dataDir: app.getPath('userData'),
      conversationsDir: path.join(app.getPath('userData'), 'conversations'),
      settingsFile: path.join(app.getPath('userData'), 'settings.json'),
      // A Hub token set in Settings is encrypted by the OS (safeStorage) before it reaches the disk.
      hubTokenStore: new SafeStorageSecretStore(path.join(app.getPath('userData'), 'hub-token.json'), safeStorage),
      // models:open-dialog: the system's file dialog, modal to the window.
      pickModelFile: () => pickGgufFile(window),
      // trace:reveal: the recorded trace, selected in the system's file manager.
      revealFile: (file) => shell.showItemInFolder(file),
      ...(process.env.MAI_MODEL ? { initialModelPath: path.resolve(process.env.MAI_MODEL) } : {}),
      ...(process.env.MAI_MAX_TOKENS ? { maxTokens: Number(process.env.MAI_MAX_TOKENS) } : {}),
    });
    registerIpc(core, () => window, isTrustedUrl);
    window = createWindow();
    window.on('closed', () => {
      window = null;
    });
    // Close-to-tray: closing the window keeps Mai running in the tray unless the setting says no;
    // minimised instead where no tray would show it (Linux without a StatusNotifierWatcher).
    window.on('close', (event) => {
      if (quitting || !core.settings.closeToTray) return;
      event.preventDefault();
      void (process.platform === 'linux' ? probeTrayHost() : Promise.resolve('unknown' as const)).then((host) => {
        if (!window || window.isDestroyed() || quitting) return;
        if (closeToTrayAction(process.platform, host) === 'hide') window.hide();
        else window.minimize();
      });
    });
    window.on('session-end', () => {
      quitting = true; // Windows log-off sends no before-quit.
    });
    status = startStatusUi({
      core,
      getWindow: () => window,
      showWindow,
      openResourcePanel: () => {
        showWindow();
        core.broadcast('onOpenPanel', { panel: 'resources' });
      },
      quit: () => app.quit(),
      iconsDir: iconsDir({ isPackaged: app.isPackaged, appPath: app.getAppPath(), resourcesPath: process.resourcesPath }),
      testHooks: process.env.MAI_TEST_HOOKS === '1',
    });
    status.trackWindow(window);
    app.on('window-all-closed', () => app.quit());
    // Quitting waits (up to 5 s) for the conversation save, the download list and the engine.
    installGracefulQuit(app, {
      shutdown: () => core.shutdown(),
      onQuitRequested: () => {
        quitting = true;
        window?.hide();
      },
    });
    app.on('will-quit', () => status?.dispose());
    await core.start();
    await status.refresh();
  })
  .catch((error: Error) => {
    dialog.showErrorBox('Mai could not start', error.message);
    app.exit(1);
  });
