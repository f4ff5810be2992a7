/**
 * Several runtimes behind the one `ModelRuntime` the manager talks to, so a ladder can mix local
 * and remote rungs without the manager knowing: a model is addressed `<runtimeId>#<model>` on a
 * runtime other than the default one (`remote:192.168.1.20:8080#qwen2.5-7b`), a plain path goes
 * to the default runtime (node-llama-cpp's files). One model is in use at a time, as before: the
 * rung loader unloads the current one before loading the next, whichever runtime holds it.
 */
import type { ChatTurn, LoadedModel } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import type { GenerateRequest, GenerateResult, ModelRuntime, RuntimeEstimate, RuntimeLoadRequest, RuntimeMeasure } from './model-runtime';

/** Separates a runtime's id from the model's name in an address. */
const SEPARATOR = '#';

/** The address of `model` on the runtime `runtimeId` (a rung's path and id). */
export function modelAddress(runtimeId: string, model: string): string {
  return `${runtimeId}${SEPARATOR}${model}`;
}

/** The runtimes of one engine process, routed by address (see the file comment). */
export class RuntimeSet implements ModelRuntime {
  private readonly runtimes = new Map<string, ModelRuntime>();
  /** The runtime whose model is in use (or was last asked to load one). */
  private active: ModelRuntime;

  constructor(private readonly fallback: ModelRuntime) {
    this.runtimes.set(fallback.id, fallback);
    this.active = fallback;
  }

  /** The default runtime's id: rungs on it keep their plain paths. */
  get id(): string {
    return this.fallback.id;
  }

  /** Adds (or replaces, when idle) a runtime; its models are then addressed `<id>#<model>`. */
  add(runtime: ModelRuntime): void {
    if (runtime.id.includes(SEPARATOR)) throw new MaiError('bad-request', `A runtime id may not contain "${SEPARATOR}".`);
    if (this.active.id === runtime.id && this.active.model) throw new MaiError('busy', `${runtime.id} is in use; switch away from it before replacing it.`);
    this.runtimes.set(runtime.id, runtime);
  }

  /** Drops the runtime `id` (a server no longer in the settings); false when there is none. The default runtime stays. */
  remove(id: string): boolean {
    const runtime = this.runtimes.get(id);
    if (!runtime || runtime === this.fallback) return false;
    if (this.active === runtime && runtime.model) throw new MaiError('busy', `${id} is in use; switch away from it before removing it.`);
    this.runtimes.delete(id);
    if (this.active === runtime) this.active = this.fallback;
    return true;
  }

  /** The runtime registered as `id`, if any. */
  get(id: string): ModelRuntime | undefined {
    return this.runtimes.get(id);
  }

  /** The runtime that serves `path` and the model's name on it. */
  route(path: string): { runtime: ModelRuntime; model: string } {
    const cut = path.indexOf(SEPARATOR);
    if (cut > 0) {
      const runtime = this.runtimes.get(path.slice(0, cut));
      if (runtime && runtime !== this.fallback) return { runtime, model: path.slice(cut + 1) };
    }
    return { runtime: this.fallback, model: path };
  }

  /** The id of the runtime that serves `path` (a rung's `runtimeId`). */
  runtimeIdOf(path: string): string {
    return this.route(path).runtime.id;
  }

  /** The model in use, with its path as the ladder addresses it. */
  get model(): LoadedModel | null {
    const model = this.active.model;
    return model ? this.addressed(this.active, model) : null;
  }

  private addressed(runtime: ModelRuntime, model: LoadedModel): LoadedModel {
    return runtime === this.fallback ? model : { ...model, path: modelAddress(runtime.id, model.path) };
  }

  check(path: string): Promise<number> {
    const { runtime, model } = this.route(path);
    return runtime.check(model);
  }

  estimate(path: string, sizeBytes: number, contextSize: number): Promise<RuntimeEstimate> {
    const { runtime, model } = this.route(path);
    return runtime.estimate(model, sizeBytes, contextSize);
  }

  async load(request: RuntimeLoadRequest): Promise<LoadedModel> {
    const { runtime, model } = this.route(request.path);
    // The rung loader has unloaded the current model already; a model left on another runtime
    // (a failed switch) goes now, so two never run at once.
    if (this.active !== runtime && this.active.model) {
      await this.active.whenIdle();
      await this.active.unload();
    }
    this.active = runtime;
    return this.addressed(runtime, await runtime.load({ ...request, path: model }));
  }

  unload(): Promise<boolean> {
    return this.active.unload();
  }

  prepare(request: RuntimeLoadRequest): void {
    const { runtime, model } = this.route(request.path);
    runtime.prepare({ ...request, path: model });
  }

  isPrepared(path: string): boolean {
    const { runtime, model } = this.route(path);
    return runtime.isPrepared(model);
  }

  async discardPrepared(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.discardPrepared()));
  }

  prepareChatWrapper(path: string): Promise<void> {
    const { runtime, model } = this.route(path);
    return runtime.prepareChatWrapper(model);
  }

  generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    return this.active.generate(request, onText);
  }

  stop(requestId: string): boolean {
    return [...this.runtimes.values()].some((runtime) => runtime.stop(requestId));
  }

  async whenIdle(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.whenIdle()));
  }

  preloadHistory(turns: readonly ChatTurn[]): Promise<void> {
    return this.active.preloadHistory(turns);
  }

  setThreads(threads: number): void {
    for (const runtime of this.runtimes.values()) runtime.setThreads(threads);
  }

  /** Measured on the default runtime: this process's memory, whichever runtime is in use. */
  measure(): Promise<RuntimeMeasure> {
    return this.fallback.measure();
  }
}
