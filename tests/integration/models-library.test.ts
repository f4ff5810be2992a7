/** Import, removal and the catalog through the real core and engine. */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
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

  it('lists the catalog with a fit for this machine; a catalog download asks the Hub at HF_ENDPOINT (here: nothing listens)', async () => {
    const userData = tempDir('mai-user-');
    // A loopback port nothing listens on: the test never reaches the real Hub.
    const closed = await closedPort();
    harness = createTestCore({
      initialModelPath: models.tiny,
      dataDir: userData,
      settingsFile: path.join(userData, 'settings.json'),
      discoverOtherApps: false,
      env: { ...process.env, HF_ENDPOINT: `http://127.0.0.1:${closed}` },
    });
    const { core, waitFor } = harness;
    await core.start();
    await waitFor('onResourceSample');
    const catalog = await core.handlers['catalog:list']({});
    expect(catalog.length).toBeGreaterThanOrEqual(8);
    expect(catalog.filter((item) => item.recommended)).toHaveLength(1);
    for (const item of catalog) expect(item.fit.detail).toMatch(/GB/);
    const entry = catalog[0];
    if (entry) {
      await expect(core.handlers['downloads:start']({ catalogId: entry.id })).rejects.toMatchObject({
        code: 'network',
        message: `Could not reach 127.0.0.1:${closed}: the connection was refused. Check the internet connection (or HF_ENDPOINT).`,
      });
    }
  });
});

/** A loopback port that was free a moment ago (its listener is closed again). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('deleting models and the ladder', () => {
  it('deletes only .gguf files, never the model in use, and rebuilds the ladder from the files that are left', async () => {
    const dir = tempDir('mai-lib-');
    const userData = tempDir('mai-user-');
    const tiny = path.join(dir, 'tiny.gguf');
    const small = path.join(dir, 'small.gguf');
    copyFileSync(models.tiny, tiny);
    copyFileSync(models.small, small);
    const notes = path.join(dir, 'notes.txt');
    writeFileSync(notes, 'not a model');
    harness = createTestCore({
      modelsDir: dir,
      initialModelPath: tiny,
      dataDir: userData,
      settingsFile: path.join(userData, 'settings.json'),
      discoverOtherApps: false,
      maxTokens: 8,
    });
    const { core, waitFor } = harness;
    await core.start();
    expect(core.models.ladder.map((r) => r.path).sort()).toEqual([small, tiny].sort());

    await expect(core.handlers['models:remove']({ path: notes })).rejects.toMatchObject({
      code: 'bad-request',
      message: 'notes.txt is not a .gguf file; Mai only deletes model files.',
    });
    expect(existsSync(notes)).toBe(true);
    await expect(core.handlers['models:remove']({ path: tiny })).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringMatching(/tiny\.gguf is in use; switch to another model first/),
    });
    expect(existsSync(tiny)).toBe(true);

    const listed = waitFor('onModels', (list) => !list.some((m) => m.path === small));
    expect(await core.handlers['models:remove']({ path: small })).toEqual({ removed: true, message: 'small.gguf was deleted.' });
    await listed;
    expect(existsSync(small)).toBe(false);
    // The scaler can no longer step to a file that is gone; the model in use stayed loaded.
    expect(core.models.ladder.map((r) => r.path)).toEqual([tiny]);
    expect(core.models.current?.path).toBe(tiny);

    // A file that appears in the folder joins the ladder (the watcher).
    const again = path.join(dir, 'small-again.gguf');
    copyFileSync(models.small, again);
    await waitFor('onModels', (list) => list.some((m) => m.path === again));
    await expect.poll(() => core.models.ladder.map((r) => r.path).sort(), { timeout: 30_000 }).toEqual([again, tiny].sort());
  });

  it('refuses the file dialog where the host has none, and returns the host’s choice where it has one', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, discoverOtherApps: false });
    await expect(harness.core.handlers['models:open-dialog']({})).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/type the file's path/),
    });
    await harness.core.shutdown();
    // The Electron host passes its dialog; here a stand-in for it, since the Electron runtime cannot run in these tests.
    harness = createTestCore({ initialModelPath: models.tiny, discoverOtherApps: false, pickModelFile: async () => models.small });
    expect(await harness.core.handlers['models:open-dialog']({})).toEqual({ path: models.small });
  });
});
