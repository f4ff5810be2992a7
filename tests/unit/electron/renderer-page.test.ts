/**
 * The IPC trust check for install paths that need escaping in a URL (electron/main/electron/renderer-page.ts).
 * The URL Electron's `loadFile` would build is computed as its lib/browser/api/web-contents.ts does
 * (`url.format({ protocol: 'file', slashes: true, pathname })`); what the frame reports back is
 * Chromium's canonical form, approximated here by the WHATWG URL parser (the same escaping rules
 * for these characters) plus the variations Chromium's canonicaliser may add (escape case,
 * unescaped unreserved characters).
 */
import path from 'node:path';
import url, { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppCore } from '../../../electron/main/core/app-core';
import { rendererPage } from '../../../electron/main/electron/renderer-page';
import type { FakeWebContents } from './fake-electron';
import { BrowserWindow, ipcHandlers } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));
const { registerIpc } = await import('../../../electron/main/electron/ipc');

const installDir = '/home/ana/Apps/Mai 50% [beta]^|build';
const index = path.join(installDir, 'resources/app.asar/dist/renderer/index.html');
const canonical = (href: string) => new URL(href).href;

describe('rendererPage: the IPC trust check', () => {
  it('the URL loadFile builds for such a path was refused by the old check (the bug), and cannot even be decoded back', () => {
    const loadFileUrl = canonical(url.format({ protocol: 'file', slashes: true, pathname: index }));
    expect(loadFileUrl).not.toBe(pathToFileURL(index).href);
    expect(() => url.fileURLToPath(loadFileUrl)).toThrow();
  });

  it('accepts the page Mai loads, as Chromium reports it back, with a query or fragment', () => {
    const page = rendererPage(index);
    expect(page.url).toBe(pathToFileURL(index).href);
    const reported = canonical(page.url);
    const variants = [
      reported,
      `${reported}?panel=resources`,
      `${reported}#/settings`,
      reported.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
      reported.replace('Apps', '%41pps'),
    ];
    for (const variant of variants) expect(page.isTrustedUrl(variant), variant).toBe(true);
  });

  it('refuses another file, another folder, another host and another origin', () => {
    const page = rendererPage(index);
    const reported = canonical(page.url);
    const refused = [
      reported.replace('index.html', 'other.html'),
      reported.replace('index.html', 'index.html.evil'),
      reported.replace('/renderer/', '/renderer-evil/'),
      reported.replace('/renderer/index.html', '%2Frenderer%2Findex.html'),
      reported.replace('file:///', 'file://fileserver/'),
      pathToFileURL('/tmp/index.html').href,
      `http://127.0.0.1:8080${new URL(reported).pathname}`,
      `https://evil.example${new URL(reported).pathname}`,
      'about:blank',
      'data:text/html,<script>1</script>',
      'not a url',
      '',
    ];
    for (const candidate of refused) expect(page.isTrustedUrl(candidate), candidate).toBe(false);
  });
});

describe('registerIpc with that check', () => {
  afterEach(() => {
    for (const channel of [...ipcHandlers.keys()]) ipcHandlers.delete(channel);
  });

  it('answers the window whose page lies under such an install path, and refuses another page', async () => {
    const page = rendererPage(index);
    BrowserWindow.nextUrl = canonical(page.url);
    const win = new BrowserWindow({});
    const stop = vi.fn(async () => ({ stopped: true }));
    const core = { handlers: { 'chat:stop': stop }, subscribe: () => () => {} } as unknown as AppCore;
    registerIpc(core, () => win as never, page.isTrustedUrl);
    const invoke = (sender: FakeWebContents) => ipcHandlers.get('chat:stop')?.({ sender, senderFrame: sender.mainFrame }, {});
    expect(await invoke(win.webContents)).toEqual({ ok: true, value: { stopped: true } });
    win.webContents.mainFrame.url = canonical(page.url).replace('index.html', 'other.html');
    expect(await invoke(win.webContents)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(stop).toHaveBeenCalledTimes(1);
  });
});
