/**
 * Remote engines through main's core with the real engine process and a real llama.cpp
 * `llama-server` on 127.0.0.1: a server saved with its key and a policy picked in the way Settings
 * does it (`remote:*` methods), the model moves to the server, a reply streams from it; the server
 * killed mid-reply → the part it streamed is kept as an interrupted message and the retry on this
 * machine is a message of its own. Skips, saying why, when llama-server is not built here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { AppCore } from '../../electron/main/core/app-core';
import { createTestCore, tempDir } from '../helpers/app';
import { llamaServerMissing, startLlamaServer, type RunningProcess } from '../helpers/llama-server';
import { ensureTestModels, type TestModels } from '../helpers/models';

const KEY = 'sk-mai-core-remote-91c2';
if (llamaServerMissing) console.warn(`remote-app.test.ts skipped: ${llamaServerMissing}`);

let models: TestModels;
let server: RunningProcess | null = null;
let harness: ReturnType<typeof createTestCore> | null = null;
const logs: string[] = [];

beforeAll(async () => {
  models = await ensureTestModels();
});
afterEach(async () => {
  await harness?.core.shutdown();
  harness = null;
  server?.child.kill('SIGCONT');
  await server?.kill();
  server = null;
});
afterAll(() => {
  expect(logs.join('\n')).not.toContain(KEY);
});

function start(): ReturnType<typeof createTestCore> {
  const dir = tempDir('mai-remote-core-');
  harness = createTestCore({
    initialModelPath: models.tiny,
    settingsFile: path.join(dir, 'settings.json'),
    dataDir: dir,
    maxTokens: 3000,
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  return harness;
}

async function useServer(core: AppCore, running: RunningProcess, apiKey?: string) {
  const probe = await core.handlers['remote:test']({ baseUrl: running.url, ...(apiKey ? { apiKey } : {}) });
  expect(probe.models).toEqual(['big-remote']);
  await core.handlers['remote:save']({ baseUrl: running.url, models: ['big-remote'], ...(apiKey ? { apiKey } : {}) });
  return core.handlers['remote:set-policy']({ policy: 'remote-first' });
}

describe.skipIf(llamaServerMissing !== null)('remote engines through the core', () => {
  it('remote first: the model moves to the server and a reply streams from it', async () => {
    server = await startLlamaServer({ model: models.tiny, alias: 'big-remote', apiKey: KEY });
    const { core, waitFor } = start();
    await core.start();
    const host = `127.0.0.1:${server.port}`;
    const moved = waitFor('onModelChanged', ({ model }) => model?.name === `big-remote on ${host}`, 60_000);
    const view = await useServer(core, server, KEY);
    expect(view.engines[0]).toMatchObject({ host, hasApiKey: true, models: ['big-remote'] });
    await moved;
    expect(core.models.ladder.find((rung) => rung.host === host)).toBeDefined();
    // Every wait is set up before what it waits for: the events of a short reply can all arrive
    // before the call that caused them returns.
    const firstToken = waitFor('onChatToken');
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'Hello there' });
    expect((await firstToken).messageId).toBe(assistantMessageId);
    const ended = waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    await core.handlers['chat:stop']({});
    const done = await ended;
    expect(done.message).toMatchObject({ status: 'stopped', model: `big-remote on ${host}` });
  }, 120_000);

  it('the server killed mid-reply: its part kept as interrupted, the retry on this machine a message of its own', async () => {
    server = await startLlamaServer({ model: models.tiny, alias: 'big-remote' });
    const { core, waitFor } = start();
    await core.start();
    const host = `127.0.0.1:${server.port}`;
    const moved = waitFor('onModelChanged', ({ model }) => model?.name === `big-remote on ${host}`, 60_000);
    await useServer(core, server);
    await moved;
    const firstToken = waitFor('onChatToken');
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'Tell me a long story' });
    expect((await firstToken).messageId).toBe(assistantMessageId);
    const interrupted = waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status === 'interrupted');
    const retryStarted = waitFor(
      'onChatMessage',
      ({ message }) => message.id !== assistantMessageId && message.role === 'assistant' && message.status === 'streaming',
    );
    const notice = waitFor('onNotice', ({ message }) => message.includes(host));
    const killedAt = Date.now();
    await server.kill();
    await interrupted;
    const retry = (await retryStarted).message;
    const retryMs = Date.now() - killedAt;
    expect((await notice).message).toMatch(/stopped answering/);
    const ended = waitFor('onChatMessage', ({ message }) => message.id === retry.id && message.status !== 'streaming');
    await core.handlers['chat:stop']({});
    const finished = await ended;
    expect(finished.message.model).not.toContain(host);
    const messages = core.chat.current.messages.filter((m) => m.role === 'assistant');
    expect(messages.map((m) => m.status)).toEqual(['interrupted', 'stopped']);
    expect(messages[0]!.text.length).toBeGreaterThan(0);
    expect(messages[0]!.model).toContain(host);
    console.info(`retry began ${retryMs} ms after the kill`);
  }, 120_000);
});
