/**
 * The real engine in a child process (node-llama-cpp on the synthetic models), supervised by the
 * real EngineHost and driven through AppCore exactly as the web host drives it.
 */
import { copyFileSync, linkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppCore } from '../../electron/main/core/app-core';
import { createTestCore, tempDir, type RecordedEvent } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

/** Sends a message and resolves with the finished assistant message. */
async function ask(core: AppCore, waitFor: ReturnType<typeof createTestCore>['waitFor'], text: string) {
  const { assistantMessageId } = await core.handlers['chat:send']({ text });
  const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
  return done.message;
}

function tokensFor(events: RecordedEvent[], messageId: string): string[] {
  return events
    .filter((e) => e.event === 'onChatToken' && (e.payload as { messageId: string }).messageId === messageId)
    .map((e) => (e.payload as { text: string }).text);
}

describe('engine process with real node-llama-cpp', () => {
  let harness: ReturnType<typeof createTestCore>;
  afterAll(async () => {
    await harness?.core.shutdown();
  });

  it('loads the 1 MB model and streams a reply while it is generated', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 48 });
    const { core, events, waitFor } = harness;
    await core.start();
    expect(core.models.current).toMatchObject({ synthetic: true, threads: 1 });
    const reply = await ask(core, waitFor, 'Hello, who are you?');
    expect(reply.status).toBe('done');
    expect(reply.stats?.tokens).toBe(48);
    // The engine sends at most one piece per 16 ms (electron/engine/wire.ts), so how many pieces a
    // fast model's reply takes depends on the machine's speed and load: the text arrives in pieces,
    // the first one well before the reply is complete, and nothing is lost.
    const chunks = tokensFor(events, reply.id);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]!.length).toBeLessThan(reply.text.length / 2);
    expect(chunks.join('')).toBe(reply.text);
  });

  it('switches to the 30 MB model and streams from it', async () => {
    const { core, waitFor } = harness;
    const loaded = await core.handlers['models:select']({ path: models.small });
    expect(loaded.sizeBytes).toBeGreaterThan(20e6);
    const reply = await ask(core, waitFor, 'And now from the bigger one?');
    expect(reply.model).toBe(loaded.name);
    expect(reply.text.length).toBeGreaterThan(0);
  });

  it('stops a long reply mid-way and keeps the partial text', async () => {
    const { core, events, waitFor } = harness;
    await core.handlers['chat:new']({});
    const sent = await core.handlers['chat:send']({ text: 'Write something very long.' });
    // Wait for real tokens before stopping (5 characters: one per token with these models), then stop.
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId && tokensFor(events, messageId).join('').length >= 5);
    // Listening before the stop: the reply's end may reach main before the stop's own answer does.
    const finished = waitFor('onChatMessage', ({ message }) => message.id === sent.assistantMessageId && message.status !== 'streaming');
    await core.handlers['chat:stop']({});
    const done = await finished;
    expect(done.message.status).toBe('stopped');
    expect(done.message.text.length).toBeGreaterThan(0);
    expect(done.message.stats?.tokens).toBeLessThan(512);
    expect(done.message.text).toBe(tokensFor(events, sent.assistantMessageId).join(''));
  });

  it('survives SIGKILL mid-reply: detects it, restarts, and the next reply still has the earlier turns', async () => {
    const { core, events, waitFor } = harness;
    await core.handlers['chat:new']({});
    await ask(core, waitFor, 'My name is Ada and my cat is called Turing.');
    expect(core.models.current?.path).toBe(models.small);
    const smallName = core.models.current?.name;
    const sent = await core.handlers['chat:send']({ text: 'Tell me a long story.' });
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId && tokensFor(events, messageId).length >= 3);
    const pidBefore = core.engine.pid;
    // The earliest moment anything can ask for the model again is the engine being reported down
    // (the model controller asks once the restarted engine is ready, and the restart can win any
    // race against awaits in the reply's error path): the retry's model must be chosen by then.
    const offDown = core.engine.on('down', () => void core.models.ensureLoaded().catch(() => {}));
    core.engine.kill('SIGKILL');
    const interrupted = await waitFor('onChatMessage', ({ message }) => message.id === sent.assistantMessageId && message.status !== 'streaming');
    expect(interrupted.message.status).toBe('interrupted');
    offDown();
    expect(interrupted.message.error).toMatch(/SIGKILL/);
    expect(interrupted.message.text.length).toBeGreaterThan(0);
    // The reply is retried once, automatically, in a new message; the user is told.
    const retried = await waitFor(
      'onChatMessage',
      ({ message }) =>
        message.role === 'assistant' && message.id !== sent.assistantMessageId && /Retried/.test(message.note ?? '') && message.status !== 'streaming',
    );
    expect(retried.message.error ?? '').toBe('');
    expect(retried.message.status).toBe('done');
    // On the next smaller model: the reply was interrupted on the 30 MB model, the 1 MB one is the
    // next smaller in the folder, and the notice names it.
    expect(interrupted.message.model).toBe(smallName);
    expect(core.models.current?.path).toBe(models.tiny);
    expect(retried.message.model).toBe(core.models.current?.name);
    expect(retried.message.model).not.toBe(smallName);
    expect(
      events.some(
        (e) => e.event === 'onNotice' && /answering again with mai-demo-1mb \(smaller, to be safe\)/i.test((e.payload as { message: string }).message),
      ),
    ).toBe(true);
    // Exactly one retry.
    const retries = core.chat.current.messages.filter((m) => m.role === 'assistant' && /Retried/.test(m.note ?? ''));
    expect(retries).toHaveLength(1);

    const reply = await ask(core, waitFor, 'What is the name of my cat?');
    expect(reply.status).toBe('done');
    expect(core.engine.pid).not.toBe(pidBefore);
    expect(core.engine.status.restarts).toBe(1);
    expect(core.engine.status.lastExit?.kind).toBe('crash');
    // The model saw the whole conversation, replayed into the new engine.
    const prompt = (await core.engine.call('chat:last-prompt', {})).text ?? '';
    expect(prompt).toContain('My name is Ada and my cat is called Turing.');
    expect(prompt).toContain('Tell me a long story.');
    expect(prompt).toContain('What is the name of my cat?');
    expect(prompt.indexOf('Turing')).toBeLessThan(prompt.indexOf('What is the name of my cat?'));
  });
});

describe('bad input never takes the engine down', () => {
  let harness: ReturnType<typeof createTestCore>;
  afterAll(async () => {
    await harness?.core.shutdown();
  });

  it('refuses missing and non-GGUF model files with a sentence, and keeps the current model', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 8 });
    const { core, waitFor } = harness;
    await core.start();
    const pid = core.engine.pid;
    await expect(core.handlers['models:select']({ path: '/nowhere/model.gguf' })).rejects.toMatchObject({
      code: 'model-not-found',
      message: expect.stringContaining('/nowhere/model.gguf'),
    });
    const notGguf = path.join(tempDir('mai-bad-'), 'notes.gguf');
    writeFileSync(notGguf, 'just some text, definitely not a model');
    await expect(core.handlers['models:select']({ path: notGguf })).rejects.toMatchObject({
      code: 'model-invalid',
      message: expect.stringContaining('not a GGUF'),
    });
    expect(core.engine.pid).toBe(pid);
    expect(core.models.current?.path).toBe(models.tiny);
    const reply = await ask(core, waitFor, 'still there?');
    expect(reply.status).toBe('done');
  });

  it('refuses empty and 1 MB messages with a sentence and records nothing', async () => {
    const { core } = harness;
    const before = core.chat.current.messages.length;
    await expect(core.handlers['chat:send']({ text: '   ' })).rejects.toMatchObject({ code: 'message-empty' });
    await expect(core.handlers['chat:send']({ text: 'x'.repeat(1024 * 1024) })).rejects.toMatchObject({
      code: 'message-too-long',
      message: expect.stringContaining('1,048,576'),
    });
    expect(core.chat.current.messages.length).toBe(before);
  });

  it('answers a prompt longer than the context with an error that names both sizes', async () => {
    const { core, waitFor } = harness;
    await core.handlers['chat:new']({});
    // Byte-level tokens: 20 000 characters are far more than a 4096-token context.
    const reply = await ask(core, waitFor, 'word '.repeat(4000));
    expect(reply.status).toBe('error');
    expect(reply.error).toMatch(/tokens long .* 4096 tokens of context/);
    const next = await ask(core, waitFor, 'a short one');
    expect(next.status).toBe('done');
  });
});

describe('a model that takes the engine down while loading', () => {
  let harness: ReturnType<typeof createTestCore> | null = null;
  afterAll(async () => {
    await harness?.core.shutdown();
  });

  it('is blamed by the file the engine announced, even when main did not name it, and is not loaded again', async () => {
    // A folder with the 1 MB and 30 MB models and no preferred model: the engine picks one itself,
    // so main's own request names no file; only the engine's "loading <path>" says which.
    const dir = tempDir('mai-load-crash-');
    for (const file of [models.tiny, models.small]) linkOrCopy(file, path.join(dir, path.basename(file)));
    harness = createTestCore({ modelsDir: dir, maxTokens: 8 });
    const { core, waitFor } = harness;
    const announced: string[] = [];
    // The first load takes the engine down, as a file that crashes llama.cpp would.
    core.engine.onEngine('model:loading', ({ path: file, done }) => {
      if (done) return;
      announced.push(file);
      if (announced.length === 1) core.engine.kill('SIGKILL');
    });
    const blamed = waitFor('onNotice', ({ message }) => /took the engine down while loading/.test(message), 60_000);
    await core.start();
    const first = announced[0] as string;
    expect((await blamed).message).toContain(path.basename(first));
    // After the restart a different file is loaded, never the one that crashed.
    await waitFor('onModelChanged', ({ model }) => model !== null, 60_000).catch(() => null);
    const loaded = core.models.current ?? (await core.models.ensureLoaded());
    expect(loaded.path).not.toBe(first);
    expect(announced.slice(1)).not.toContain(first);
    console.log(`engine killed while loading ${path.basename(first)} (picked by the engine): blamed; then loaded ${path.basename(loaded.path)}`);
  });
});

function linkOrCopy(from: string, to: string): void {
  // A real file (the library skips symlinks): a hard link, or a copy across file systems.
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}
