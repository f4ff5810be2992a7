/**
 * A fake ModelRuntime on a virtual clock, for driving the ModelManager's state machine in unit
 * tests. It stands in for node-llama-cpp, which needs real model files, real memory and real
 * seconds; the integration tests run the real one (tests/integration/model-manager.test.ts). It
 * follows the contract in electron/engine/models/model-runtime.ts the way LlamaEngine does: one
 * model at a time, a load refused while a reply runs, a model loaded ahead swapped in by the next
 * load of the same file, a stop that returns the partial text (also during prompt evaluation), and
 * a load of the model in use at another context size or KV-cache type that recreates only its
 * context (the model stays; GPU layers would reload it).
 */
import type { ChatTurn, LoadedModel } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import { sleep, type VirtualClock } from '../../../electron/engine/resource/clock';
import { createScriptedSource, type ResourceSource } from '../../../electron/engine/resource/monitoring/resource-source';
import type { StaticHardwareInfo } from '../../../electron/engine/resource/types';
import { kvCacheBytes, type ModelShape } from '../../../electron/engine/models/model-shape';
import type {
  GenerateRequest,
  GenerateResult,
  ModelRuntime,
  RuntimeEstimate,
  RuntimeLoadRequest,
  RuntimeMeasure,
} from '../../../electron/engine/models/model-runtime';

export const GiB = 2 ** 30;

/** A model the fake runtime knows: its memory, how long it takes to load, how it fails. */
export interface FakeModel {
  path: string;
  memBytes: number;
  loadMs: number;
  /** The load rejects with a MaiError (bad file, not enough memory). */
  failsToLoad?: boolean;
  /** The load dies halfway with an unexpected error (a native crash, as the runtime reports it). */
  crashesWhileLoading?: boolean;
  /**
   * The architecture, for a model with cascade steps: then `memBytes` is its weights, and its KV
   * cache (model-shape.ts `kvCacheBytes`) comes on top at the context and KV-cache type loaded.
   */
  shape?: ModelShape;
  /** Time a new context takes (a cascade step), ms; default 200. */
  contextMs?: number;
}

/** Reply timing: prompt evaluation, then one token per `tokenMs`. */
export interface FakeTiming {
  promptMs: number;
  tokenMs: number;
  /** Tokens a reply has when it is not stopped or cut by `maxTokens`. */
  replyTokens: number;
}

export class FakeRuntime implements ModelRuntime {
  readonly id: string = 'fake';
  loaded: LoadedModel | null = null;
  /** What happened, in order: `load:<path>`, `swap:<path>`, `unload:<path>`, `prepare:<path>`, `discard:<path>`. */
  readonly calls: string[] = [];
  private prepared: { path: string; ready: Promise<boolean> } | null = null;
  /** KV-cache type of the context loaded. */
  private kvCacheType: 'f16' | 'q8_0' = 'f16';
  private loading = false;
  private active: { requestId: string; stopped: boolean; run: Promise<GenerateResult> } | null = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly models: FakeModel[],
    readonly timing: FakeTiming = { promptMs: 500, tokenMs: 100, replyTokens: 40 },
  ) {}

  get model(): LoadedModel | null {
    return this.loaded;
  }

  /** Memory the runtime holds now: the loaded model and one loaded ahead. */
  residentBytes(): number {
    const prepared = this.prepared ? (this.find(this.prepared.path)?.memBytes ?? 0) : 0;
    const model = this.loaded ? this.find(this.loaded.path) : undefined;
    const kv = model?.shape ? kvCacheBytes(model.shape, this.loaded!.contextSize, this.kvCacheType) : 0;
    return (model?.memBytes ?? 0) + kv + prepared;
  }

  private find(path: string): FakeModel | undefined {
    return this.models.find((model) => model.path === path);
  }

  private require(path: string): FakeModel {
    const model = this.find(path);
    if (!model) throw new MaiError('model-not-found', `${path} does not exist.`);
    return model;
  }

  async check(path: string): Promise<number> {
    return this.require(path).memBytes;
  }

  async estimate(path: string, _sizeBytes?: number, contextSize = 4096): Promise<RuntimeEstimate> {
    const model = this.require(path);
    const kv = model.shape ? kvCacheBytes(model.shape, contextSize, 'f16') : 0;
    return { memBytes: model.memBytes + kv, vramBytes: 0, name: path.replace(/\.gguf$/, ''), ...(model.shape ? { shape: model.shape } : {}) };
  }

  async load(request: RuntimeLoadRequest): Promise<LoadedModel> {
    if (this.active) throw new MaiError('busy', 'A reply is being generated; stop it before switching models.');
    if (this.loading) throw new MaiError('busy', 'A model is already loading.');
    const model = this.require(request.path);
    this.loading = true;
    try {
      if (this.loaded?.path === request.path && (request.gpuLayers ?? 0) === this.loaded.gpuLayers) {
        // A cascade step: the model stays, its context is recreated at the new size and type.
        this.calls.push(`context:${request.path}`);
        await sleep(this.clock, model.contextMs ?? 200);
        this.kvCacheType = request.kvCacheType ?? 'f16';
        this.loaded = { ...this.loaded, contextSize: request.contextSize ?? 4096, loadMs: model.contextMs ?? 200 };
        return this.loaded;
      }
      this.kvCacheType = request.kvCacheType ?? 'f16';
      const prepared = this.prepared;
      this.prepared = null;
      if (prepared?.path === request.path && (await prepared.ready)) {
        await this.unload();
        this.calls.push(`swap:${request.path}`);
      } else {
        if (prepared) this.calls.push(`discard:${prepared.path}`);
        await this.unload();
        this.calls.push(`load:${request.path}`);
        await this.pretendLoad(model);
      }
      this.loaded = {
        path: model.path,
        name: model.path.replace(/\.gguf$/, ''),
        sizeBytes: model.memBytes,
        synthetic: true,
        contextSize: request.contextSize ?? 4096,
        threads: 1,
        gpu: false,
        gpuLayers: 0,
        loadMs: model.loadMs,
      };
      return this.loaded;
    } finally {
      this.loading = false;
    }
  }

  private async pretendLoad(model: FakeModel): Promise<void> {
    if (model.crashesWhileLoading) {
      await sleep(this.clock, model.loadMs / 2);
      throw new Error(`native abort while reading ${model.path}`);
    }
    await sleep(this.clock, model.loadMs);
    if (model.failsToLoad) throw new MaiError('model-load-failed', `Could not load ${model.path}: not enough memory.`);
  }

  async unload(): Promise<boolean> {
    if (!this.loaded) return false;
    this.calls.push(`unload:${this.loaded.path}`);
    this.loaded = null;
    return true;
  }

  prepare(request: RuntimeLoadRequest): void {
    if (this.prepared || this.loading) return;
    const model = this.require(request.path);
    this.calls.push(`prepare:${request.path}`);
    this.prepared = {
      path: request.path,
      ready: this.pretendLoad(model).then(
        () => true,
        () => false,
      ),
    };
  }

  isPrepared(path: string): boolean {
    return this.prepared?.path === path;
  }

  async discardPrepared(): Promise<void> {
    if (!this.prepared) return;
    this.calls.push(`discard:${this.prepared.path}`);
    this.prepared = null;
  }

  async prepareChatWrapper(): Promise<void> {}

  generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    if (!this.loaded) return Promise.reject(new MaiError('no-model', 'No model is loaded.'));
    if (this.active || this.loading) return Promise.reject(new MaiError('busy', 'The engine is busy with another reply.'));
    const entry = { requestId: request.requestId, stopped: false, run: null as unknown as Promise<GenerateResult> };
    const model = this.loaded;
    entry.run = (async () => {
      const started = this.clock.now();
      let text = '';
      let tokens = 0;
      // Prompt evaluation, then tokens; a stop is seen at the next step of either.
      for (let waited = 0; waited < this.timing.promptMs && !entry.stopped; waited += 50) await sleep(this.clock, 50);
      while (!entry.stopped && tokens < Math.min(request.maxTokens, this.timing.replyTokens)) {
        await sleep(this.clock, this.timing.tokenMs);
        if (entry.stopped) break;
        tokens++;
        text += 'w ';
        onText('w ');
      }
      const durationMs = this.clock.now() - started;
      return {
        requestId: request.requestId,
        text,
        stopReason: entry.stopped ? 'abort' : 'maxTokens',
        model: model.name,
        stats: { tokens, ttftMs: this.timing.promptMs, tokensPerSecond: tokens > 1 ? 1000 / this.timing.tokenMs : 0, durationMs },
      } satisfies GenerateResult;
    })();
    this.active = entry;
    const clear = () => {
      if (this.active === entry) this.active = null;
    };
    entry.run.then(clear, clear);
    return entry.run;
  }

  stop(requestId: string): boolean {
    if (this.active?.requestId !== requestId) return false;
    this.active.stopped = true;
    return true;
  }

  async whenIdle(): Promise<void> {
    await this.active?.run.catch(() => {});
  }

  async preloadHistory(_turns: readonly ChatTurn[]): Promise<void> {}

  setThreads(): void {}

  async measure(): Promise<RuntimeMeasure> {
    return { residentBytes: this.residentBytes(), vramUsedBytes: 0 };
  }
}

export const HARDWARE_16: StaticHardwareInfo = {
  cpuModel: 'test',
  physicalCores: 4,
  logicalCores: 4,
  memTotalBytes: 16 * GiB,
  gpus: [],
  os: { platform: 'linux', release: 'test', arch: 'x64' },
};

/** A machine whose other programs use `other.bytes` (change it to script pressure); the runtime's models add theirs. */
export function fakeMachine(runtime: FakeRuntime, other: { bytes: number }): ResourceSource {
  return createScriptedSource({
    hardware: HARDWARE_16,
    sample: () => {
      const own = runtime.residentBytes();
      return { cpuOtherLoad: 0.05, memTotalBytes: HARDWARE_16.memTotalBytes, memUsedBytes: other.bytes + own, ownMemBytes: own };
    },
  });
}
