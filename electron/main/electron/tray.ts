/**
 * The tray icon in Electron: `ElectronTrayView` implements core/status's TrayView with Tray, Menu
 * and nativeImage (what to show is decided by TrayPresenter), and `startStatusUi` wires the tray
 * and native notifications to AppCore in one call for main.ts. Use after `app` is ready.
 */
import { Menu, nativeImage, nativeTheme, Notification, Tray, type BrowserWindow, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { AppCore } from '../core/app-core';
import { StatusController, type StatusCore, type WindowControl } from '../core/status/status-controller';
import { installStatusTestHook, overlayBytesFor } from '../core/status/test-hook';
import type { MenuActionId, MenuItemModel, TrayState, TrayTheme, TrayView } from '../core/status/tray-model';
import { trayIconPath, trayIconVariant, trayThemeFor } from './icons';
import { ElectronNotifier } from './notifications';

export interface ElectronTrayOptions {
  /** The folder holding `tray/` (icons.ts `iconsDir`). */
  iconsDir: string;
  /** A menu entry was clicked. */
  onAction: (id: MenuActionId) => void;
  /** The icon itself was clicked (Windows; Linux AppIndicator and macOS open the menu instead). */
  onClick?: () => void;
  log?: (message: string) => void;
  /** Default `process.platform` (macOS gets template images). */
  platform?: NodeJS.Platform;
}

/** What the tray shows, read back from Electron's own objects (the e2e test hook). */
export interface NativeTrayDescription {
  destroyed: boolean;
  iconPath: string | null;
  toolTip: string;
  menu: Array<{ id: string; type: string; label: string; enabled: boolean; checked: boolean }>;
}

function toTemplate(item: MenuItemModel, onAction: (id: MenuActionId) => void): MenuItemConstructorOptions {
  switch (item.type) {
    case 'separator':
      return { id: item.id, type: 'separator' };
    case 'label':
      return { id: item.id, label: item.label, enabled: false };
    case 'checkbox':
      return { id: item.id, type: 'checkbox', label: item.label, checked: item.checked, enabled: item.enabled, click: () => onAction(item.id) };
    case 'normal':
      return { id: item.id, label: item.label, enabled: item.enabled, click: () => onAction(item.id) };
    default:
      item satisfies never;
      return {};
  }
}

export class ElectronTrayView implements TrayView {
  private readonly tray: Tray;
  private menu: Menu | null = null;
  private readonly images = new Map<string, NativeImage>();
  private iconPath: string | null = null;
  private toolTip = '';
  private readonly log: (message: string) => void;

  constructor(private readonly options: ElectronTrayOptions) {
    this.log = options.log ?? ((message) => console.warn(`[mai] ${message}`));
    this.tray = new Tray(this.image('steady', currentTrayTheme()));
    this.tray.on('click', () => options.onClick?.());
  }

  setIcon(state: TrayState, theme: TrayTheme): void {
    if (this.tray.isDestroyed()) return;
    this.tray.setImage(this.image(state, theme));
    this.iconPath = trayIconPath(this.options.iconsDir, state, this.variant(theme).theme);
  }

  setToolTip(text: string): void {
    if (this.tray.isDestroyed()) return;
    this.tray.setToolTip(text);
    this.toolTip = text;
  }

  setMenu(items: MenuItemModel[]): void {
    if (this.tray.isDestroyed()) return;
    // Linux (AppIndicator) only takes a menu through setContextMenu: build it anew every time.
    this.menu = Menu.buildFromTemplate(items.map((item) => toTemplate(item, this.options.onAction)));
    this.tray.setContextMenu(this.menu);
  }

  /** Clicks a menu entry the way the user would (the e2e test hook). */
  click(id: MenuActionId): boolean {
    const item = this.menu?.getMenuItemById(id);
    if (!item || !item.enabled) return false;
    (item.click as () => void)();
    return true;
  }

  describe(): NativeTrayDescription {
    return {
      destroyed: this.tray.isDestroyed(),
      iconPath: this.iconPath,
      toolTip: this.toolTip,
      menu: (this.menu?.items ?? []).map((item) => ({ id: item.id, type: item.type, label: item.label, enabled: item.enabled, checked: item.checked })),
    };
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private variant(theme: TrayTheme) {
    return trayIconVariant(this.options.platform ?? process.platform, theme);
  }

  private image(state: TrayState, theme: TrayTheme): NativeImage {
    const variant = this.variant(theme);
    const file = trayIconPath(this.options.iconsDir, state, variant.theme);
    let image = this.images.get(file);
    if (!image) {
      image = nativeImage.createFromPath(file);
      if (image.isEmpty()) this.log(`tray icon missing or unreadable: ${file}`);
      else if (variant.template) image.setTemplateImage(true);
      this.images.set(file, image);
    }
    return image;
  }
}

/** The tray variant for the panel now (`MAI_TRAY_THEME=light|dark` overrides). */
export function currentTrayTheme(): TrayTheme {
  return trayThemeFor({
    platform: process.platform,
    shouldUseDarkColors: nativeTheme.shouldUseDarkColors,
    shouldUseDarkColorsForSystemIntegratedUI: nativeTheme.shouldUseDarkColorsForSystemIntegratedUI,
    override: process.env.MAI_TRAY_THEME,
  });
}

/** Calls `listener` with the tray variant whenever the system theme changes; returns the unsubscribe. */
export function watchTrayTheme(listener: (theme: TrayTheme) => void): () => void {
  const onUpdated = () => listener(currentTrayTheme());
  nativeTheme.on('updated', onUpdated);
  return () => nativeTheme.off('updated', onUpdated);
}

/** The main window's handle for the tray (main.ts passes `() => window`). */
function windowControl(getWindow: () => BrowserWindow | null, showWindow: () => void): WindowControl {
  const live = () => {
    const win = getWindow();
    return win && !win.isDestroyed() ? win : null;
  };
  return {
    isShown: () => {
      const win = live();
      return !!win && win.isVisible() && !win.isMinimized();
    },
    isFocused: () => live()?.isFocused() ?? false,
    show: showWindow,
    hide: () => live()?.hide(),
  };
}

export interface StatusUiOptions {
  core: StatusCore & { engine: Pick<AppCore['engine'], 'call'> };
  getWindow: () => BrowserWindow | null;
  /** Shows, restores and focuses the window. */
  showWindow: () => void;
  /** Shows the window on the resource panel. */
  openResourcePanel: () => void;
  quit: () => void;
  /** icons.ts `iconsDir(…)`. */
  iconsDir: string;
  /** The app icon for notifications (Linux, Windows); default the system's. */
  notificationIconPath?: string;
  /** Installs `globalThis.__maiStatus` for the e2e spec (main.ts: MAI_TEST_HOOKS=1). */
  testHooks?: boolean;
  log?: (message: string) => void;
}

export interface StatusUi {
  readonly controller: StatusController;
  readonly trayView: ElectronTrayView;
  readonly notifier: ElectronNotifier;
  /** Follows a window's show/hide/minimise/restore for the menu's Show/Hide entry. */
  trackWindow(win: BrowserWindow): void;
  /** Seeds the tray from `app:get-state`; call after `core.start()`. */
  refresh(): Promise<void>;
  /** Removes the tray icon and every listener. */
  dispose(): void;
}

/**
 * The tray icon and native notifications, wired to AppCore. Call once `app` is ready.
 */
export function startStatusUi(options: StatusUiOptions): StatusUi {
  const log = options.log ?? ((message: string) => console.warn(`[mai] ${message}`));
  const window = windowControl(options.getWindow, options.showWindow);
  let controller: StatusController | null = null;
  const trayView = new ElectronTrayView({
    iconsDir: options.iconsDir,
    onAction: (id) => void controller?.presenter.activate(id),
    // Windows: a left click on the icon shows or hides the window, as users expect.
    onClick: () => void controller?.presenter.activate('toggle-window'),
    log,
  });
  const notifier = new ElectronNotifier({
    onClick: options.showWindow,
    ...(options.notificationIconPath ? { iconPath: options.notificationIconPath } : {}),
    log,
  });
  controller = new StatusController({
    core: options.core,
    trayView,
    notifier,
    window,
    openResourcePanel: options.openResourcePanel,
    quit: options.quit,
    theme: currentTrayTheme(),
    log,
  });
  const ready = controller;
  const offs: Array<() => void> = [watchTrayTheme((theme) => ready.setTheme(theme)), () => ready.dispose()];
  if (options.testHooks) {
    offs.push(
      installStatusTestHook({
        tray: () => ({ picture: ready.presenter.picture, native: trayView.describe() }),
        notifications: () => ({ decided: [...ready.policy.shown], native: [...notifier.sent], supported: Notification.isSupported() }),
        clickMenu: (id) => trayView.click(id),
        pushMemoryTo: async (fraction) => {
          const snapshot = ready.presenter.state.snapshot;
          if (!snapshot) throw new Error('No resource sample yet.');
          await options.core.engine.call('resource:overlay', { extraOtherMemBytes: overlayBytesFor(fraction, snapshot.sample) });
        },
      }),
    );
  }
  const tracked = new WeakSet<BrowserWindow>();
  return {
    controller: ready,
    trayView,
    notifier,
    trackWindow(win) {
      if (tracked.has(win)) return;
      tracked.add(win);
      const changed = () => ready.windowChanged();
      win.on('show', changed);
      win.on('hide', changed);
      win.on('minimize', changed);
      win.on('restore', changed);
      win.on('closed', changed);
      changed();
    },
    refresh: () => ready.refresh(),
    dispose() {
      for (const off of offs.splice(0).reverse()) off();
      trayView.destroy();
    },
  };
}
