/** Import, removal and the catalog through the real core and engine. */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
afterEach(async () => {
  await harness?.core.shutdown();
  harness = null;
});

describe('models library', () => {
  it('imports a GGUF from elsewhere, refuses a damaged one with the reason, forgets without deleting', async () => {
    const dir = tempDir('mai-lib-');
    const userData = tempDir('mai-user-');
    copyFileSync(models.tiny, path.join(dir, 'tiny.gguf'));
    harness = createTestCore({ modelsDir: dir, dataDir: userData, settingsFile: path.join(userData, 'settings.json'), discoverOtherApps: false, maxTokens: 8 });
    const { core, waitFor } = harness;
    await core.start();
    const elsewhere = tempDir('mai-elsewhere-');
    const outside = path.join(elsewhere, 'my-model.gguf');
    copyFileSync(models.small, outside);
    const listed = waitFor('onModels', (list) => list.some((m) => m.path === outside));
    const entry = await core.handlers['models:import']({ path: outside });
    expect(entry).toMatchObject({ source: 'imported', synthetic: true });
    await listed;
    // It can be chosen and answers.
    await core.handlers['models:select']({ path: outside });
    expect(core.models.current?.path).toBe(outside);

    const broken = path.join(elsewhere, 'broken.gguf');
    writeFileSync(broken, Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(8, 0xff)]));
    await expect(core.handlers['models:import']({ path: broken })).rejects.toMatchObject({ code: 'model-invalid' });
    expect((await core.handlers['models:list']({})).some((m) => m.path === broken)).toBe(false);

    await core.handlers['models:select']({ path: path.join(dir, 'tiny.gguf') });
    const removed = await core.handlers['models:remove']({ path: outside });
    expect(removed).toMatchObject({ removed: true });
    expect(existsSync(outside)).toBe(true);
    expect((await core.handlers['models:list']({})).some((m) => m.path === outside)).toBe(false);
  });

  it('lists the catalog with a fit for this machine and refuses to download an unpinned entry', async () => {
    const userData = tempDir('mai-user-');
    harness = createTestCore({ initialModelPath: models.tiny, dataDir: userData, settingsFile: path.join(userData, 'settings.json'), discoverOtherApps: false });
    const { core, waitFor } = harness;
    await core.start();
    await waitFor('onResourceSample');
    const catalog = await core.handlers['catalog:list']({});
    expect(catalog.length).toBeGreaterThanOrEqual(8);
    expect(catalog.filter((item) => item.recommended)).toHaveLength(1);
    for (const item of catalog) expect(item.fit.detail).toMatch(/GB/);
    const unpinned = catalog.find((item) => !item.pinned);
    if (unpinned) await expect(core.handlers['downloads:start']({ catalogId: unpinned.id })).rejects.toMatchObject({ message: expect.stringMatching(/not pinned/) });
  });
});
