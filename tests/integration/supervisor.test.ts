/** The engine supervisor against a real engine process: hang detection and the crash budget. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../helpers/app';
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

describe('engine supervisor', () => {
  it('treats a frozen engine (SIGSTOP) as hung within 3 s, replaces it, and chats again', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 16 });
    const { core, waitFor } = harness;
    await core.start();
    const frozenPid = core.engine.pid;
    const stoppedAt = performance.now();
    core.engine.kill('SIGSTOP');
    const down = await waitFor('onNotice', ({ message }) => /stopped answering/.test(message), 10_000);
    const detectedAfterMs = performance.now() - stoppedAt;
    console.log(`hang detected ${detectedAfterMs.toFixed(0)} ms after SIGSTOP`);
    expect(detectedAfterMs).toBeLessThan(3000);
    expect(down.level).toBe('warn');
    await core.engine.whenReady();
    expect(core.engine.pid).not.toBe(frozenPid);
    expect(core.engine.status.lastExit?.kind).toBe('hang');
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'are you back?' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
  });

  it('stops restarting after 3 crashes in the window and tells the user; a manual restart works', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 16 });
    const { core, waitFor } = harness;
    await core.start();
    for (let crash = 1; crash <= 2; crash += 1) {
      core.engine.kill('SIGKILL');
      await waitFor('onEngineStatus', ({ state }) => state === 'restarting');
      await core.engine.whenReady();
    }
    core.engine.kill('SIGKILL');
    const failed = await waitFor('onEngineStatus', ({ state }) => state === 'failed');
    expect(failed.detail).toMatch(/3 times in 5 minutes/);
    expect(failed.detail).toMatch(/stopped restarting/);
    // Nothing is sent to a dead engine: a message is refused with the reason.
    await expect(core.handlers['chat:send']({ text: 'hello?' })).rejects.toMatchObject({ code: 'engine-unavailable' });
    await core.engine.restart();
    expect(core.engine.status.state).toBe('ready');
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'hello again' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
  });
});
