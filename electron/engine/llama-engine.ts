/**
 * The model lifecycle over node-llama-cpp: load one GGUF, keep one chat session whose KV cache is
 * reused while the conversation grows, stream a reply, stop it keeping the partial text.
 */
import os from 'node:os';
import path from 'node:path';
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaChatSession, LlamaContext, LlamaModel } from 'node-llama-cpp';
import type { ChatTurn, LoadedModel, LogLevel } from '../../shared/domain';
import { MaiError } from '../../shared/errors';
import { assertLooksLikeGguf, checkGguf } from './gguf-peek';
import { withBinaryTestInMain } from './llama-binary';
import { createChatContext, type ChatContext } from './llama-context';
import { estimateGguf } from './llama-estimate';
import type { GenerateRequest, GenerateResult, ModelRuntime, RuntimeEstimate, RuntimeLoadRequest, RuntimeMeasure } from './models/model-runtime';
import { defaultThreadCount } from './resource/policy/threads';

export type { GenerateRequest, GenerateResult } from './models/model-runtime';

/** A model load as the engine protocol's `model:load` asks for it. */
export interface LoadRequest extends RuntimeLoadRequest {
  threads?: number;
}

type Logger = (level: LogLevel, message: string) => void;

/**
 * Sampling defaults close to LM Studio's and Ollama's: greedy decoding (the library default) makes
 * small models loop on one phrase.
 */
const DEFAULT_SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;

/** Tokens kept free for the reply when checking whether a prompt fits the context. */
const MIN_REPLY_ROOM = 64;
/** Reply length assumed when warming a conversation into a new model ahead of the next message. */
const DEFAULT_REPLY_TOKENS = 512;

/**
 * Tokens kept free for the reply when old turns must be left out: the reply's own limit, but at
 * most a quarter of the context, so a long limit does not evict the conversation it answers.
 */
function replyRoom(contextSize: number, maxTokens: number): number {
  return Math.max(MIN_REPLY_ROOM, Math.min(maxTokens, Math.floor(contextSize / 4)));
}

interface Loaded {
  info: LoadedModel;
  model: LlamaModel;
  context: LlamaContext;
  session: LlamaChatSession;
  /** What was asked for: a later load of the same file with another cost only recreates the context. */
  request: LoadRequest;
}

/** Whether `next` is the model `current` loaded (same file, same GPU layers), maybe at another context cost. */
function sameModel(current: LoadRequest, next: LoadRequest): boolean {
  return current.path === next.path && current.gpuLayers === next.gpuLayers;
}

async function disposeLoaded(loaded: Loaded): Promise<void> {
  loaded.session.dispose();
  await loaded.context.dispose();
  await loaded.model.dispose();
}

function toChatHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
  return turns.map((turn): ChatHistoryItem => {
    switch (turn.role) {
      case 'system':
        return { type: 'system', text: turn.text };
      case 'user':
        return { type: 'user', text: turn.text };
      case 'assistant':
        return { type: 'model', response: [turn.text] };
      default:
        return turn.role satisfies never;
    }
  });
}

/** The node-llama-cpp runtime: models run in this (the engine's) process. */
export class LlamaEngine implements ModelRuntime {
  readonly id = 'llama';
  private llama: Promise<Llama> | null = null;
  private loaded: Loaded | null = null;
  private loading: Promise<LoadedModel> | null = null;
  private active: { requestId: string; controller: AbortController } | null = null;
  /** The history the session holds, so an unchanged prefix keeps its KV cache. */
  private sessionHistoryKey = '';
  private lastPrompt: string | null = null;
  private threadCap: number | null = null;
  /** A model loaded ahead of a switch (see `prepare`). */
  private prepared: { request: LoadRequest; task: Promise<Loaded | null>; ready: boolean } | null = null;
  /** llama.cpp's reason for the load in progress failing, from its log. */
  private loadFailure: string | null = null;
  private activeRun: Promise<GenerateResult> | null = null;
  /** Model files read by llama.cpp so far (loads and loads ahead): a cascade step that only recreates the context adds none. */
  modelLoads = 0;
  /**
   * Chat wrappers by model path. Resolving one from a model's template costs ~0.5 s (it matches
   * the Jinja template against known formats), which would otherwise land on every model switch.
   */
  private readonly wrappers = new Map<string, ChatWrapper>();

  constructor(private readonly log: Logger) {}

  get busy(): boolean {
    return this.active !== null || this.loading !== null;
  }

  getLlama(): Promise<Llama> {
    this.llama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
      // The binary test runs in a process main starts (llama-binary.ts): this one cannot fork under the fuses.
      withBinaryTestInMain(
        () =>
          getLlama({
            // CUDA, Vulkan or Metal when node-llama-cpp detects one; CPU otherwise. Never build or
            // download: these machines cannot, and a prebuilt binary ships in the npm package.
            gpu: process.env.MAI_GPU === 'off' ? false : 'auto',
            build: 'never',
            logLevel: LlamaLogLevel.warn,
            logger: (level, message) => {
              const text = message.trim();
              if (!text) return;
              const isError = level === LlamaLogLevel.error || level === LlamaLogLevel.fatal;
              // llama.cpp says why a load failed only here; the exception just says "Failed to load model".
              const cause = /error loading model: (.+)/.exec(text)?.[1];
              if (cause && this.loading) this.loadFailure = cause.slice(0, 500);
              this.log(isError ? 'error' : level === LlamaLogLevel.warn ? 'warn' : 'debug', text);
            },
          }),
        this.log,
      ),
    );
    return this.llama;
  }

  async load(request: LoadRequest): Promise<LoadedModel> {
    if (this.active) throw new MaiError('busy', 'A reply is being generated; stop it before switching models.');
    if (this.loading) throw new MaiError('busy', 'A model is already loading.');
    this.loading = this.doLoad(request);
    try {
      return await this.loading;
    } finally {
      this.loading = null;
    }
  }

  private async doLoad(request: LoadRequest): Promise<LoadedModel> {
    const sizeBytes = await assertLooksLikeGguf(request.path);
    const current = this.loaded;
    // A cascade step of the model in use: only its context changes.
    if (current && sameModel(current.request, request)) return this.recreateContext(current, request);
    const started = performance.now();
    const prepared = await this.takePrepared(request);
    await this.unload();
    let loaded: Loaded;
    if (prepared) {
      // Loaded during the last reply: the switch costs only the swap.
      loaded = { ...prepared, info: { ...prepared.info, loadMs: performance.now() - started } };
    } else {
      loaded = await this.createLoaded(request, sizeBytes);
      loaded.info = { ...loaded.info, loadMs: performance.now() - started };
    }
    this.loaded = loaded;
    this.sessionHistoryKey = '';
    const { info } = loaded;
    this.log(
      'info',
      `loaded ${info.name} (${(sizeBytes / 1e6).toFixed(1)} MB) in ${info.loadMs.toFixed(0)} ms${prepared ? ' (prepared during the last reply)' : ''}, context ${info.contextSize}, ${info.threads} threads, gpu ${String(info.gpu)}`,
    );
    return info;
  }

  /**
   * Loads a model and its context without touching the one in use. The thread cap is raised to
   * every math core while the context is created (llama-context.ts), also for a model loaded ahead during
   * a reply: that reply may then run a batch or two on more threads, while a context created under
   * a lowered cap could never use more threads than that cap, for as long as it lives.
   */
  private async createLoaded(request: LoadRequest, sizeBytes: number): Promise<Loaded> {
    const llama = await this.getLlama();
    let model: LlamaModel;
    this.loadFailure = null;
    this.onLoading(request.path, false);
    try {
      // GPU layers are fixed when the model loads (node-llama-cpp's loadModel): a step that changes them reloads the model.
      model = await llama.loadModel({ modelPath: request.path, ...(request.gpuLayers !== undefined ? { gpuLayers: request.gpuLayers } : {}) });
    } catch (error) {
      const reason = this.loadFailure ?? (error as Error).message;
      throw new MaiError('model-load-failed', `Could not load ${path.basename(request.path)}: ${reason}`);
    } finally {
      this.onLoading(request.path, true);
    }
    this.modelLoads++;
    const threads = request.threads ?? this.threadCap ?? defaultThreadCount(llama.cpuMathCores, os.availableParallelism());
    let chat: ChatContext;
    try {
      chat = await createChatContext(llama, model, request, threads, this.wrappers.get(request.path));
    } catch (error) {
      await model.dispose();
      throw error;
    }
    this.wrappers.set(request.path, chat.session.chatWrapper);
    const metadata = model.fileInfo.metadata as { general?: { name?: unknown }; mai?: { synthetic?: unknown } };
    const info: LoadedModel = {
      path: request.path,
      name: typeof metadata.general?.name === 'string' ? metadata.general.name : path.basename(request.path, '.gguf'),
      sizeBytes,
      synthetic: metadata.mai?.synthetic === true,
      contextSize: chat.context.contextSize,
      threads,
      gpu: llama.gpu,
      gpuLayers: model.gpuLayers,
      loadMs: 0,
    };
    return { info, model, ...chat, request };
  }

  /**
   * A cascade step of the model in use (same file, same GPU layers, another context size or KV-cache
   * type): the context and session are disposed first, so the step frees its memory before asking
   * for any, and recreated at the new cost; the model stays loaded. If the new context cannot be
   * created, the previous one is recreated and the load rejects saying so; if even that fails,
   * nothing is left loaded. The conversation is not lost: the manager warms it into the new context
   * (`preloadHistory`), as after a switch.
   */
  private async recreateContext(current: Loaded, request: LoadRequest): Promise<LoadedModel> {
    const started = performance.now();
    const llama = await this.getLlama();
    // A model loaded ahead for another switch is not what this move wants: its memory goes first.
    await this.discardPrepared();
    this.loaded = null;
    this.sessionHistoryKey = '';
    current.session.dispose();
    await current.context.dispose();
    const threads = request.threads ?? this.threadCap ?? current.info.threads;
    const wrapper = this.wrappers.get(request.path);
    let chat: ChatContext;
    try {
      chat = await createChatContext(llama, current.model, request, threads, wrapper);
    } catch (error) {
      const failure = (error as Error).message;
      try {
        chat = await createChatContext(llama, current.model, current.request, threads, wrapper);
      } catch {
        await current.model.dispose();
        throw new MaiError('model-load-failed', `${failure} Its previous context could not be recreated either, so no model is loaded.`);
      }
      this.loaded = { ...current, ...chat };
      throw new MaiError('model-load-failed', `${failure} ${current.info.name} keeps its previous ${current.info.contextSize}-token context.`);
    }
    const info: LoadedModel = { ...current.info, contextSize: chat.context.contextSize, threads, loadMs: performance.now() - started };
    this.loaded = { ...current, ...chat, info, request };
    this.log(
      'info',
      `${info.name}: context recreated in ${info.loadMs.toFixed(0)} ms, ${info.contextSize} tokens, KV cache ${request.kvCacheType ?? 'f16'} (the model stayed loaded)`,
    );
    return info;
  }

  /**
   * Called when llama.cpp starts reading a model file (`done` false) and when it has finished or
   * failed (`done` true), for loads and for models loaded ahead alike: if the process dies in
   * between, that file is to blame. The engine entry overrides it to tell main.
   */
  protected onLoading(_modelPath: string, _done: boolean): void {}

  /**
   * Starts loading `request` next to the model in use (allowed while a reply runs), so that the
   * next `load()` of the same file and context size only swaps it in. The caller checks that memory
   * has room for both. A failure here is only logged: the later `load()` loads afresh and reports.
   */
  prepare(request: LoadRequest): void {
    if (this.prepared || this.loading) return;
    // A cascade step of the model in use recreates only its context: a second copy would double the weights.
    if (this.loaded && sameModel(this.loaded.request, request)) return;
    const task = (async () => {
      const sizeBytes = await assertLooksLikeGguf(request.path);
      return this.createLoaded(request, sizeBytes);
    })().catch((error: Error) => {
      this.log('debug', `${path.basename(request.path)} not prepared ahead: ${error.message}`);
      return null;
    });
    const entry = { request, task, ready: false };
    this.prepared = entry;
    void task.then((loaded) => {
      entry.ready = loaded !== null;
    });
  }

  /** Whether `modelPath` is being (or has been) loaded ahead. */
  isPrepared(modelPath: string): boolean {
    return this.prepared?.request.path === modelPath;
  }

  /** The file loaded ahead and ready to swap in, or null. */
  get preparedPath(): string | null {
    return this.prepared?.ready ? this.prepared.request.path : null;
  }

  /** Frees a model loaded ahead that will not be used (the switch was dropped or went elsewhere). */
  async discardPrepared(): Promise<void> {
    const entry = this.prepared;
    this.prepared = null;
    const loaded = await entry?.task;
    if (loaded) await disposeLoaded(loaded);
  }

  /** The prepared model if it is the one `request` asks for; any other prepared model is freed. */
  private async takePrepared(request: LoadRequest): Promise<Loaded | null> {
    const entry = this.prepared;
    if (!entry) return null;
    const same =
      sameModel(entry.request, request) &&
      entry.request.contextSize === request.contextSize &&
      (entry.request.kvCacheType ?? 'f16') === (request.kvCacheType ?? 'f16') &&
      request.threads === undefined;
    if (!same) {
      await this.discardPrepared();
      return null;
    }
    this.prepared = null;
    return entry.task;
  }

  async unload(): Promise<boolean> {
    const loaded = this.loaded;
    if (!loaded) return false;
    this.loaded = null;
    await disposeLoaded(loaded);
    return true;
  }

  get model(): LoadedModel | null {
    return this.loaded?.info ?? null;
  }

  async generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const loaded = this.loaded;
    if (!loaded) throw new MaiError('no-model', 'No model is loaded.');
    if (this.active || this.loading) throw new MaiError('busy', 'The engine is busy with another reply.');
    const last = request.history.at(-1);
    if (!last || last.role !== 'user') throw new MaiError('bad-request', 'The history must end with a user message.');
    const controller = new AbortController();
    this.active = { requestId: request.requestId, controller };
    const running = this.run(loaded, request, last.text, controller.signal, onText);
    this.activeRun = running;
    try {
      return await running;
    } finally {
      this.active = null;
      this.activeRun = null;
    }
  }

  /**
   * Resolves a model's chat wrapper from its file header ahead of time (while idle), so switching
   * to it later does not pay for it. Synchronous work of ~0.5 s on this thread: call only when idle.
   */
  async prepareChatWrapper(modelPath: string): Promise<void> {
    if (this.wrappers.has(modelPath) || this.active || this.loading) return;
    // node-llama-cpp's header reader trusts the file's counts: a malformed header kills the process.
    await checkGguf(modelPath);
    const { readGgufFileInfo, resolveChatWrapper } = await import('node-llama-cpp');
    const fileInfo = await readGgufFileInfo(modelPath, { logWarnings: false });
    if (this.active || this.loading) return;
    const wrapper = resolveChatWrapper({ fileInfo, filename: modelPath });
    if (wrapper) this.wrappers.set(modelPath, wrapper);
  }

  /**
   * Evaluates a conversation into the (new) model's context ahead of the next message, so that a
   * model switch costs the next reply only its own new tokens. Skipped when a reply is running.
   */
  async preloadHistory(turns: readonly ChatTurn[]): Promise<void> {
    const loaded = this.loaded;
    if (!loaded || this.active || this.loading || turns.length === 0) return;
    // A smaller context after a switch: warm only what the next reply will keep.
    const history = toChatHistory(this.fitHistory(loaded, turns, replyRoom(loaded.info.contextSize, DEFAULT_REPLY_TOKENS)).turns);
    const key = JSON.stringify(history);
    if (key === this.sessionHistoryKey) return;
    loaded.session.setChatHistory(history);
    this.sessionHistoryKey = key;
    try {
      await loaded.session.preloadPrompt('');
    } catch (error) {
      // A failed warm-up only costs speed: the next reply evaluates the history itself.
      this.sessionHistoryKey = '';
      this.log('debug', `history preload skipped: ${(error as Error).message}`);
    }
  }

  /** Resolves once no reply is being generated (an aborted one has unwound). */
  async whenIdle(): Promise<void> {
    await this.activeRun?.catch(() => {});
  }

  private async run(loaded: Loaded, request: GenerateRequest, prompt: string, signal: AbortSignal, onText: (text: string) => void): Promise<GenerateResult> {
    const { session, info } = loaded;
    const systemTurns = request.history.filter((turn) => turn.role === 'system');
    this.assertFits(loaded, [...systemTurns, { role: 'user', text: prompt }]);
    const fitted = this.fitHistory(loaded, request.history, replyRoom(info.contextSize, request.maxTokens));
    const before = toChatHistory(fitted.turns.slice(0, -1));
    // Only reset the session when the conversation is not the one it already holds, so that the
    // evaluated prefix (and its KV cache) is reused turn after turn.
    const key = JSON.stringify(before);
    if (key !== this.sessionHistoryKey) session.setChatHistory(before);
    // Rendered now: it must stay readable after the model is switched or unloaded.
    this.lastPrompt = session.chatWrapper
      .generateContextState({ chatHistory: [...before, { type: 'user', text: prompt }, { type: 'model', response: [] }] })
      .contextText.toString();

    const started = performance.now();
    let firstAt = 0;
    let lastAt = 0;
    let tokens = 0;
    let streamed = '';
    const meta = await session
      .promptWithMeta(prompt, {
        signal,
        stopOnAbortSignal: true,
        maxTokens: request.maxTokens,
        ...DEFAULT_SAMPLING,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        onToken: (chunk) => {
          tokens += chunk.length;
          lastAt = performance.now();
          if (!firstAt) firstAt = lastAt;
        },
        onTextChunk: (text) => {
          if (!text) return;
          streamed += text;
          onText(text);
        },
      })
      .catch((error: unknown) => {
        // Stopped before the first token (while the prompt was evaluated): node-llama-cpp throws an
        // AbortError there instead of returning. A stop is not a failure: return what was said.
        if (!signal.aborted) throw error;
        return { responseText: streamed, stopReason: 'abort' as const };
      });
    this.sessionHistoryKey = JSON.stringify(session.getChatHistory());
    const end = performance.now();
    const genSeconds = tokens > 1 ? (lastAt - firstAt) / 1000 : 0;
    return {
      requestId: request.requestId,
      text: meta.responseText,
      stopReason: meta.stopReason,
      model: info.name,
      ...(fitted.dropped > 0 ? { droppedTurns: fitted.dropped } : {}),
      stats: {
        tokens,
        ttftMs: firstAt ? firstAt - started : end - started,
        tokensPerSecond: genSeconds > 0 ? (tokens - 1) / genSeconds : 0,
        durationMs: end - started,
      },
    };
  }

  /** Tokens the conversation takes with the chat template applied, up to the reply's start. */
  private promptTokens(loaded: Loaded, turns: readonly ChatTurn[]): number {
    const { contextText } = loaded.session.chatWrapper.generateContextState({ chatHistory: [...toChatHistory(turns), { type: 'model', response: [] }] });
    return contextText.tokenize(loaded.model.tokenizer).length;
  }

  /**
   * The conversation cut to fit the context with `room` tokens left for the reply: the oldest
   * turns go first (a user turn together with the reply that followed it); system turns and the
   * last turn always stay. `dropped` counts the turns left out.
   */
  private fitHistory(loaded: Loaded, history: readonly ChatTurn[], room: number): { turns: ChatTurn[]; dropped: number } {
    const limit = loaded.info.contextSize - room;
    let turns = [...history];
    let dropped = 0;
    while (this.promptTokens(loaded, turns) > limit) {
      const oldest = turns.findIndex((turn, i) => turn.role !== 'system' && i < turns.length - 1);
      if (oldest < 0) break;
      // A reply without the question before it only confuses the model: drop the pair.
      const count = turns[oldest]?.role === 'user' && turns[oldest + 1]?.role === 'assistant' && oldest + 1 < turns.length - 1 ? 2 : 1;
      turns = [...turns.slice(0, oldest), ...turns.slice(oldest + count)];
      dropped += count;
    }
    return { turns, dropped };
  }

  /** Refuses, with the figures, a prompt that could not fit the context even with all history dropped. */
  private assertFits(loaded: Loaded, turns: ChatTurn[]): void {
    const needed = this.promptTokens(loaded, turns);
    const room = loaded.info.contextSize - MIN_REPLY_ROOM;
    if (needed > room) {
      throw new MaiError(
        'prompt-too-long',
        `The message is ${needed} tokens long but ${loaded.info.name} holds ${loaded.info.contextSize} tokens of context (${MIN_REPLY_ROOM} kept for the reply). Shorten the message.`,
      );
    }
  }

  /** VRAM in use on the GPU the engine runs on, bytes; 0 on CPU. */
  async vramUsedBytes(): Promise<number> {
    const llama = await this.getLlama();
    if (!llama.gpu) return 0;
    return (await llama.getVramState()).used;
  }

  /** Caps the CPU threads inference uses from now on (takes effect at the next batch). */
  setThreads(threads: number): void {
    const value = Math.max(1, Math.round(threads));
    this.threadCap = value;
    void this.llama?.then((llama) => {
      if (llama.maxThreads !== value) llama.maxThreads = value;
    });
    if (this.loaded) this.loaded.info = { ...this.loaded.info, threads: value };
  }

  stop(requestId: string): boolean {
    if (this.active?.requestId !== requestId) return false;
    this.active.controller.abort();
    return true;
  }

  /** The prompt text (chat template applied) that the model saw for the last reply. */
  lastPromptText(): string | null {
    return this.lastPrompt;
  }

  /** Refuses a missing or malformed GGUF file before anything is unloaded; its size, bytes. */
  check(modelPath: string): Promise<number> {
    return assertLooksLikeGguf(modelPath);
  }

  /** node-llama-cpp's estimate of the model and a `contextSize` context on the CPU (GGUF insights). */
  async estimate(modelPath: string, sizeBytes: number, contextSize: number): Promise<RuntimeEstimate> {
    return estimateGguf(await this.getLlama(), modelPath, sizeBytes, contextSize, 0, (message) => this.log('warn', message));
  }

  /** This process's resident memory and the GPU's VRAM in use (0 when it cannot be read). */
  async measure(): Promise<RuntimeMeasure> {
    return { residentBytes: process.memoryUsage.rss(), vramUsedBytes: await this.vramUsedBytes().catch(() => 0) };
  }
}
