/**
 * The main window's hardening against a stand-in for Electron's API (./fake-electron: the Electron
 * runtime cannot be installed here). What is checked is what Mai asks of Electron: the window's
 * web preferences, its navigation and new-window handlers, the session's permission and CSP
 * handlers, and the confirmed path to the system browser.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow as RealBrowserWindow, Session } from 'electron';
import { dialogState, FakeSession, FakeWebContents, shellState, type BrowserWindow } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const { confirmExternal, createMainWindow, hardenSession, pickGgufFile, refuseWebviews } = await import('../../../electron/main/electron/window');

const appUrl = 'file:///opt/mai/renderer/index.html';
const isTrustedUrl = (url: string) => url.split(/[?#]/)[0] === appUrl;
/** Lets the dialog → openExternal chain that the handlers start (without awaiting) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  dialogState.messageBoxes.length = 0;
  dialogState.nextResponse = 1;
  shellState.opened.length = 0;
});

function newWindow() {
  const win = createMainWindow('/opt/mai/preload/index.cjs', isTrustedUrl) as unknown as BrowserWindow;
  return { win, contents: win.webContents };
}

describe('the main window', () => {
  it('is created isolated, sandboxed, without Node, with web security and without webviews', () => {
    const { win } = newWindow();
    expect(win.options.show).toBe(false);
    expect(win.options.webPreferences).toEqual({
      preload: '/opt/mai/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
  });

  it('never navigates away from its own page', () => {
    const { contents } = newWindow();
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'file:///opt/mai/renderer/other.html',
      'data:text/html,<script>1</script>',
    ]) {
      expect(contents.fire('will-navigate', url), url).toBe(true);
    }
    // Its own page (a reload, a hash change) may load.
    expect(contents.fire('will-navigate', `${appUrl}#chat`)).toBe(false);
  });

  it('denies every new window; an http(s) link opens in the browser only after the user confirms', async () => {
    const { win, contents } = newWindow();
    const open = (url: string) => contents.windowOpenHandler?.({ url });

    dialogState.nextResponse = 1; // Cancel
    expect(open('https://example.com/a')).toEqual({ action: 'deny' });
    await settle();
    expect(dialogState.messageBoxes).toHaveLength(1);
    expect(dialogState.messageBoxes[0]?.parent).toBe(win);
    expect(dialogState.messageBoxes[0]?.options.detail).toBe('https://example.com/a');
    expect(shellState.opened).toEqual([]);

    dialogState.nextResponse = 0; // Open in browser
    expect(open('http://example.com/b?q=1')).toEqual({ action: 'deny' });
    await settle();
    expect(shellState.opened).toEqual(['http://example.com/b?q=1']);

    // Anything else is denied without even asking.
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'mailto:a@b.c', 'smb://host/share', 'not a url', 'vbscript:x']) {
      expect(open(url), url).toEqual({ action: 'deny' });
    }
    await settle();
    expect(dialogState.messageBoxes).toHaveLength(2);
    expect(shellState.opened).toEqual(['http://example.com/b?q=1']);
  });

  it('confirmExternal opens the parsed URL, not the raw string', async () => {
    const { win } = newWindow();
    dialogState.nextResponse = 0;
    expect(await confirmExternal(win as unknown as RealBrowserWindow, 'HTTPS://Example.COM/a b')).toBe(true);
    expect(shellState.opened).toEqual(['https://example.com/a%20b']);
    expect(await confirmExternal(win as unknown as RealBrowserWindow, ' javascript:alert(1)')).toBe(false);
  });

  it('refuses any webview a page tries to attach', () => {
    const contents = new FakeWebContents(appUrl);
    refuseWebviews(contents as never);
    expect(contents.fire('will-attach-webview', {}, {})).toBe(true);
  });
});

describe('the session', () => {
  it('denies every permission request and check, and sets the CSP on every response', () => {
    const fake = new FakeSession();
    hardenSession(fake as unknown as Session, "default-src 'none'");
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const callback = vi.fn();
      fake.permissionRequest?.({}, permission, callback, {});
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(fake.permissionCheck?.({}, permission, appUrl, {}), permission).toBe(false);
    }
    let headers: Record<string, string[]> | undefined;
    fake.headersReceived?.({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': ['default-src *'] } }, (response) => {
      headers = response.responseHeaders;
    });
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'none'"] });
  });
});

describe('the model file dialog', () => {
  it('asks for one .gguf file, modal to the window, and returns its path or null', async () => {
    const { win } = newWindow();
    dialogState.openDialogs.length = 0;
    dialogState.nextOpen = { canceled: false, filePaths: ['/home/me/models/qwen.gguf'] };
    expect(await pickGgufFile(win as unknown as RealBrowserWindow)).toBe('/home/me/models/qwen.gguf');
    expect(dialogState.openDialogs[0]?.parent).toBe(win);
    expect(dialogState.openDialogs[0]?.options).toMatchObject({ properties: ['openFile'], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] });
    dialogState.nextOpen = { canceled: true, filePaths: [] };
    expect(await pickGgufFile(win as unknown as RealBrowserWindow)).toBeNull();
    // Without a window (closed to the tray) the dialog still opens, unparented.
    dialogState.nextOpen = { canceled: false, filePaths: ['/tmp/a.gguf'] };
    expect(await pickGgufFile(null)).toBe('/tmp/a.gguf');
    expect(dialogState.openDialogs[2]).toMatchObject({ parent: null, options: { properties: ['openFile'] } });
  });
});
