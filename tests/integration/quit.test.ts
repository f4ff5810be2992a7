/**
 * Quitting Mai in the middle of a reply loses nothing and always ends. The real core and the real
 * engine process (synthetic model), wired by electron/main/electron/quit.ts to the stand-in for
 * Electron's `app` (tests/unit/electron/fake-electron.ts `FakeApp`, which follows the quit sequence
 * of Electron's docs/api/app.md: no Electron runtime can run here). What is on disk is read at the
 * instant the stand-in process "ends", as a real process would leave it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installGracefulQuit } from '../../electron/main/electron/quit';
import type { Conversation } from '../../shared/domain';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';
import { FakeApp } from '../unit/electron/fake-electron';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
afterEach(async () => {
  harness?.core.engine.kill('SIGKILL');
  await harness?.core.shutdown();
  harness = null;
});

/** A core that saves conversations under a fresh folder, an app, and what was on disk when the app ended. */
function quittingCore() {
  const userData = tempDir('mai-quit-');
  const conversationsDir = path.join(userData, 'conversations');
  harness = createTestCore({
    dataDir: userData,
    settingsFile: path.join(userData, 'settings.json'),
    conversationsDir,
    discoverOtherApps: false,
    initialModelPath: models.tiny,
    maxTokens: 4000,
  });
  const app = new FakeApp();
  const core = harness.core;
  let onDisk: Conversation | null | undefined;
  const ended = new Promise<number>((resolve) =>
    app.on('exited', (code: number) => {
      const file = path.join(conversationsDir, `${core.chat.current.id}.json`);
      onDisk = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Conversation) : null;
      resolve(code);
    }),
  );
  return { ...harness, app, ended, onDisk: () => onDisk };
}

/** Sends a message and resolves once `tokens` pieces of the reply arrived, with the reply's text so far. */
async function replyStreaming(h: ReturnType<typeof quittingCore>, tokens: number): Promise<{ messageId: string; streamed: () => string }> {
  const { assistantMessageId } = await h.core.handlers['chat:send']({ text: 'Tell me a very long story.' });
  let streamed = '';
  let count = 0;
  h.core.subscribe((event, payload) => {
    if (event !== 'onChatToken') return;
    const token = payload as { messageId: string; text: string };
    if (token.messageId !== assistantMessageId) return;
    streamed += token.text;
    count += 1;
  });
  await h.waitFor('onChatToken', ({ messageId }) => messageId === assistantMessageId && count >= tokens);
  return { messageId: assistantMessageId, streamed: () => streamed };
}

function savedReply(conversation: Conversation | null | undefined, messageId: string): string | undefined {
  return conversation?.messages.find((m) => m.id === messageId)?.text;
}

describe('quitting during a streaming reply', () => {
  it('waits for the shutdown: the saved conversation holds the reply up to the quit', async () => {
    const h = quittingCore();
    installGracefulQuit(h.app, { shutdown: () => h.core.shutdown() });
    await h.core.start();
    const reply = await replyStreaming(h, 20);
    const streamedAtQuit = reply.streamed();
    h.app.quit();
    expect(h.app.exitCode, 'the first quit request is held back').toBeNull();
    await h.ended;
    const saved = savedReply(h.onDisk(), reply.messageId);
    console.log(`quit after ${streamedAtQuit.length} characters; ${saved?.length ?? 0} on disk when the process ended`);
    expect(saved?.startsWith(streamedAtQuit)).toBe(true);
    // Everything the user saw, up to the stop, is on disk.
    expect(saved).toBe(reply.streamed());
    expect(h.core.engine.status.state).toBe('stopped');
  });

  it("control: the old handler (`void core.shutdown()` in before-quit) ends with the reply's tail not on disk", async () => {
    const h = quittingCore();
    h.app.on('before-quit', () => void h.core.shutdown());
    await h.core.start();
    const reply = await replyStreaming(h, 20);
    const streamedAtQuit = reply.streamed();
    h.app.quit();
    await h.ended;
    const saved = savedReply(h.onDisk(), reply.messageId) ?? '';
    console.log(`old handler: ${streamedAtQuit.length} characters streamed, ${saved.length} on disk when the process ended`);
    expect(saved.length).toBeLessThan(streamedAtQuit.length);
  });

  it('ends within the bound even when the engine hangs (SIGSTOP), with the reply up to the hang on disk', async () => {
    const h = quittingCore();
    const quit = installGracefulQuit(h.app, { shutdown: () => h.core.shutdown(), timeoutMs: 5000 });
    await h.core.start();
    const reply = await replyStreaming(h, 20);
    h.core.engine.kill('SIGSTOP');
    // Tokens already on their way still arrive; what the user saw is what was streamed before the quit.
    const started = performance.now();
    h.app.quit();
    h.app.quit(); // a second request (the tray's Quit clicked again) changes nothing
    await h.ended;
    const elapsedMs = performance.now() - started;
    console.log(`quit with a hung engine ended after ${elapsedMs.toFixed(0)} ms (${await quit.settled}; bound 5000 ms)`);
    expect(elapsedMs).toBeLessThan(5000 + 1000);
    expect(h.app.exitCode).toBe(0);
    expect(savedReply(h.onDisk(), reply.messageId)).toBe(reply.streamed());
  });
});
