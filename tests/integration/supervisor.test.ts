/** The engine supervisor against a real engine process: hang detection (busy and idle) and the crash budget. */
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
  it('treats an engine frozen (SIGSTOP) in the middle of a reply as hung within 3 s, replaces it, and retries the reply', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 4000 });
    const { core, events, waitFor } = harness;
    await core.start();
    const frozenPid = core.engine.pid;
    const sent = await core.handlers['chat:send']({ text: 'Tell me a very long story.' });
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId && events.filter((e) => e.event === 'onChatToken').length >= 3);
    core.chat.setMaxTokens(16);
    const stoppedAt = performance.now();
    core.engine.kill('SIGSTOP');
    const down = await waitFor('onNotice', ({ message }) => /stopped answering/.test(message), 15_000);
    const detectedAfterMs = performance.now() - stoppedAt;
    console.log(`hang mid-reply detected ${detectedAfterMs.toFixed(0)} ms after SIGSTOP (limit 3 s of silence while a reply streams)`);
    // The limit counts 3 s from the engine's last message, which came before the SIGSTOP; the
    // margin is for the timer and the event loop, not for a longer limit.
    expect(detectedAfterMs).toBeLessThan(3300);
    expect(down.message).toMatch(/more than 3\.0 s in the middle of a reply/);
    await core.engine.whenReady();
    expect(core.engine.pid).not.toBe(frozenPid);
    expect(core.engine.status.lastExit?.kind).toBe('hang');
    // The reply it froze in is kept as interrupted and retried once.
    const interrupted = core.chat.current.messages.find((m) => m.id === sent.assistantMessageId);
    expect(interrupted?.status).toBe('interrupted');
    const retried = await waitFor('onChatMessage', ({ message }) => /Retried/.test(message.note ?? '') && message.status !== 'streaming', 60_000);
    expect(retried.message.status).toBe('done');
  });

  it('an idle engine gets the longer limit: silent for 3 s it is left alone', async () => {
    // idleHangTimeoutMs shortened from its default 10 s so that the test stays short.
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 16, engine: { idleHangTimeoutMs: 5000 } });
    const { core, waitFor } = harness;
    await core.start();
    const frozenPid = core.engine.pid;
    const stoppedAt = performance.now();
    core.engine.kill('SIGSTOP');
    await waitFor('onNotice', ({ message }) => /stopped answering/.test(message), 15_000);
    const detectedAfterMs = performance.now() - stoppedAt;
    console.log(`idle hang detected ${detectedAfterMs.toFixed(0)} ms after SIGSTOP (idle limit 5 s here, 10 s by default)`);
    expect(detectedAfterMs).toBeGreaterThan(3500);
    await core.engine.whenReady();
    expect(core.engine.pid).not.toBe(frozenPid);
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'are you back?' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
  });

  it('stops restarting after 3 crashes in the window and tells the user; a manual restart works', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 4000 });
    const { core, events, waitFor } = harness;
    await core.start();
    for (let crash = 1; crash <= 2; crash += 1) {
      core.engine.kill('SIGKILL');
      await waitFor('onEngineStatus', ({ state }) => state === 'restarting');
      await core.engine.whenReady();
    }
    // The third crash comes in the middle of a reply.
    const sent = await core.handlers['chat:send']({ text: 'Tell me a very long story.' });
    core.chat.setMaxTokens(16);
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId);
    const noticesBefore = events.length;
    core.engine.kill('SIGKILL');
    const failed = await waitFor('onEngineStatus', ({ state }) => state === 'failed');
    expect(failed.detail).toMatch(/3 times in 5 minutes/);
    expect(failed.detail).toMatch(/stopped restarting/);
    // The user is told the reply was not retried, and never that Mai restarted the engine.
    const told = await waitFor('onNotice', ({ message }) => /not retried/.test(message));
    expect(told.message).toMatch(/Restart the engine to continue/);
    const notices = events
      .slice(noticesBefore)
      .filter((e) => e.event === 'onNotice')
      .map((e) => (e.payload as { message: string }).message);
    expect(notices.filter((m) => /Mai restarted it/.test(m))).toEqual([]);
    expect(core.chat.current.messages.find((m) => m.id === sent.assistantMessageId)?.status).toBe('interrupted');
    expect(core.chat.current.messages.filter((m) => /Retried/.test(m.note ?? ''))).toEqual([]);
    // Nothing is sent to a dead engine: a message is refused with the reason.
    await expect(core.handlers['chat:send']({ text: 'hello?' })).rejects.toMatchObject({ code: 'engine-unavailable' });
    await core.engine.restart();
    expect(core.engine.status.state).toBe('ready');
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'hello again' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
  });
});
