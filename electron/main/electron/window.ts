/**
 * The main window's hardening, apart from main.ts so that it can be tested without starting the
 * app: the web preferences, what the window may navigate to or open, the session's permission and
 * CSP handlers, and the confirmed path to the system browser.
 */
import { BrowserWindow, dialog, shell, type OpenDialogOptions, type Session, type WebContents } from 'electron';

/**
 * The main window: sandboxed, isolated, no Node, web security on, no webview, hardened by
 * `hardenWindow`. Not shown yet (main.ts shows it when ready). The options stay a literal here so
 * that Electronegativity can read them.
 */
export function createMainWindow(preloadPath: string, isTrustedUrl: (url: string) => boolean): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Mai',
    show: false,
    webPreferences: {
      preload: preloadPath,
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
  hardenWindow(win, isTrustedUrl);
  return win;
}

/**
 * Links from model output never open inside Mai: every new window is denied (an http(s) link is
 * offered to the system browser after the user confirms), and the main frame never navigates away
 * from our own page.
 */
export function hardenWindow(win: BrowserWindow, isTrustedUrl: (url: string) => boolean): void {
  const contents: WebContents = win.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    void confirmExternal(win, url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });
}

/**
 * Opens `url` in the system browser if it is http(s) and the user agrees in a dialog.
 * Resolves true when it was opened.
 */
export async function confirmExternal(win: BrowserWindow, url: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your browser?',
    detail: parsed.href,
  });
  if (response !== 0) return false;
  await shell.openExternal(parsed.href);
  return true;
}

/** Denies every permission request and check, and puts `csp` on every response. */
export function hardenSession(session: Session, csp: string): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}

/** Any `<webview>` a page tries to attach is refused (webviewTag is off too; this is the second wall). */
export function refuseWebviews(contents: WebContents): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Asks the user for one GGUF file with the system's open dialog, attached to `parent` when there is
 * a window (modal to it); resolves with its path, or null when the user cancels.
 */
export async function pickGgufFile(parent: BrowserWindow | null): Promise<string | null> {
  const options: OpenDialogOptions = { title: 'Open a GGUF model', properties: ['openFile'], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] };
  const result = parent && !parent.isDestroyed() ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
