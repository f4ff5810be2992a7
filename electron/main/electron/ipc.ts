/**
 * window.mai over Electron IPC. Every handler checks that the sender is our own window's main frame
 * and validates the payload with the contract's schemas (the same `dispatch` as the web host).
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { appContract, EVENT_CHANNEL } from '../../../shared/contract';
import { dispatch } from '../../../shared/rpc';
import type { AppCore } from '../core/app-core';

export function registerIpc(core: AppCore, getWindow: () => BrowserWindow | null, isTrustedUrl: (url: string) => boolean): () => void {
  const channels = Object.keys(appContract.methods);
  const trusted = (event: IpcMainInvokeEvent) => {
    const window = getWindow();
    const frame = event.senderFrame;
    return !!window && event.sender === window.webContents && !!frame && frame === window.webContents.mainFrame && isTrustedUrl(frame.url);
  };
  for (const channel of channels) {
    ipcMain.handle(channel, (event, params: unknown) => {
      if (!trusted(event)) return { ok: false, error: { name: 'MaiError', code: 'bad-request', message: 'Refused: not from the Mai window.' } };
      return dispatch(appContract, core.handlers, channel, params);
    });
  }
  const unsubscribe = core.subscribe((event, payload) => {
    const window = getWindow();
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event, payload);
  });
  return () => {
    unsubscribe();
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
