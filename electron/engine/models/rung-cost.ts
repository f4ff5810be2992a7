/** What a rung's cost settings are, apart from the rung so the footprint arithmetic can use them (no import cycle). */

/** Element type of the KV cache (keys and values alike): F16 is node-llama-cpp's default; Q8_0 takes about half. */
export type KvCacheType = 'f16' | 'q8_0';

/**
 * Settings that change a rung's memory and speed. Rungs of one model that differ only here are
 * that model's cascade steps: moving between them recreates the context, the model stays loaded.
 */
export interface RungCost {
  /** Context size in tokens; undefined lets the runtime choose (4096, or the model's training size if smaller). */
  contextSize?: number;
  /** KV-cache element type; undefined: F16. */
  kvCacheType?: KvCacheType;
  /** Layers offloaded to the GPU; undefined: node-llama-cpp's automatic choice (0 on a CPU-only machine). */
  gpuLayers?: number;
}

/** Whether two costs ask the runtime for the same context and offload (undefined KV-cache type is F16). */
export function sameCost(a: RungCost, b: RungCost): boolean {
  return a.contextSize === b.contextSize && (a.kvCacheType ?? 'f16') === (b.kvCacheType ?? 'f16') && a.gpuLayers === b.gpuLayers;
}
