/**
 * Turns node-llama-cpp's `llama.getVramState()` into a VramReading with the assistant's own
 * share filled in. Without `ownBytes` the scaler would take the loaded model's VRAM for other
 * programs' load (background = used − 0) and then add the model's footprint again: on a GPU
 * machine every model would look twice its size and the scaler would step down for nothing.
 */
import type { VramReading } from './system-source';

/** The part of node-llama-cpp's Llama this needs (a stub in tests: there is no GPU here). */
export interface VramStateSource {
  /** False (or absent) when inference runs on the CPU. */
  readonly gpu: string | false;
  getVramState(): Promise<{ total: number; used: number }>;
}

/**
 * Builds the `readVram` callback of SystemResourceSource. `residentVramBytes` returns the VRAM
 * the loaded model (weights on the GPU and its context) holds, bytes; 0 when none is loaded.
 * The share is clamped to what the driver reports used, because footprints are estimates and a
 * share above the total in use would read as negative background.
 */
export function createVramReader(getLlama: () => Promise<VramStateSource>, residentVramBytes: () => number): () => Promise<VramReading | null> {
  return async () => {
    const llama = await getLlama();
    if (!llama.gpu) return null;
    const state = await llama.getVramState();
    const own = Math.max(0, Math.min(state.used, residentVramBytes()));
    return { totalBytes: state.total, usedBytes: state.used, ownBytes: own };
  };
}
