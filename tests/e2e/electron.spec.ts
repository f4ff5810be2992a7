/**
 * The same chat in the real Electron window through Playwright's `_electron`. It needs an Electron
 * runtime (none can be installed on the build machines): point ELECTRON_OVERRIDE_DIST_PATH at an
 * unpacked Electron, or install one where the network allows; otherwise it reports itself skipped.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import type { WebPreferences } from 'electron';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findElectronRuntime } from '../../build/electron-runtime.mjs';
import { ensureTestModels, repoDir } from '../helpers/models';

const runtime = findElectronRuntime();

test.describe('Electron window', () => {
  test.skip(!runtime, 'No Electron runtime installed (npm start downloads one; CI cannot reach GitHub): set ELECTRON_OVERRIDE_DIST_PATH to run this spec.');

  test('chats in the real window, with a hardened renderer', async () => {
    const models = await ensureTestModels();
    const userData = mkdtempSync(path.join(os.tmpdir(), 'mai-electron-'));
    const app = await electron.launch({
      executablePath: runtime ?? undefined,
      args: [repoDir, `--user-data-dir=${userData}`],
      env: { ...process.env, MAI_MODEL: models.small, MAI_MAX_TOKENS: '3000', MAI_MODELS_DIR: path.dirname(models.small), MAI_GPU: 'off' },
    });
    try {
      const page = await app.firstWindow();
      // The effective preferences, seen from the page: no Node (nodeIntegration off, sandbox on).
      const exposed = await page.evaluate(() => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        moduleGlobal: typeof (window as unknown as { module?: unknown }).module,
      }));
      expect(exposed).toEqual({ require: 'undefined', process: 'undefined', moduleGlobal: 'undefined' });
      expect(await page.evaluate(() => Object.keys((window as unknown as { mai: object }).mai).sort())).toEqual(['invoke', 'on']);
      // The preferences the real window was created with, read from main (electron/main/electron/window.ts).
      const preferences = await app.evaluate(({ BrowserWindow }) => {
        // Present at run time (Electron's docs list it) but missing from its electron.d.ts.
        const contents = BrowserWindow.getAllWindows()[0]?.webContents as unknown as { getLastWebPreferences(): WebPreferences | null } | undefined;
        const prefs = contents?.getLastWebPreferences();
        return prefs
          ? {
              contextIsolation: prefs.contextIsolation,
              sandbox: prefs.sandbox,
              nodeIntegration: prefs.nodeIntegration,
              nodeIntegrationInWorker: prefs.nodeIntegrationInWorker,
              nodeIntegrationInSubFrames: prefs.nodeIntegrationInSubFrames,
              webSecurity: prefs.webSecurity,
              allowRunningInsecureContent: prefs.allowRunningInsecureContent,
              webviewTag: prefs.webviewTag,
              experimentalFeatures: prefs.experimentalFeatures,
              preload: typeof prefs.preload === 'string' ? prefs.preload.split(/[\\/]/).slice(-2).join('/') : null,
            }
          : null;
      });
      console.log(`real window webPreferences: ${JSON.stringify(preferences)}`);
      expect(preferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        preload: 'preload/index.cjs',
      });
      // Electron leaves out what was not set; the defaults of these are off.
      expect(preferences?.nodeIntegrationInSubFrames ?? false).toBe(false);
      expect(preferences?.experimentalFeatures ?? false).toBe(false);

      await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
      await page.getByTestId('composer-input').fill('Tell me a long story.');
      await page.keyboard.press('Enter');
      const reply = page.getByTestId('message-assistant').first();
      await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(20);
      await page.getByTestId('stop-button').click();
      await expect(reply).toHaveAttribute('data-status', 'stopped');
      await page.getByTestId('composer-input').fill('And a second one?');
      await page.getByTestId('send-button').click();
      await expect(page.getByTestId('message-assistant').nth(1)).toHaveAttribute('data-status', /streaming|done/);
    } finally {
      await app.close();
    }
  });
});
