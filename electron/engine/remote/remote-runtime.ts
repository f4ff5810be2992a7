/**
 * A `ModelRuntime` on an OpenAI-compatible server (llama.cpp's llama-server, vLLM, Ollama, LM
 * Studio): a rung's model is the model's id on the server. "Loading" checks that the server is
 * healthy and serves the model and reads its context size; a reply streams from
 * `/v1/chat/completions` in this (the engine) process; nothing runs on this machine, so the
 * memory it takes here is none and the thread count is the server's business.
 */
import type { ChatTurn, LoadedModel, LogLevel, StopReason } from '../../../shared/domain';
import type { RemoteEngine, RemoteFigures, RemoteTimings } from '../../../shared/remote';
import type { GenerateRequest, GenerateResult, ModelRuntime, RuntimeEstimate, RuntimeLoadRequest, RuntimeMeasure } from '../models/model-runtime';
import { RemoteFigureBook } from './remote-figures';
import { RemoteError } from './remote-error';
import { RemoteServer, type ServerProbe } from './remote-server';
import { streamChat, type ApiMessage } from './remote-stream';
import { DEFAULT_MAX_EVENT_BYTES } from './sse';

/** No byte from the server for this long is a hang, ms (a long prompt on a slow server still sends its first byte within it). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Context assumed when the server does not say (`/props` is llama-server's), tokens. */
const DEFAULT_CONTEXT = 4096;
/** Tokens kept free for the reply at least. */
const MIN_REPLY_ROOM = 64;
/**
 * Tokens a turn is counted as without the server's tokenizer: a third of its characters (BPE
 * vocabularies average about four per token in English, so this errs long) plus the template's
 * few tokens around each message.
 */
function estimateTokens(turn: ChatTurn): number {
  return Math.ceil(turn.text.length / 3) + 8;
}

/** Settings of one remote runtime. */
export interface RemoteRuntimeOptions {
  engine: RemoteEngine;
  /** The runtime's id on rungs; default `remote:<host>`. */
  id?: string;
  /** See DEFAULT_IDLE_TIMEOUT_MS, ms. */
  idleTimeoutMs?: number;
  /** Cap on one SSE event, bytes; default 256 KB. */
  maxEventBytes?: number;
  log: (level: LogLevel, message: string) => void;
}

/** One server as a runtime (see the file comment). */
export class RemoteRuntime implements ModelRuntime {
  readonly id: string;
  readonly server: RemoteServer;
  /** Measured figures per model on this server. */
  readonly figureBook = new RemoteFigureBook();
  /** llama-server's own figures for the last reply (null when the server gives none), for the benchmark. */
  lastServerTimings: RemoteTimings | null = null;
  private loaded: LoadedModel | null = null;
  private readonly running = new Map<string, AbortController>();
  private activeRun: Promise<unknown> | null = null;
  private readonly idleTimeoutMs: number;
  private readonly maxEventBytes: number;

  constructor(private readonly options: RemoteRuntimeOptions) {
    this.server = new RemoteServer(options.engine);
    this.id = options.id ?? `remote:${this.server.host}`;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  get model(): LoadedModel | null {
    return this.loaded;
  }

  /** `host:port` of the server, as the user is told where the conversation goes. */
  get host(): string {
    return this.server.host;
  }

  /** The server's base URL (no key in it). */
  get baseUrl(): string {
    return this.server.baseUrl;
  }

  /** The background health check: a probe, its round trip recorded for each of `models`. */
  async checkHealth(models: readonly string[], signal?: AbortSignal): Promise<ServerProbe> {
    const probe = await this.server.probe(signal);
    for (const model of models) this.figureBook.recordRtt(model, probe.rttMs);
    return probe;
  }

  /** The name a user sees: the model and where it runs ("qwen on 192.168.1.20:8080"). */
  nameOf(model: string): string {
    return `${model} on ${this.server.host}`;
  }

  /** Health, models, context and slots, now (the settings' "Test connection"; the background health check). */
  async probe(signal?: AbortSignal): Promise<ServerProbe> {
    return this.server.probe(signal);
  }

  /** The figures measured for `model` on this server. */
  figures(model: string): RemoteFigures {
    return this.figureBook.figures(model);
  }

  /** Refuses a model the server does not list; a remote model takes no bytes here. */
  async check(model: string): Promise<number> {
    await this.probeFor(model);
    return 0;
  }

  async estimate(model: string): Promise<RuntimeEstimate> {
    await this.probeFor(model);
    return { memBytes: 0, vramBytes: 0, name: this.nameOf(model) };
  }

  async load(request: RuntimeLoadRequest): Promise<LoadedModel> {
    const started = performance.now();
    const probe = await this.probeFor(request.path);
    const serverContext = probe.contextSize ?? DEFAULT_CONTEXT;
    this.loaded = {
      path: request.path,
      name: this.nameOf(request.path),
      sizeBytes: 0,
      synthetic: false,
      // Never more than the server holds per slot.
      contextSize: Math.min(request.contextSize ?? serverContext, serverContext),
      threads: 0,
      gpu: false,
      gpuLayers: 0,
      loadMs: performance.now() - started,
    };
    this.options.log(
      'info',
      `remote model ${this.loaded.name} ready: ${this.loaded.contextSize}-token context${probe.slots ? `, ${probe.slots} slots` : ''}, ${probe.rttMs.toFixed(1)} ms round trip`,
    );
    if (this.server.unencryptedOverNetwork)
      this.options.log('warn', `${this.server.host} is reached over plain http: the conversation crosses the network unencrypted.`);
    return this.loaded;
  }

  async unload(): Promise<boolean> {
    const had = this.loaded !== null;
    this.loaded = null;
    return had;
  }

  // Nothing is loaded here, so nothing is loaded ahead, warmed or threaded.
  prepare(): void {}
  isPrepared(): boolean {
    return false;
  }
  async discardPrepared(): Promise<void> {}
  async prepareChatWrapper(): Promise<void> {}
  async preloadHistory(): Promise<void> {}
  setThreads(): void {}

  /** This process's memory; the model's is on the server. */
  async measure(): Promise<RuntimeMeasure> {
    return { residentBytes: process.memoryUsage().rss, vramUsedBytes: 0 };
  }

  async generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const loaded = this.loaded;
    if (!loaded) throw new RemoteError('model-missing', 'No remote model is ready.');
    const stop = new AbortController();
    this.running.set(request.requestId, stop);
    const run = this.run(loaded, request, stop.signal, onText);
    this.activeRun = run;
    try {
      return await run;
    } finally {
      this.running.delete(request.requestId);
      if (this.activeRun === run) this.activeRun = null;
    }
  }

  stop(requestId: string): boolean {
    const controller = this.running.get(requestId);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  async whenIdle(): Promise<void> {
    await this.activeRun?.catch(() => {});
  }

  private async run(loaded: LoadedModel, request: GenerateRequest, signal: AbortSignal, onText: (text: string) => void): Promise<GenerateResult> {
    const fitted = fitHistory(request.history, loaded.contextSize, request.maxTokens, loaded.name);
    const messages: ApiMessage[] = fitted.turns.map((turn) => ({ role: turn.role, content: turn.text }));
    try {
      const outcome = await streamChat(
        this.server,
        {
          model: loaded.path,
          messages,
          maxTokens: request.maxTokens,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.seed !== undefined ? { seed: request.seed } : {}),
          signal,
          idleTimeoutMs: this.idleTimeoutMs,
          maxEventBytes: this.maxEventBytes,
        },
        onText,
      );
      const tokens = outcome.completionTokens ?? outcome.timings?.predicted_n ?? outcome.chunks;
      // Measured here, between the first and the last piece of text, as the local runtime does;
      // counted in the events seen, so a server's uncounted end token does not inflate it.
      const genSeconds = outcome.chunks > 1 ? (outcome.lastAt - outcome.firstAt) / 1000 : 0;
      const stats = {
        tokens,
        ttftMs: (outcome.firstAt || outcome.endedAt) - outcome.startedAt,
        tokensPerSecond: genSeconds > 0 ? (outcome.chunks - 1) / genSeconds : 0,
        durationMs: outcome.endedAt - outcome.startedAt,
      };
      this.lastServerTimings = outcome.timings;
      if (outcome.chunks > 0) this.figureBook.recordReply(loaded.path, stats.ttftMs, stats.tokensPerSecond);
      return {
        requestId: request.requestId,
        text: outcome.text,
        stopReason: stopReasonOf(outcome.aborted, outcome.finishReason),
        model: loaded.name,
        stats,
        ...(fitted.dropped > 0 ? { droppedTurns: fitted.dropped } : {}),
      };
    } catch (error) {
      this.figureBook.recordFailure(loaded.path, (error as Error).message);
      this.options.log('warn', `remote reply on ${loaded.name} failed: ${this.server.redact((error as Error).message)}`);
      throw error;
    }
  }

  /** Probes the server and refuses a model it does not list (an empty list is taken on trust). */
  private async probeFor(model: string): Promise<ServerProbe> {
    try {
      const probe = await this.server.probe();
      this.figureBook.recordRtt(model, probe.rttMs);
      if (probe.models.length > 0 && !probe.models.includes(model)) {
        throw new RemoteError('model-missing', `The server at ${this.server.host} does not serve ${model} (it serves ${probe.models.slice(0, 5).join(', ')}).`);
      }
      return probe;
    } catch (error) {
      this.figureBook.recordFailure(model, (error as Error).message);
      throw error;
    }
  }
}

/** The server's finish reason in the engine's terms. */
function stopReasonOf(aborted: boolean, finishReason: string | null): StopReason {
  if (aborted) return 'abort';
  return finishReason === 'length' ? 'maxTokens' : 'eogToken';
}

/**
 * The conversation cut to fit `contextSize` with room for the reply, as the local runtime cuts it:
 * oldest turns first (a question with its answer), system turns and the last turn kept; a last
 * turn that cannot fit even alone is refused with the figures.
 */
export function fitHistory(history: readonly ChatTurn[], contextSize: number, maxTokens: number, name: string): { turns: ChatTurn[]; dropped: number } {
  const room = Math.max(MIN_REPLY_ROOM, Math.min(maxTokens, Math.floor(contextSize / 4)));
  const limit = contextSize - room;
  const total = (turns: readonly ChatTurn[]) => turns.reduce((sum, turn) => sum + estimateTokens(turn), 0);
  const kept = history.filter((turn, i) => turn.role === 'system' || i === history.length - 1);
  if (total(kept) > contextSize - MIN_REPLY_ROOM) {
    throw new RemoteError(
      'context',
      `The message is about ${total(kept)} tokens long but ${name} holds ${contextSize} tokens of context (${MIN_REPLY_ROOM} kept for the reply). Shorten the message.`,
    );
  }
  let turns = [...history];
  let dropped = 0;
  while (total(turns) > limit) {
    const oldest = turns.findIndex((turn, i) => turn.role !== 'system' && i < turns.length - 1);
    if (oldest < 0) break;
    const count = turns[oldest]?.role === 'user' && turns[oldest + 1]?.role === 'assistant' && oldest + 1 < turns.length - 1 ? 2 : 1;
    turns = [...turns.slice(0, oldest), ...turns.slice(oldest + count)];
    dropped += count;
  }
  return { turns, dropped };
}
