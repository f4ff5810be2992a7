/** The committed tray icons: one valid PNG per state × theme × scale, up to date with the generator, and where icons.ts looks. */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePng, drawTrayIcon, PNG_SIGNATURE, staleTrayIcons, trayIconDir } from '../../../build/icons/generate-tray-icons.mjs';
import { trayStates, trayThemes } from '../../../electron/main/core/status/tray-model';
import { iconsDir, trayIconPath, trayThemeFor } from '../../../electron/main/electron/icons';

const repoDir = fileURLToPath(new URL('../../..', import.meta.url));
const devDir = iconsDir({ isPackaged: false, appPath: repoDir, resourcesPath: undefined });
const at2x = (file: string) => file.replace(/\.png$/, '@2x.png');

describe('tray icon files', () => {
  const cases = trayStates.flatMap((state) => trayThemes.flatMap((theme) => [[state, theme, 1] as const, [state, theme, 2] as const]));

  it.each(cases)('%s / %s @%ix is a valid RGBA PNG of the right size', (state, theme, scale) => {
    const base = trayIconPath(devDir, state, theme);
    const file = scale === 2 ? at2x(base) : base;
    expect(existsSync(file), file).toBe(true);
    const bytes = readFileSync(file);
    // Signature, then IHDR first with the size, 8-bit RGBA.
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
    expect(bytes.readUInt32BE(16)).toBe(16 * scale);
    expect(bytes.readUInt32BE(20)).toBe(16 * scale);
    expect([bytes[24], bytes[25]]).toEqual([8, 6]);
    // The whole file parses (CRCs, IDAT, IEND) and is not blank.
    const { width, height, pixels } = decodePng(bytes);
    expect([width, height]).toEqual([16 * scale, 16 * scale]);
    const visible = pixels.filter((_, i) => i % 4 === 3 && pixels[i]! > 64).length;
    expect(visible).toBeGreaterThan(width * height * 0.2);
    expect(bytes.length).toBeLessThan(2048);
  });

  it('are what the generator draws now (run node build/icons/generate-tray-icons.mjs after changing it)', () => {
    expect(staleTrayIcons()).toEqual([]);
  });

  it('icons.ts looks in the folder the generator writes to, in development', () => {
    expect(path.dirname(trayIconPath(devDir, 'steady', 'light'))).toBe(trayIconDir);
  });

  it('every state looks different, and each theme differs from the other', () => {
    const drawn = new Set<string>();
    for (const state of trayStates) for (const theme of trayThemes) drawn.add(Buffer.from(drawTrayIcon(state, theme, 16)).toString('base64'));
    expect(drawn.size).toBe(trayStates.length * trayThemes.length);
  });

  it('glyphs contrast with their panel: dark glyph for light panels, light glyph for dark panels', () => {
    const meanLuma = (pixels: Uint8Array) => {
      let sum = 0;
      let weight = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const a = pixels[i + 3]! / 255;
        sum += a * (0.2126 * pixels[i]! + 0.7152 * pixels[i + 1]! + 0.0722 * pixels[i + 2]!);
        weight += a;
      }
      return sum / weight;
    };
    expect(meanLuma(drawTrayIcon('steady', 'light', 32))).toBeLessThan(80);
    expect(meanLuma(drawTrayIcon('steady', 'dark', 32))).toBeGreaterThan(200);
  });

  it('the generator refuses a broken PNG with a sentence', () => {
    const good = readFileSync(trayIconPath(devDir, 'down', 'dark'));
    const broken = Buffer.from(good);
    broken[30] = broken[30]! ^ 0xff;
    expect(() => decodePng(broken)).toThrow(/bad CRC in IHDR/);
    expect(() => decodePng(Buffer.from('GIF89a'))).toThrow(/bad signature/);
  });
});

describe('icons.ts', () => {
  it('packaged builds read from process.resourcesPath', () => {
    expect(iconsDir({ isPackaged: true, appPath: '/opt/Mai/resources/app.asar', resourcesPath: '/opt/Mai/resources' })).toBe(
      path.join('/opt/Mai/resources', 'icons'),
    );
    expect(trayIconPath(path.join('/opt/Mai/resources', 'icons'), 'pressure', 'dark')).toBe(
      path.join('/opt/Mai/resources', 'icons', 'tray', 'tray-pressure-dark.png'),
    );
  });

  it('development reads from build/icons under the app path', () => {
    expect(iconsDir({ isPackaged: false, appPath: '/src/mai', resourcesPath: '/usr/lib/electron/resources' })).toBe(path.join('/src/mai', 'build', 'icons'));
  });

  it('picks the variant from the theme, the Windows taskbar theme, or MAI_TRAY_THEME', () => {
    expect(trayThemeFor({ platform: 'linux', shouldUseDarkColors: true })).toBe('dark');
    expect(trayThemeFor({ platform: 'darwin', shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: true })).toBe('light');
    expect(trayThemeFor({ platform: 'win32', shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: true })).toBe('dark');
    expect(trayThemeFor({ platform: 'linux', shouldUseDarkColors: false, override: 'dark' })).toBe('dark');
    expect(trayThemeFor({ platform: 'linux', shouldUseDarkColors: true, override: 'blue' })).toBe('dark');
  });
});
