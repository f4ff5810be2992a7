/**
 * A settings change while a reply streams, through the real engine process (node-llama-cpp on the
 * synthetic models) driven by AppCore as the web host drives it: every settings change reconfigures
 * the engine's model manager, and that must neither fail nor disturb the reply.
 */
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

describe('settings change during a reply (engine process)', () => {
  it('is saved and applied, and the reply streams to its end', async () => {
    const settingsFile = path.join(tempDir('mai-settings-reply-'), 'settings.json');
    harness = createTestCore({ initialModelPath: models.small, maxTokens: 200, settingsFile });
    const { core, events, waitFor } = harness;
    await core.start();
    const tokensOf = (messageId: string) =>
      events.filter((e) => e.event === 'onChatToken' && (e.payload as { messageId: string }).messageId === messageId).length;
    const sent = await core.handlers['chat:send']({ text: 'Write something very long.' });
    const finished = waitFor('onChatMessage', ({ message }) => message.id === sent.assistantMessageId && message.status !== 'streaming');
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId && tokensOf(messageId) >= 3);
    const closeToTray = !(await core.handlers['settings:get']({})).closeToTray;
    // Sent while tokens stream: the engine hears `manager:configure` during the reply.
    const tokensWhenSent = tokensOf(sent.assistantMessageId);
    const update = Promise.resolve(core.handlers['settings:update']({ patch: { closeToTray } })).then(
      (settings) => ({ ok: true as const, settings }),
      (error: Error) => ({ ok: false as const, error: error.message }),
    );
    const [{ message }, outcome] = await Promise.all([finished, update]);
    expect(outcome).toMatchObject({ ok: true, settings: { closeToTray } });
    expect(message.status).toBe('done');
    expect(message.stats?.tokens).toBe(200);
    expect(message.text.length).toBeGreaterThan(0);
    expect((await core.handlers['settings:get']({})).closeToTray).toBe(closeToTray);
    expect(core.models.current?.path).toBe(models.small);
    // Most of the reply was still to come when the change was sent (else this test would prove nothing).
    expect(tokensWhenSent).toBeLessThan(50);
  });
});
