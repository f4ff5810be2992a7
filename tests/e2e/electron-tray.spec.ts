/**
 * The tray and native notifications in the real Electron app through Playwright's `_electron`.
 * Tray menus and OS notifications live outside any page, so the spec reads them in the main
 * process through the test hook main.ts installs with MAI_TEST_HOOKS=1 (`globalThis.__maiStatus`,
 * electron/main/core/status/test-hook.ts), which reads back Electron's own Menu items.
 *
 * It needs an Electron runtime (none can be installed on the build machines): point
 * ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron, or install one where the network allows;
 * otherwise it reports itself skipped. Never require('electron') here: it downloads on require.
 */
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findElectronRuntime } from '../../build/electron-runtime.mjs';
import type { StatusTestHook } from '../../electron/main/core/status/test-hook';
import type { NativeTrayDescription } from '../../electron/main/electron/tray';
import type { TrayPicture } from '../../electron/main/core/status/tray-model';
import { ensureTestModels, repoDir } from '../helpers/models';

const runtime = findElectronRuntime();

/** Memory in use now, bytes (what the engine's monitor sees, roughly). */
function memUsedBytes(): number {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(info)?.[1] ?? 0) * 1024;
    return kb('MemTotal') - kb('MemAvailable');
  } catch {
    return os.totalmem() - os.freemem();
  }
}

type Tray = { picture: TrayPicture; native: NativeTrayDescription };

const tray = (app: ElectronApplication) => app.evaluate(() => (globalThis as unknown as { __maiStatus: StatusTestHook }).__maiStatus.tray() as Tray);
const notifications = (app: ElectronApplication) => app.evaluate(() => (globalThis as unknown as { __maiStatus: StatusTestHook }).__maiStatus.notifications());
const clickMenu = (app: ElectronApplication, id: string) =>
  app.evaluate((_electron, entry) => (globalThis as unknown as { __maiStatus: StatusTestHook }).__maiStatus.clickMenu(entry as never), id);
const windowVisible = (app: ElectronApplication) => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((w) => w.isVisible()));
const nativeItem = (state: Tray, id: string) => state.native.menu.find((item) => item.id === id);

test.describe('Tray and native notifications', () => {
  test.skip(!runtime, 'No Electron runtime installed (npm start downloads one; CI cannot reach GitHub): set ELECTRON_OVERRIDE_DIST_PATH to run this spec.');
  test.setTimeout(180_000);

  test('the tray menu follows the app, pauses scaling, hides the window; a degrade while hidden becomes a native notification', async () => {
    const models = await ensureTestModels();
    const userData = mkdtempSync(path.join(os.tmpdir(), 'mai-electron-tray-'));
    // A budget of twice what is in use (at least 2 GiB more) starts memory near 50 % whatever the
    // machine runs; one act threshold for every tier, and no upgrade during the test.
    const act = 0.8;
    writeFileSync(
      path.join(userData, 'settings.json'),
      JSON.stringify({
        memoryBudgetBytes: Math.max(2 * memUsedBytes(), memUsedBytes() + 2 * 2 ** 30),
        actThresholds: { minimal: act, small: act, medium: act, large: act, workstation: act },
        stabilizationSeconds: 3600,
        closeToTray: true,
      }),
    );
    const app = await electron.launch({
      executablePath: runtime ?? undefined,
      args: [repoDir, `--user-data-dir=${userData}`],
      env: {
        ...process.env,
        MAI_TEST_HOOKS: '1',
        MAI_MODEL: models.medium,
        MAI_MODELS_DIR: path.dirname(models.medium),
        MAI_GPU: 'off',
        MAI_TRAY_THEME: 'dark',
      },
    });
    try {
      const page = await app.firstWindow();
      await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');

      // The tray: steady on the 120 MB model, the menu as Electron holds it.
      await expect.poll(async () => (await tray(app)).picture.state).toBe('steady');
      await expect.poll(async () => nativeItem(await tray(app), 'current-model')?.label).toMatch(/^Model: .*120 MB/);
      let state = await tray(app);
      expect(state.native.destroyed).toBe(false);
      expect(state.native.iconPath).toMatch(/tray-steady-dark\.png$/);
      expect(state.native.toolTip).toMatch(/^Mai — .*120 MB.* · tier .+ · memory \d+ % \(act at 80 %\)$/);
      expect(state.native.menu.map((item) => item.id)).toEqual([
        'toggle-window',
        'sep-status',
        'status',
        'current-model',
        'toggle-scaling',
        'open-resources',
        'sep-quit',
        'quit',
      ]);
      expect(nativeItem(state, 'current-model')).toMatchObject({ enabled: false });
      expect(nativeItem(state, 'toggle-scaling')).toMatchObject({ type: 'checkbox', checked: false, enabled: true });
      expect(nativeItem(state, 'toggle-window')?.label).toBe('Hide Mai');

      // Pause from the tray: the core is paused, the window sees it, the checkbox stays checked.
      expect(await clickMenu(app, 'toggle-scaling')).toBe(true);
      await expect.poll(async () => nativeItem(await tray(app), 'toggle-scaling')?.checked).toBe(true);
      const paused = await page.evaluate(() =>
        (window as unknown as { mai: { invoke: (m: string, p: object) => Promise<{ ok: boolean; value: { scalingPaused: boolean } }> } }).mai.invoke(
          'app:get-state',
          {},
        ),
      );
      expect(paused.value.scalingPaused).toBe(true);
      expect(await clickMenu(app, 'toggle-scaling')).toBe(true);
      await expect.poll(async () => nativeItem(await tray(app), 'toggle-scaling')?.checked).toBe(false);

      // Hide the window from the tray: it stays alive in the tray.
      expect(await clickMenu(app, 'toggle-window')).toBe(true);
      await expect.poll(() => windowVisible(app)).toBe(false);
      await expect.poll(async () => nativeItem(await tray(app), 'toggle-window')?.label).toBe('Show Mai');

      // Other programs take memory: the scaler moves to a smaller model while the window is hidden
      // (30 MB, or 1 MB when the machine's own use jumps at the same time).
      await app.evaluate((_electron, fraction) => (globalThis as unknown as { __maiStatus: StatusTestHook }).__maiStatus.pushMemoryTo(fraction), 0.83);
      await expect.poll(async () => (await tray(app)).picture.state, { timeout: 120_000 }).toBe('degraded');
      state = await tray(app);
      expect(state.native.iconPath).toMatch(/tray-degraded-dark\.png$/);
      expect(nativeItem(state, 'current-model')?.label).toMatch(/^Model: .*\b(30|1) MB/);
      const sent = await notifications(app);
      expect(sent.decided[0]).toMatchObject({
        kind: 'degrade',
        title: expect.stringMatching(/^Mai switched to .*\b(30|1) MB.* \(from .*120 MB.*\)$/),
        body: expect.stringMatching(/^Why: .+ comes back by itself/),
      });
      if (sent.supported) expect(sent.native[0]).toMatchObject({ title: sent.decided[0]!.title, failed: null });

      // Show it again from the tray.
      expect(await clickMenu(app, 'toggle-window')).toBe(true);
      await expect.poll(() => windowVisible(app)).toBe(true);
      await expect.poll(async () => nativeItem(await tray(app), 'toggle-window')?.label).toBe('Hide Mai');
    } finally {
      await app.close();
    }
  });
});
