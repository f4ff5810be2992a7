/**
 * The test model on a real tokenizer and chat template (tests/fixtures/real-tokenizer-model.ts)
 * behaves like a real model: node-llama-cpp recognises its template, its BPE tokenizer carries
 * accented, CJK and emoji text unchanged, and replies end with the end-of-sequence token by
 * themselves — in node-llama-cpp directly and through Mai's engine process and chat.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { getLlama, LlamaChatSession, LlamaLogLevel, readGgufFileInfo, resolveChatWrapper, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaCppSourceFile } from '../fixtures/llama-cpp-source';
import { LLAMA32_TEST_MODEL, QWEN25_TEST_MODEL, type RealTokenizerModelSpec } from '../fixtures/real-tokenizer-model';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureRealTokenizerModel } from '../helpers/real-tokenizer-model';

/** Text a user may type: accents, CJK split inside a character by the tokenizer, emoji, a ZWJ sequence. */
const MULTILINGUAL = [
  'Café 東京 🎉',
  'naïve déjà vu — ½ € ü ß',
  'Grüße aus München! Ça va? ¿Qué tal?',
  '日本語のテキストと한국어',
  '👩‍👩‍👧 family, 🇫🇷 flag',
  'tabs\tand\nnew lines  ',
];
/** Mai's engine samples with these (electron/engine/llama-engine.ts). */
const MAI_SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;
const MAX_TOKENS = 256;

let modelPath: string;
beforeAll(async () => {
  modelPath = await ensureRealTokenizerModel();
});

describe('in node-llama-cpp', () => {
  let model: LlamaModel;
  let context: LlamaContext;
  /** One session on the context's only sequence, its history reset before each reply. */
  let session: LlamaChatSession;
  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath });
    context = await model.createContext({ contextSize: 2048, threads: 1 });
    session = new LlamaChatSession({ contextSequence: context.getSequence() });
  });
  afterAll(async () => {
    session?.dispose();
    await context?.dispose();
    await model?.dispose();
  });

  it("carries Qwen2's real tokenizer and template, and node-llama-cpp resolves the template to its ChatML wrapper", async () => {
    const vocab = await readGgufFileInfo(await llamaCppSourceFile('models/ggml-vocab-qwen2.gguf'), { logWarnings: false });
    const own = model.fileInfo.metadata as unknown as {
      general: { architecture: string };
      tokenizer: { chat_template: string; ggml: { model: string; tokens: string[]; eos_token_id: number } };
    };
    const theirs = vocab.metadata as unknown as typeof own;
    expect(own.general.architecture).toBe('qwen2');
    expect(own.tokenizer.ggml.model).toBe('gpt2');
    expect(own.tokenizer.ggml.tokens).toHaveLength(151_936);
    expect(own.tokenizer.ggml.tokens).toEqual(theirs.tokenizer.ggml.tokens);
    expect(own.tokenizer.chat_template).toBe(theirs.tokenizer.chat_template);
    expect(model.tokens.eos).toBe(151_643);

    // Matched against the Jinja template, not the generic fallback nor a Jinja interpreter.
    const resolved = resolveChatWrapper({ fileInfo: model.fileInfo, filename: modelPath });
    expect(resolved?.constructor.name).toBe('ChatMLChatWrapper');
    expect(session.chatWrapper.constructor.name).toBe('ChatMLChatWrapper');
    const { contextText } = session.chatWrapper.generateContextState({
      chatHistory: [
        { type: 'user', text: 'Hi' },
        { type: 'model', response: [] },
      ],
    });
    expect(contextText.toString()).toContain('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('tokenizes accented, CJK and emoji text with BPE merges and detokenizes it unchanged', () => {
    for (const text of MULTILINGUAL) {
      const tokens = model.tokenize(text);
      expect(model.detokenize(tokens), text).toBe(text);
      expect(tokens.length, `${text}: merged, not byte by byte`).toBeLessThan(Buffer.byteLength(text, 'utf8'));
    }
    // " 東京" is three tokens, split inside 東: the round trip above crossed a partial UTF-8 character.
    const split = model.tokenize('Café 東京 🎉').map((token) => model.detokenize([token]));
    expect(split.some((piece) => piece.includes('\uFFFD'))).toBe(true);
  });

  it('ends every reply with the end-of-sequence token, after a sentence, long before the token limit', async () => {
    const lengths: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      session.resetChatHistory();
      let tokens = 0;
      const prompt = MULTILINGUAL[seed % MULTILINGUAL.length] ?? '';
      // Seed 1..11 sample as Mai does; the last one is greedy (node-llama-cpp's default).
      const sampling = seed < 12 ? { ...MAI_SAMPLING, seed } : {};
      const reply = await session.promptWithMeta(prompt, { maxTokens: MAX_TOKENS, ...sampling, onToken: (chunk) => void (tokens += chunk.length) });
      expect(reply.stopReason, `seed ${seed}: ${reply.responseText}`).toBe('eogToken');
      expect(reply.responseText).toMatch(/^[A-Z]\S*( \S+)*\.$/u);
      expect(reply.responseText).not.toContain('\uFFFD');
      lengths.push(tokens);
    }
    console.log(`reply lengths in tokens (limit ${MAX_TOKENS}): ${lengths.join(', ')}`);
    expect(Math.max(...lengths)).toBeLessThan(MAX_TOKENS);
  });

  it('gives the same reply for the same sampling seed', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 2; i++) {
      session.resetChatHistory();
      replies.push(await session.prompt('Tell me a story.', { maxTokens: MAX_TOKENS, ...MAI_SAMPLING, seed: 42 }));
    }
    expect(replies[0]).toBe(replies[1]);
    expect(replies[0]).toMatch(/\.$/);
  });
});

/** Other real templates: node-llama-cpp picks a different wrapper for each; replies still end by themselves. */
const VARIANTS: { id: string; spec: RealTokenizerModelSpec; wrapperName: string }[] = [
  { id: QWEN25_TEST_MODEL.id, spec: QWEN25_TEST_MODEL, wrapperName: 'QwenChatWrapper' },
  { id: LLAMA32_TEST_MODEL.id, spec: LLAMA32_TEST_MODEL, wrapperName: 'JinjaTemplateChatWrapper' },
];
describe.each(VARIANTS)('$id', ({ spec, wrapperName }) => {
  it(`is run by ${wrapperName}, keeps multilingual text and ends its replies with EOS`, async () => {
    const file = await ensureRealTokenizerModel(spec);
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: file });
    const context = await model.createContext({ contextSize: 2048, threads: 1 });
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    try {
      expect(session.chatWrapper.constructor.name).toBe(wrapperName);
      for (const text of MULTILINGUAL) expect(model.detokenize(model.tokenize(text)), text).toBe(text);
      for (let seed = 1; seed <= 4; seed++) {
        session.resetChatHistory();
        const reply = await session.promptWithMeta(MULTILINGUAL[seed] ?? '', { maxTokens: MAX_TOKENS, ...MAI_SAMPLING, seed });
        expect(reply.stopReason, `seed ${seed}: ${reply.responseText}`).toBe('eogToken');
        expect(reply.responseText).toMatch(/^[A-Z]\S*( \S+)*\.$/u);
      }
    } finally {
      session.dispose();
      await context.dispose();
      await model.dispose();
    }
  });
});

describe("through Mai's engine process and chat", () => {
  let harness: ReturnType<typeof createTestCore>;
  let userData: string;
  afterAll(async () => {
    await harness?.core.shutdown();
    if (userData) await rm(userData, { recursive: true, force: true });
  });

  it('answers a message with accents and emoji in a reply that ends by itself; the saved conversation keeps both texts', async () => {
    userData = tempDir('mai-real-tokenizer-');
    const conversationsDir = path.join(userData, 'conversations');
    const options = { modelsDir: path.dirname(modelPath), initialModelPath: modelPath, conversationsDir, discoverOtherApps: false, maxTokens: MAX_TOKENS };
    harness = createTestCore(options);
    const { core, events, waitFor } = harness;
    await core.start();
    expect(core.models.current).toMatchObject({ path: modelPath, name: 'Mai test model (qwen2 tokenizer)', synthetic: false });

    const text = 'Café 東京 🎉';
    const { assistantMessageId } = await core.handlers['chat:send']({ text });
    const { message: reply } = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(reply.status).toBe('done');
    expect(reply.stats?.tokens).toBeGreaterThan(0);
    expect(reply.stats?.tokens, 'ended before the limit').toBeLessThan(MAX_TOKENS);
    expect(reply.text).toMatch(/\.$/);
    const streamed = events
      .filter((e) => e.event === 'onChatToken' && (e.payload as { messageId: string }).messageId === assistantMessageId)
      .map((e) => (e.payload as { text: string }).text)
      .join('');
    expect(streamed).toBe(reply.text);

    // The engine process the app uses says why the reply ended: the end-of-sequence token.
    const direct = await core.engine.call('chat:generate', { requestId: 'direct', history: [{ role: 'user', text }], maxTokens: MAX_TOKENS });
    expect(direct.stopReason).toBe('eogToken');

    const conversationId = core.chat.current.id;
    await core.shutdown();
    const saved = JSON.parse(await readFile(path.join(conversationsDir, `${conversationId}.json`), 'utf8')) as { messages: { text: string }[] };
    expect(saved.messages.map((m) => m.text)).toEqual([text, reply.text]);

    // Mai started again reads it back unchanged.
    harness = createTestCore(options);
    await harness.core.start();
    const reopened = await harness.core.handlers['conversations:open']({ id: conversationId });
    expect(reopened.messages.map((m) => m.text)).toEqual([text, reply.text]);
    expect(reopened.messages[1]?.status).toBe('done');
  });
});
