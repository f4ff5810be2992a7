/** Faults in the app around the engine: a model that kills the engine on load, damaged files at start. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

function persistentCore(userData: string, options: Parameters<typeof createTestCore>[0] = {}) {
  return createTestCore({
    dataDir: userData,
    settingsFile: path.join(userData, 'settings.json'),
    conversationsDir: path.join(userData, 'conversations'),
    discoverOtherApps: false,
    maxTokens: 8,
    ...options,
  });
}

describe('reliability', () => {
  it('a model that took the engine down while loading is never loaded automatically again, even after a restart of Mai', async () => {
    const userData = tempDir('mai-crash-');
    harness = persistentCore(userData, { initialModelPath: models.tiny });
    const { core, waitFor } = harness;
    await core.start();
    // The engine dies while the 120 MB model loads (as a native abort in llama.cpp would).
    const noticeSoon = waitFor('onNotice', ({ message }) => /will not load it automatically/.test(message));
    const selecting = Promise.resolve(core.handlers['models:select']({ path: models.medium })).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 30));
    core.engine.kill('SIGKILL');
    const failure = await selecting;
    expect(failure).toBeInstanceOf(Error);
    const notice = await noticeSoon;
    expect(notice.message).toMatch(/mai-demo-120mb/);
    await waitFor('onModelChanged', ({ model }) => model !== null);
    expect(core.models.current?.path).not.toBe(models.medium);
    expect(JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8')).crashedModelPaths).toContain(models.medium);
    await core.shutdown();

    // Mai starts again with the crashed model as its last choice: it does not load it.
    writeFileSync(
      path.join(userData, 'settings.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8')), lastModelPath: models.medium }),
    );
    harness = persistentCore(userData);
    await harness.core.start();
    expect(harness.core.models.current?.path).not.toBe(models.medium);
    // The user may still choose it on purpose, which lifts the ban.
    await harness.core.handlers['models:select']({ path: models.medium });
    expect(harness.core.models.current?.path).toBe(models.medium);
    expect(harness.core.settings.crashedModelPaths).not.toContain(models.medium);
  });

  it('a damaged conversation file and a damaged settings file are set aside with a notice; everything else loads', async () => {
    const userData = tempDir('mai-corrupt-');
    harness = persistentCore(userData, { initialModelPath: models.tiny });
    await harness.core.start();
    const { assistantMessageId } = await harness.core.handlers['chat:send']({ text: 'keep me safe' });
    await harness.waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    await harness.core.handlers['chat:new']({});
    await harness.core.handlers['chat:send']({ text: 'second conversation' });
    await harness.waitFor('onChatMessage', ({ message }) => message.role === 'assistant' && message.status !== 'streaming');
    await harness.core.shutdown();

    const conversations = path.join(userData, 'conversations');
    const files = readdirSync(conversations).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(2);
    const damaged = files.find((f) => readFileSync(path.join(conversations, f), 'utf8').includes('second conversation'))!;
    writeFileSync(path.join(conversations, damaged), '{"id": "cut off in the mid');
    writeFileSync(path.join(userData, 'settings.json'), 'not json at all');

    harness = persistentCore(userData, { initialModelPath: models.tiny });
    await harness.core.start();
    const state = await harness.core.handlers['app:get-state']({});
    // Said while Mai started, before any window listened: the first window is given them.
    const notices = state.startupNotices.map((notice) => notice.message);
    expect(notices.some((m) => /damaged conversation file was set aside/.test(m))).toBe(true);
    expect(notices.some((m) => /settings file was damaged/.test(m))).toBe(true);
    expect((await harness.core.handlers['app:get-state']({})).startupNotices, 'and only the first').toEqual([]);
    // The other conversation is intact and open; the damaged one is kept aside, not deleted.
    expect(state.conversations).toHaveLength(1);
    expect(state.conversation.messages[0]?.text).toBe('keep me safe');
    expect(readdirSync(conversations).some((f) => f.startsWith(damaged) && f.includes('.corrupt-'))).toBe(true);
    expect(readdirSync(userData).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true);
    expect(state.engine.state).toBe('ready');
    mkdirSync(conversations, { recursive: true });
  });
});
