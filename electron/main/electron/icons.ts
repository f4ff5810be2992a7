/**
 * Where Mai's icons are and which tray variant suits the panel. No Electron import here (main.ts and
 * tray.ts pass in what they read from `app`, `process` and `nativeTheme`), so tests can load it.
 *
 * Development: `<app path>/build/icons` (the repository; `electron .` makes it the app path).
 * Packaged: `<process.resourcesPath>/icons`, which electron-builder fills with
 * `extraResources: [{ from: 'build/icons/tray', to: 'icons/tray' }]`.
 */
import path from 'node:path';
import type { TrayState, TrayTheme } from '../core/status/tray-model';

export interface IconLocation {
  /** `app.isPackaged`. */
  isPackaged: boolean;
  /** `app.getAppPath()`. */
  appPath: string;
  /** `process.resourcesPath` (undefined outside Electron). */
  resourcesPath: string | undefined;
}

/** The folder that holds `tray/`. */
export function iconsDir(location: IconLocation): string {
  if (location.isPackaged && location.resourcesPath) return path.join(location.resourcesPath, 'icons');
  return path.join(location.appPath, 'build', 'icons');
}

/**
 * The 16 px icon of a state for a panel theme; its 32 px `@2x` sibling lies beside it, and
 * nativeImage.createFromPath picks it on HiDPI screens by itself.
 */
export function trayIconPath(dir: string, state: TrayState, theme: TrayTheme): string {
  return path.join(dir, 'tray', `tray-${state}-${theme}.png`);
}

/** Which file a tray image comes from, and whether it is a macOS template image. */
export interface TrayIconVariant {
  theme: TrayTheme;
  /** `nativeImage.setTemplateImage(true)`: macOS draws only its alpha, in the menu bar's own colour. */
  template: boolean;
}

/**
 * macOS menu-bar icons are template images (Apple's Human Interface Guidelines; Electron's
 * `nativeImage` "Template Image" section): the system recolours them for light and dark menu bars,
 * the selected state and the accent colour, so one variant serves every bar — the light-panel file
 * (dark glyph). The states differ by shape (dot, triangle, faded bubble with a badge), so they read
 * in a single colour. Other systems show the coloured variant for the panel's theme.
 */
export function trayIconVariant(platform: NodeJS.Platform, theme: TrayTheme): TrayIconVariant {
  return platform === 'darwin' ? { theme: 'light', template: true } : { theme, template: false };
}

export interface ThemeSignals {
  platform: NodeJS.Platform;
  /** `nativeTheme.shouldUseDarkColors`. */
  shouldUseDarkColors: boolean;
  /** `nativeTheme.shouldUseDarkColorsForSystemIntegratedUI` (Windows: the taskbar's own theme). */
  shouldUseDarkColorsForSystemIntegratedUI?: boolean;
  /** `MAI_TRAY_THEME`: `light` or `dark` forces the variant (panels that ignore the system theme). */
  override?: string | undefined;
}

/**
 * `dark` = a dark panel (light glyph), `light` = a light panel (dark glyph). On Windows the taskbar
 * follows the system theme, which may differ from the apps' theme; elsewhere the app theme is the
 * best signal Electron gives.
 */
export function trayThemeFor(signals: ThemeSignals): TrayTheme {
  if (signals.override === 'light' || signals.override === 'dark') return signals.override;
  if (signals.platform === 'win32' && signals.shouldUseDarkColorsForSystemIntegratedUI !== undefined) {
    return signals.shouldUseDarkColorsForSystemIntegratedUI ? 'dark' : 'light';
  }
  return signals.shouldUseDarkColors ? 'dark' : 'light';
}
