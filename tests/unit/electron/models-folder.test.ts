/** Which models folder a start uses: command line, then MAI_MODELS_DIR, then the saved setting, then the default. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModelsDir, savedModelsDir } from '../../../electron/main/core/models-folder';
import { tempDir } from '../../helpers/app';

function userData(settings: unknown): string {
  const dir = tempDir('mai-models-folder-');
  mkdirSync(dir, { recursive: true });
  if (settings !== undefined) writeFileSync(path.join(dir, 'settings.json'), typeof settings === 'string' ? settings : JSON.stringify(settings));
  return dir;
}

describe('models folder at start', () => {
  it('uses the folder saved in the settings when nothing overrides it', () => {
    const dir = userData({ modelsDir: '/srv/models', closeToTray: false });
    expect(resolveModelsDir({ userDataDir: dir, env: {} })).toBe(path.resolve('/srv/models'));
  });

  it('the command line, then MAI_MODELS_DIR, win over the setting', () => {
    const dir = userData({ modelsDir: '/srv/models' });
    expect(resolveModelsDir({ userDataDir: dir, cliDir: '/cli/models', env: { MAI_MODELS_DIR: '/env/models' } })).toBe(path.resolve('/cli/models'));
    expect(resolveModelsDir({ userDataDir: dir, env: { MAI_MODELS_DIR: '/env/models' } })).toBe(path.resolve('/env/models'));
  });

  it('falls back to <user data>/models without a usable setting', () => {
    for (const settings of [undefined, { modelsDir: null }, { modelsDir: '   ' }, { modelsDir: 42 }, '{ not json', '[]']) {
      const dir = userData(settings);
      expect(resolveModelsDir({ userDataDir: dir, env: {} }), JSON.stringify(settings)).toBe(path.join(dir, 'models'));
    }
  });

  it('a relative saved folder is taken relative to the settings file, not the working directory', () => {
    const dir = userData({ modelsDir: 'my-models' });
    expect(savedModelsDir(path.join(dir, 'settings.json'))).toBe(path.join(dir, 'my-models'));
  });
});
