/**
 * window.mai over Electron IPC, against a stand-in for ipcMain (./fake-electron: the Electron runtime
 * cannot be installed here): only our window's main frame on our own page is answered, and what it
 * sends still goes through the contract's validation.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppCore } from '../../../electron/main/core/app-core';
import { appContract, EVENT_CHANNEL } from '../../../shared/contract';
import { BrowserWindow, FakeFrame, FakeWebContents, ipcHandlers } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const { registerIpc } = await import('../../../electron/main/electron/ipc');

const appUrl = 'file:///opt/mai/renderer/index.html';
let disposeLast: (() => void) | null = null;
afterEach(() => {
  disposeLast?.();
  disposeLast = null;
});

function setUp() {
  BrowserWindow.nextUrl = appUrl;
  const win = new BrowserWindow({});
  const stop = vi.fn(async () => ({ stopped: true }));
  const sinks: Array<(event: string, payload: unknown) => void> = [];
  // Only what registerIpc touches: the handlers (one of them recording) and the event source.
  const core = {
    handlers: { 'chat:stop': stop },
    subscribe: (sink: (event: string, payload: unknown) => void) => {
      sinks.push(sink);
      return () => sinks.splice(sinks.indexOf(sink), 1);
    },
  } as unknown as AppCore;
  const dispose = registerIpc(
    core,
    () => win as never,
    (url) => url.split(/[?#]/)[0] === appUrl,
  );
  disposeLast = dispose;
  const invoke = (event: unknown, params: unknown) => ipcHandlers.get('chat:stop')?.(event, params);
  return { win, stop, sinks, dispose, invoke };
}

describe('registerIpc', () => {
  it('registers one handler per contract method and answers our main frame through the contract', async () => {
    const { win, stop, dispose, invoke } = setUp();
    expect([...ipcHandlers.keys()].sort()).toEqual(Object.keys(appContract.methods).sort());
    expect(await invoke({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, {})).toEqual({ ok: true, value: { stopped: true } });
    expect(stop).toHaveBeenCalledTimes(1);
    // The payload is still validated: a wrong shape never reaches the handler.
    const refused = (await invoke({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, 'not an object')) as {
      ok: boolean;
      error: { code: string };
    };
    expect(refused.ok).toBe(false);
    expect(refused.error.code).toBe('bad-request');
    expect(stop).toHaveBeenCalledTimes(1);
    dispose();
    disposeLast = null;
    expect(ipcHandlers.size).toBe(0);
  });

  it('refuses a subframe, another page in our window, and another window', async () => {
    const { win, stop, invoke } = setUp();
    const other = new FakeWebContents(appUrl);
    const senders = {
      'an iframe on our page': { sender: win.webContents, senderFrame: new FakeFrame(appUrl) },
      'our main frame after navigating elsewhere': { sender: win.webContents, senderFrame: win.webContents.mainFrame },
      'another webContents with our URL': { sender: other, senderFrame: other.mainFrame },
      'no frame (it was destroyed)': { sender: win.webContents, senderFrame: null },
    };
    for (const [what, event] of Object.entries(senders)) {
      if (what.startsWith('our main frame')) win.webContents.mainFrame.url = 'https://evil.example/';
      const answer = (await invoke(event, {})) as { ok: boolean; error?: { code: string; message: string } };
      expect(answer.ok, what).toBe(false);
      expect(answer.error, what).toMatchObject({ code: 'bad-request', message: expect.stringContaining('not from the Mai window') });
      win.webContents.mainFrame.url = appUrl;
    }
    expect(stop).not.toHaveBeenCalled();
  });

  it('sends app events to the window only, on the event channel', () => {
    const { win, sinks } = setUp();
    sinks.forEach((sink) => sink('onNotice', { level: 'info', message: 'hi' }));
    expect(win.webContents.sent).toEqual([[EVENT_CHANNEL, 'onNotice', { level: 'info', message: 'hi' }]]);
    win.destroyed = true;
    sinks.forEach((sink) => sink('onNotice', { level: 'info', message: 'after close' }));
    expect(win.webContents.sent).toHaveLength(1);
  });
});
