// A deliberately insecure Electron window: the control for build/electronegativity.mjs --self-test.
// Never imported by Mai; the gate must fail it (nodeIntegration on, which also leaves it
// unsandboxed, no context isolation, and openExternal on whatever URL a page asks for).
import { BrowserWindow, shell } from 'electron';

export function createInsecureWindow() {
  const win = new BrowserWindow({
    webPreferences: { nodeIntegration: true, contextIsolation: false },
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  return win;
}
