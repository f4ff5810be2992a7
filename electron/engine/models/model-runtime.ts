/**
 * What the ModelManager needs from whatever runs a model: node-llama-cpp in this process
 * (`LlamaEngine`) is one runtime; a remote OpenAI-compatible server will be another. The manager
 * only ever talks to a model through this interface, so a fake runtime can drive it in unit tests
 * on a virtual clock.
 */
import type { z } from 'zod';
import type { ChatTurn, LoadedModel } from '../../../shared/domain';
import type { generateParamsSchema, generateResultSchema } from '../../../shared/engine-protocol';
import type { ModelShape } from './model-shape';

/** A reply to generate (`chat:generate`'s parameters): the conversation ends with the user turn to answer. */
export type GenerateRequest = z.output<typeof generateParamsSchema>;

/**
 * A finished (or stopped) reply: `chat:generate`'s result, plus what the manager reads before it
 * goes out (`droppedTurns`: earlier turns left out because the conversation did not fit the
 * model's context; 0 or absent: none).
 */
export type GenerateResult = z.output<typeof generateResultSchema> & { droppedTurns?: number };

/** Which model to load and with what cost settings (a rung's model and cost, see rung.ts). */
export interface RuntimeLoadRequest {
  /** The model file (for a remote runtime: the model's name on the server). */
  path: string;
  /** Context size in tokens; undefined lets the runtime choose. */
  contextSize?: number;
  /** KV-cache element type (keys and values); undefined: F16. */
  kvCacheType?: 'f16' | 'q8_0';
  /** Layers offloaded to the GPU; undefined: automatic. */
  gpuLayers?: number;
}

/** What a model will take before it is loaded, from the runtime's own reading of it. */
export interface RuntimeEstimate {
  /** RAM, bytes (the file size when nothing better is known). */
  memBytes: number;
  /** VRAM, bytes (0 on CPU). */
  vramBytes: number;
  /** The model's own name, when it has one. */
  name?: string;
  /** The architecture figures a cascade step's cost is worked out from (model-shape.ts); absent when unknown (remote models). */
  shape?: ModelShape;
}

/** What the runtime holds now, for measuring a model's real footprint. */
export interface RuntimeMeasure {
  /** Resident memory of the process the model runs in, bytes. */
  residentBytes: number;
  /** VRAM in use on the runtime's GPU, bytes (0 on CPU). */
  vramUsedBytes: number;
}

/** A runtime: loads one model (and its context) at a time, generates replies, measures itself. */
export interface ModelRuntime {
  /** The runtime's id on rungs (`llama` for node-llama-cpp in the engine process). */
  readonly id: string;
  /** The id of the runtime that serves `path`, for a runtime made of several (runtime-set.ts); absent: `id`. */
  runtimeIdOf?(path: string): string;
  /** The model loaded and ready, or null. */
  readonly model: LoadedModel | null;
  /** Refuses (MaiError) a model this runtime cannot load, before anything is unloaded; resolves with its size, bytes. */
  check(path: string): Promise<number>;
  /** Reads the model (header only) and estimates its footprint at `contextSize`; rejects with a MaiError when unusable. */
  estimate(path: string, sizeBytes: number, contextSize: number): Promise<RuntimeEstimate>;
  /** Loads a model and creates its context, replacing the one loaded; rejects with a MaiError. */
  load(request: RuntimeLoadRequest): Promise<LoadedModel>;
  /** Disposes the context and the model; false when nothing was loaded. */
  unload(): Promise<boolean>;
  /** Starts loading a model beside the one in use (allowed during a reply); failures are only logged. */
  prepare(request: RuntimeLoadRequest): void;
  /** Whether `path` is being (or has been) loaded ahead. */
  isPrepared(path: string): boolean;
  /** Frees a model loaded ahead that will not be used. */
  discardPrepared(): Promise<void>;
  /** Cheap work ahead of a switch to `path`, while idle (the chat format, for node-llama-cpp). */
  prepareChatWrapper(path: string): Promise<void>;
  /** Generates a reply; `stop(requestId)` ends it early and the partial text is the result. */
  generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult>;
  /** Stops a reply (in prompt evaluation or generation); false when it is not running. */
  stop(requestId: string): boolean;
  /** Resolves once no reply runs (a stopped one has unwound). */
  whenIdle(): Promise<void>;
  /** Evaluates a conversation into the context ahead of the next message (a warm-up; failures only cost speed). */
  preloadHistory(turns: readonly ChatTurn[]): Promise<void>;
  /** Caps the CPU threads from the next batch on (ignored by runtimes that do not run here). */
  setThreads(threads: number): void;
  /** The process's resident memory and the GPU's VRAM in use now. */
  measure(): Promise<RuntimeMeasure>;
}
