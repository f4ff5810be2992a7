/**
 * A recording stand-in for the parts of Electron's main-process API that Mai's wiring uses, for
 * `vi.mock('electron', …)`. The Electron runtime cannot be installed here (its npm package
 * downloads the binary from GitHub, which this machine cannot reach), so these tests check what
 * Mai asks of Electron; tests/e2e/electron*.spec.ts check the real thing where a runtime exists.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';

export class FakeFrame {
  constructor(public url: string) {}
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  readonly mainFrame: FakeFrame;
  readonly sent: unknown[][] = [];
  constructor(url: string) {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  /** Emits `name` with an Electron-like event whose preventDefault is recorded; returns whether it was prevented. */
  fire(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly created: BrowserWindow[] = [];
  static nextUrl = 'file:///app/renderer/index.html';
  readonly webContents: FakeWebContents;
  destroyed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    this.webContents = new FakeWebContents(BrowserWindow.nextUrl);
    BrowserWindow.created.push(this);
  }
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.created.filter((w) => !w.destroyed);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** What the dialogs were asked and what they answer next. */
export const dialogState = {
  messageBoxes: [] as Array<{ parent: unknown; options: Record<string, unknown> }>,
  openDialogs: [] as Array<{ parent: unknown; options: Record<string, unknown> }>,
  /** The button the user presses in the next message box. */
  nextResponse: 1,
  nextOpen: { canceled: true, filePaths: [] as string[] },
};

export const dialog = {
  async showMessageBox(parent: unknown, options: Record<string, unknown>) {
    dialogState.messageBoxes.push({ parent, options });
    return { response: dialogState.nextResponse, checkboxChecked: false };
  },
  /** Like Electron's: (window, options) or (options) alone. */
  async showOpenDialog(parentOrOptions: unknown, maybeOptions?: Record<string, unknown>) {
    const [parent, options] = maybeOptions === undefined ? [null, parentOrOptions as Record<string, unknown>] : [parentOrOptions, maybeOptions];
    dialogState.openDialogs.push({ parent, options });
    return dialogState.nextOpen;
  },
  showErrorBox() {},
};

export const shellState = { opened: [] as string[] };
export const shell = {
  async openExternal(url: string) {
    shellState.opened.push(url);
  },
};

export const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
export const ipcMain = {
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
    if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string) {
    ipcHandlers.delete(channel);
  },
};

export interface FakeImage {
  path: string;
  isEmpty(): boolean;
  setTemplateImage(option: boolean): void;
  isTemplateImage(): boolean;
}
export const nativeImage = {
  createFromPath(path: string): FakeImage {
    let template = false;
    return {
      path,
      isEmpty: () => !existsSync(path),
      setTemplateImage: (option) => void (template = option),
      // nativeImage also marks files named `…Template.png` as templates by itself (macOS).
      isTemplateImage: () => template || /Template(@\dx)?\.png$/.test(path),
    };
  },
};

export const nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: false });

interface TemplateItem {
  id?: string;
  type?: string;
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  click?: () => void;
}
export class Menu {
  readonly items: Array<Required<Pick<TemplateItem, 'id' | 'type' | 'label' | 'enabled' | 'checked'>> & { click?: () => void }>;
  constructor(template: TemplateItem[]) {
    // Electron's defaults for what a template leaves out.
    this.items = template.map((t) => ({
      id: t.id ?? '',
      type: t.type ?? 'normal',
      label: t.label ?? '',
      enabled: t.enabled ?? true,
      checked: t.checked ?? false,
      ...(t.click ? { click: t.click } : {}),
    }));
  }
  static buildFromTemplate(template: TemplateItem[]): Menu {
    return new Menu(template);
  }
  getMenuItemById(id: string) {
    return this.items.find((item) => item.id === id) ?? null;
  }
}

export class Tray extends EventEmitter {
  static readonly created: Tray[] = [];
  image: FakeImage;
  toolTip = '';
  contextMenu: Menu | null = null;
  destroyed = false;
  constructor(image: FakeImage) {
    super();
    this.image = image;
    Tray.created.push(this);
  }
  setImage(image: FakeImage): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.toolTip = text;
  }
  setContextMenu(menu: Menu): void {
    this.contextMenu = menu;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class Notification extends EventEmitter {
  static supported = true;
  static readonly created: Notification[] = [];
  shown = false;
  constructor(readonly options: { title: string; body: string; urgency?: string; silent?: boolean; icon?: string }) {
    super();
    Notification.created.push(this);
  }
  static isSupported(): boolean {
    return Notification.supported;
  }
  show(): void {
    this.shown = true;
    this.emit('show');
  }
}

/** A session whose handlers can be called as Chromium would. */
export class FakeSession {
  permissionRequest: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null = null;
  permissionCheck: ((contents: unknown, permission: string, origin: string, details: unknown) => boolean) | null = null;
  headersReceived:
    ((details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void) | null =
    null;
  setPermissionRequestHandler(handler: FakeSession['permissionRequest']): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheck']): void {
    this.permissionCheck = handler;
  }
  readonly webRequest = {
    onHeadersReceived: (handler: FakeSession['headersReceived']) => {
      this.headersReceived = handler;
    },
  };
}

export const session = { defaultSession: new FakeSession() };
/**
 * Electron's quit sequence as docs/api/app.md describes it: `quit()` emits `before-quit` (which
 * `preventDefault()` cancels), closes the windows, emits `will-quit` (also cancellable) and `quit`,
 * then the process ends; `exit()` ends it at once without those events. "Ends" is recorded in
 * `exitCode` and announced by `exited` listeners, which run synchronously at that instant (what is
 * on disk then is what a real process would leave behind).
 */
export class FakeApp extends EventEmitter {
  exitCode: number | null = null;
  /** How many times `quit()` was called. */
  quitCalls = 0;
  quit(): void {
    this.quitCalls += 1;
    if (this.exitCode !== null) return;
    if (this.fire('before-quit')) return;
    for (const window of BrowserWindow.getAllWindows()) window.destroyed = true;
    if (this.fire('will-quit')) return;
    this.emit('quit', {}, 0);
    this.end(0);
  }
  exit(code = 0): void {
    if (this.exitCode === null) this.end(code);
  }
  private fire(name: string): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) });
    return prevented;
  }
  private end(code: number): void {
    this.exitCode = code;
    this.emit('exited', code);
  }
}
export const app = new FakeApp();
export const utilityProcess = {};
