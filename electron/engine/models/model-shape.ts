/**
 * What a model's cascade steps cost, from its architecture: the KV cache is the part of a loaded
 * model's memory that can be given back without unloading it (docs/cascade.md). Pure functions;
 * the figures come from the GGUF header (llama-estimate.ts).
 *
 * KV bytes = context × Σ over layers (key width + value width) × KV heads × bytes per element, where
 * an element takes 2 bytes in F16 and 34/32 bytes in Q8_0 (llama.cpp stores Q8_0 as blocks of 32
 * one-byte values and one F16 scale). llama.cpp's own log line ("llama_kv_cache: size = …") gives
 * exactly these figures for the synthetic models, and the engine's resident memory moves by them
 * when a context is recreated (docs/cascade.md, "Measured").
 */
import type { KvCacheType, RungCost } from './rung-cost';

/** The parts of a model's architecture that set what its context and its GPU offload take. */
export interface ModelShape {
  /** Repeating layers (block_count). */
  layers: number;
  /** KV-cache elements one token of context takes, over all layers, keys and values together. */
  kvElementsPerToken: number;
  /** The context the model was trained for, tokens (0 when the file does not say). */
  trainContextSize: number;
  /** Weights of one repeating layer, bytes (average): what moves between VRAM and RAM per GPU layer. */
  layerWeightBytes: number;
}

/** Bytes per KV-cache element. */
const ELEMENT_BYTES: Record<KvCacheType, number> = { f16: 2, q8_0: 34 / 32 };

/** Context a runtime picks when the cost leaves it open (the engine's rule: 4096, or less if trained for less). */
const DEFAULT_CONTEXT = 4096;

/** The context, tokens, a cost resolves to on a model of `shape`. */
export function contextSizeOf(shape: ModelShape, cost: RungCost): number {
  return cost.contextSize ?? Math.min(DEFAULT_CONTEXT, shape.trainContextSize || DEFAULT_CONTEXT);
}

/** KV-cache bytes of a context of `contextSize` tokens with `type` elements (llama.cpp's own layout, see the file comment). */
export function kvCacheBytes(shape: ModelShape, contextSize: number, type: KvCacheType = 'f16'): number {
  return Math.round(shape.kvElementsPerToken * contextSize * ELEMENT_BYTES[type]);
}

/** RAM and VRAM, bytes. */
export interface StepEstimate {
  memBytes: number;
  vramBytes: number;
}

/**
 * What a model takes at cost `to`, given what it takes at cost `from` (`base`: the runtime's
 * estimate, or a measured footprint): the KV cache is re-sized for the new context and element
 * type, and each GPU layer given back moves its weights and its share of the KV cache from VRAM to
 * RAM. `gpuLayers` undefined means every layer on the GPU when `base` has VRAM, none otherwise.
 * Other context buffers (llama.cpp's compute buffer) are left as they are: with flash attention on
 * the CPU they stay small and mostly untouched (docs/cascade.md).
 */
export function estimateStep(base: StepEstimate, shape: ModelShape, from: RungCost, to: RungCost): StepEstimate {
  const layers = Math.max(1, shape.layers);
  const gpuLayersOf = (cost: RungCost) => Math.min(layers, Math.max(0, cost.gpuLayers ?? (base.vramBytes > 0 ? layers : 0)));
  const split = (cost: RungCost) => {
    const kv = kvCacheBytes(shape, contextSizeOf(shape, cost), cost.kvCacheType);
    const onGpu = gpuLayersOf(cost) / layers;
    return { kvRam: kv * (1 - onGpu), kvVram: kv * onGpu, weightsVram: gpuLayersOf(cost) * shape.layerWeightBytes };
  };
  const a = split(from);
  const b = split(to);
  // Weights leaving the GPU are read from the file into RAM instead (mmapped, resident once used).
  const weightsMoved = a.weightsVram - b.weightsVram;
  return {
    memBytes: Math.max(0, Math.round(base.memBytes - a.kvRam + b.kvRam + weightsMoved)),
    vramBytes: Math.max(0, Math.round(base.vramBytes - a.kvVram + b.kvVram - weightsMoved)),
  };
}

/**
 * The shape read from a GGUF header's llama.cpp keys (`<arch>.block_count`, `.attention.head_count`,
 * `.attention.head_count_kv` (a number or one per layer), `.attention.key_length` / `.value_length`,
 * `.embedding_length`, `.context_length`) and the tensors' sizes; null when a key it needs is missing.
 */
export function shapeFromGguf(
  architecture: {
    block_count?: number;
    embedding_length?: number;
    context_length?: number;
    attention?: { head_count?: number | readonly number[]; head_count_kv?: number | readonly number[]; key_length?: number; value_length?: number };
  },
  layerTensorBytes: number,
): ModelShape | null {
  const layers = architecture.block_count ?? 0;
  const embedding = architecture.embedding_length ?? 0;
  const attention = architecture.attention ?? {};
  const heads = typeof attention.head_count === 'number' ? attention.head_count : Math.max(0, ...(attention.head_count ?? [0]));
  if (layers <= 0 || embedding <= 0 || heads <= 0) return null;
  const headOf = (i: number) => (typeof attention.head_count === 'number' ? heads : (attention.head_count?.[i] ?? heads));
  const kvHeadsOf = (i: number) => (typeof attention.head_count_kv === 'number' ? attention.head_count_kv : (attention.head_count_kv?.[i] ?? headOf(i)));
  const keyLength = attention.key_length ?? embedding / heads;
  const valueLength = attention.value_length ?? embedding / heads;
  let kvElementsPerToken = 0;
  for (let i = 0; i < layers; i++) kvElementsPerToken += (keyLength + valueLength) * kvHeadsOf(i);
  return { layers, kvElementsPerToken, trainContextSize: architecture.context_length ?? 0, layerWeightBytes: Math.round(layerTensorBytes / layers) };
}
