/**
 * SIGKILL the engine 20 times in the middle of replies (real engine process, real node-llama-cpp,
 * the 30 MB synthetic model, conversations saved by the real store): every time the engine must be
 * ready again in under 2 s; the conversation file on disk must hold the user's message and the
 * reply as it had streamed up to 500 ms before the kill; the interrupted reply must be retried
 * exactly once.
 */
import { copyFileSync, linkSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../shared/domain';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels } from '../helpers/models';

const KILLS = 20;
/** Far more than a reply can produce before it is killed: the model never ends a reply by itself. */
const MAX_TOKENS = 4000;
const RETRY_MAX_TOKENS = 48;
/** The store saves a streaming reply at most every 500 ms (ConversationStore's throttle). */
const SAVE_EVERY_MS = 500;
/**
 * Added to that for a write that had started but not yet been renamed into place when the file is
 * read, right after the kill: an fsync'd write of a small file, on a shared 2-core machine.
 */
const WRITE_SLACK_MS = 150;

let harness: ReturnType<typeof createTestCore> | null = null;
let modelsDir: string;
let model: string;

beforeAll(async () => {
  const models = await ensureTestModels();
  // A models folder holding only the 30 MB model, so the retry after a crash cannot step down to a
  // smaller one (ChatService prefers the next smaller model after a crash) and all 20 rounds run on it.
  modelsDir = tempDir('mai-kill20-');
  model = path.join(modelsDir, path.basename(models.small));
  // A real file (the library skips symlinks): a hard link, or a copy across file systems.
  try {
    linkSync(models.small, model);
  } catch {
    copyFileSync(models.small, model);
  }
});

afterAll(async () => {
  await harness?.core.shutdown();
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

describe('engine killed 20 times during replies', () => {
  it('restarts in < 2 s every time, loses no user message, retries each interrupted reply once', { timeout: 900_000 }, async () => {
    const logs: string[] = [];
    const conversationsDir = tempDir('mai-kill20-conversations-');
    harness = createTestCore({
      initialModelPath: model,
      modelsDir,
      conversationsDir,
      maxTokens: MAX_TOKENS,
      // maxCrashes: the 3-in-5-minutes budget would (rightly) stop after the 3rd kill.
      engine: { maxCrashes: 100 },
      log: (level, message) => void logs.push(`${level}: ${message}`),
    });
    const { core, events } = harness;
    await core.start();
    expect(core.models.current?.path, logs.slice(-10).join('\n')).toBe(model);

    const tokensOf = new Map<string, number>();
    /** Per message: when each piece arrived and the reply's length after it. */
    const streamOf = new Map<string, Array<{ at: number; length: number }>>();
    const readyAt: number[] = [];
    const modelAt: number[] = [];
    core.subscribe((event, payload) => {
      if (event === 'onChatToken') {
        const { messageId, text } = payload as { messageId: string; text: string };
        tokensOf.set(messageId, (tokensOf.get(messageId) ?? 0) + 1);
        const stream = streamOf.get(messageId) ?? [];
        stream.push({ at: performance.now(), length: (stream.at(-1)?.length ?? 0) + text.length });
        streamOf.set(messageId, stream);
      }
      if (event === 'onModelChanged' && (payload as { model: unknown }).model) modelAt.push(performance.now());
    });
    core.engine.on('ready', ({ restart }) => {
      if (restart) readyAt.push(performance.now());
    });

    const waitUntil = async (what: string, check: () => boolean, timeoutMs = 120_000) => {
      const started = performance.now();
      while (!check()) {
        if (performance.now() - started > timeoutMs) {
          const notices = events
            .filter((e) => e.event === 'onNotice')
            .slice(-6)
            .map((e) => (e.payload as { message: string }).message);
          throw new Error(
            `timed out waiting for ${what}; engine ${JSON.stringify(core.engine.status)}, model ${core.models.current?.path ?? 'none'}, last notices: ${notices.join(' | ')}; last log lines:\n${logs.slice(-10).join('\n')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const message = (id: string): ChatMessage | undefined => core.chat.current.messages.find((m) => m.id === id);
    const conversationFile = () => path.join(conversationsDir, `${core.chat.current.id}.json`);
    const readSaved = (): Conversation => JSON.parse(readFileSync(conversationFile(), 'utf8')) as Conversation;
    const savedLagMs: number[] = [];

    const restartMs: number[] = [];
    const reloadMs: number[] = [];
    const tokensAtKill: number[] = [];
    const sent: Array<{ userMessageId: string; assistantMessageId: string; text: string }> = [];

    for (let round = 1; round <= KILLS; round += 1) {
      const text = `Message ${round}: tell me a very long story.`;
      const ids = await core.handlers['chat:send']({ text });
      sent.push({ ...ids, text });
      // Kill after 1.2–1.65 s of streaming, past a few throttled saves, at a different point each round.
      const streamFor = 1200 + (round % 4) * 150;
      await waitUntil(
        `${streamFor} ms of reply ${round}`,
        () => (tokensOf.get(ids.assistantMessageId) ?? 0) >= 3 && performance.now() - (streamOf.get(ids.assistantMessageId)?.[0]?.at ?? Infinity) >= streamFor,
        60_000,
      );
      expect(message(ids.assistantMessageId)?.status).toBe('streaming');

      const pid = core.engine.pid;
      const readyBefore = readyAt.length;
      const modelsBefore = modelAt.length;
      tokensAtKill.push(tokensOf.get(ids.assistantMessageId) ?? 0);
      // The retry is an ordinary reply: let it end by itself, at a length that does not take minutes
      // (what the user would get after lowering "longest reply" in the settings).
      core.chat.setMaxTokens(RETRY_MAX_TOKENS);
      const killedAt = performance.now();
      core.engine.kill('SIGKILL');
      // What is on disk at the moment of the kill (what would survive if main died with the engine):
      // the user's message, and the reply up to what had streamed 500 ms earlier.
      const onDisk = readSaved();
      const savedUser = onDisk.messages.find((m) => m.id === ids.userMessageId);
      expect({ text: savedUser?.text, role: savedUser?.role }).toEqual({ text, role: 'user' });
      const savedReply = onDisk.messages.find((m) => m.id === ids.assistantMessageId);
      const streamed = message(ids.assistantMessageId)?.text ?? '';
      expect(savedReply, `reply ${round} on disk`).toBeDefined();
      expect(streamed.startsWith(savedReply?.text ?? '\u0000'), `reply ${round} on disk is what streamed`).toBe(true);
      // How far the disk was behind the stream: from the first piece not on disk to the kill.
      const stream = streamOf.get(ids.assistantMessageId) ?? [];
      const firstMissing = stream.find((piece) => piece.length > (savedReply?.text.length ?? 0));
      savedLagMs.push(firstMissing ? killedAt - firstMissing.at : 0);
      expect(savedLagMs.at(-1), `reply ${round}: the disk was ${savedLagMs.at(-1)?.toFixed(0)} ms behind the stream`).toBeLessThanOrEqual(
        SAVE_EVERY_MS + WRITE_SLACK_MS,
      );

      await waitUntil(`engine ready after kill ${round}`, () => readyAt.length > readyBefore, 30_000);
      restartMs.push((readyAt[readyBefore] as number) - killedAt);
      expect(core.engine.pid).not.toBe(pid);
      await waitUntil(`model reloaded after kill ${round}`, () => modelAt.length > modelsBefore, 30_000);
      reloadMs.push((modelAt[modelsBefore] as number) - killedAt);

      // The interrupted reply is kept, and the retry (a new message with a "Retried…" note) finishes.
      await waitUntil(`interrupted status of reply ${round}`, () => message(ids.assistantMessageId)?.status === 'interrupted');
      const index = core.chat.current.messages.findIndex((m) => m.id === ids.assistantMessageId);
      await waitUntil(`retry of reply ${round} to start`, () => core.chat.current.messages[index + 1]?.note?.startsWith('Retried') === true);
      const retry = core.chat.current.messages[index + 1] as ChatMessage;
      await waitUntil(`retry ${round} to finish`, () => message(retry.id)?.status !== 'streaming' && !core.chat.generating, 120_000);
      expect({ status: message(retry.id)?.status, error: message(retry.id)?.error }).toEqual({ status: 'done', error: undefined });
      // No smaller model in this folder: the retry runs on the same one.
      expect(message(retry.id)?.model).toBe(message(ids.assistantMessageId)?.model);
      // And on disk: the interrupted reply with all it streamed, then its one retry, finished.
      await waitUntil(`retry ${round} saved`, () => readSaved().messages.find((m) => m.id === retry.id)?.status === 'done', 10_000);
      const afterRetry = readSaved().messages;
      const savedInterrupted = afterRetry.find((m) => m.id === ids.assistantMessageId);
      expect({ status: savedInterrupted?.status, text: savedInterrupted?.text }).toEqual({
        status: 'interrupted',
        text: message(ids.assistantMessageId)?.text,
      });
      core.chat.setMaxTokens(MAX_TOKENS);
      console.log(
        `kill ${String(round).padStart(2)}: ${tokensAtKill.at(-1)} tokens streamed, on disk ${savedLagMs.at(-1)?.toFixed(0)} ms behind, engine ready after ${restartMs.at(-1)?.toFixed(0)} ms, model back after ${reloadMs.at(-1)?.toFixed(0)} ms, retry ${message(retry.id)?.status}`,
      );
    }

    // Everything below is read back from the file, not from memory.
    const messages = readSaved().messages;
    expect(messages.length).toBe(core.chat.current.messages.length);
    // 0 user messages lost.
    const users = messages.filter((m) => m.role === 'user');
    const lost = sent.filter((s) => !users.some((u) => u.id === s.userMessageId && u.text === s.text));
    // Each interrupted reply retried exactly once: right after it, one assistant message with a Retried note.
    const retriedOnce = sent.filter((s) => {
      const index = messages.findIndex((m) => m.id === s.assistantMessageId);
      const interrupted = messages[index];
      const after = messages.slice(index + 1, messages.findIndex((m, i) => i > index && m.role === 'user') >>> 0);
      const retries = after.filter((m) => m.role === 'assistant' && m.note?.startsWith('Retried'));
      return interrupted?.status === 'interrupted' && retries.length === 1 && after.length === 1;
    });
    const interruptedCount = messages.filter((m) => m.status === 'interrupted').length;
    const retryNotices = events.filter(
      (e) => e.event === 'onNotice' && /Mai restarted it and is answering again/.test((e.payload as { message: string }).message),
    ).length;

    console.log(
      `engine SIGKILLed ${KILLS} times mid-reply: restart (kill → engine ready) max ${Math.max(...restartMs).toFixed(0)} ms, median ${median(restartMs).toFixed(0)} ms;` +
        ` model back max ${Math.max(...reloadMs).toFixed(0)} ms, median ${median(reloadMs).toFixed(0)} ms; user messages lost ${lost.length}/${KILLS};` +
        ` interrupted ${interruptedCount}, retried exactly once ${retriedOnce.length}/${KILLS}; engine restarts counted ${core.engine.status.restarts};` +
        ` saved reply behind the stream at the kill: max ${Math.max(...savedLagMs).toFixed(0)} ms, median ${median(savedLagMs).toFixed(0)} ms (all read from ${path.basename(conversationFile())})`,
    );

    expect(restartMs).toHaveLength(KILLS);
    expect(Math.max(...restartMs)).toBeLessThan(2000);
    expect(lost).toEqual([]);
    expect(users).toHaveLength(KILLS);
    expect(interruptedCount).toBe(KILLS);
    expect(retriedOnce).toHaveLength(KILLS);
    expect(retryNotices).toBe(KILLS);
    expect(core.engine.status.restarts).toBe(KILLS);
    expect(core.engine.status.state).toBe('ready');
  });
});
