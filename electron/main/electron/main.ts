/**
 * The Electron main process: one hardened window, the engine in a utility process, IPC validated
 * against the contract. Everything that is not Electron wiring lives in ../core.
 */
import { app, BrowserWindow, dialog, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppCore } from '../core/app-core';
import { defaultModelsDir } from '../core/paths';
import { rendererCsp } from '../web/csp';
import { iconsDir } from './icons';
import { registerIpc } from './ipc';
import { startStatusUi, type StatusUi } from './tray';
import { UtilityProcessLauncher } from './utility-launcher';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.join(here, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const isTrustedUrl = (url: string) => url.split(/[?#]/)[0] === rendererUrl;

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
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Mai',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links from model output never open inside Mai: http(s) only, and only after the user agrees.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void confirmExternal(win, url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });
  void win.loadFile(rendererIndex);
  return win;
}

async function confirmExternal(win: BrowserWindow, url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your browser?',
    detail: parsed.href,
  });
  if (response === 0) await shell.openExternal(parsed.href);
}

app.enableSandbox();
// One Mai at a time: a second launch brings the (possibly hidden) window back.
if (!app.requestSingleInstanceLock()) app.exit(0);
app.on('second-instance', () => showWindow());
app.on('activate', () => showWindow());
// Windows shows no notifications without it (the electron-builder appId).
if (process.platform === 'win32') app.setAppUserModelId('ai.mai.desktop');
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererCsp()] } });
  });

  const core = new AppCore({
    mode: 'electron',
    launcher: new UtilityProcessLauncher(path.join(here, '../engine/index.js')),
    modelsDir: defaultModelsDir(app.getPath('userData')),
    dataDir: app.getPath('userData'),
    conversationsDir: path.join(app.getPath('userData'), 'conversations'),
    settingsFile: path.join(app.getPath('userData'), 'settings.json'),
    ...(process.env.MAI_MODEL ? { initialModelPath: path.resolve(process.env.MAI_MODEL) } : {}),
    ...(process.env.MAI_MAX_TOKENS ? { maxTokens: Number(process.env.MAI_MAX_TOKENS) } : {}),
  });
  registerIpc(core, () => window, isTrustedUrl);
  window = createWindow();
  window.on('closed', () => {
    window = null;
  });
  // Close-to-tray: closing the window keeps Mai running in the tray unless the setting says no.
  window.on('close', (event) => {
    if (quitting || !core.settings.closeToTray) return;
    event.preventDefault();
    window?.hide();
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
  app.on('before-quit', () => {
    quitting = true;
    void core.shutdown();
  });
  app.on('will-quit', () => status?.dispose());
  await core.start();
  await status.refresh();
}).catch((error: Error) => {
  dialog.showErrorBox('Mai could not start', error.message);
  app.exit(1);
});
