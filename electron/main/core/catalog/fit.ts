/**
 * Will a model fit this machine, and how: fully on the GPU, partly, on the CPU, or not at all.
 * Pure arithmetic over the newest resource frame, so it is cheap to recompute at every change.
 * The estimate is node-llama-cpp's for installed models (their ladder footprint, already corrected
 * by what Mai measured); for catalog entries, the file size plus the KV cache at the chosen context
 * plus a fixed runtime overhead, scaled by the correction Mai measured on its installed models.
 */
export type FitKind = 'gpu' | 'partial' | 'cpu' | 'no';

export interface FitInput {
  /** RAM the model would take, bytes. */
  needBytes: number;
  memTotalBytes: number;
  /** Memory other programs use now (total use minus Mai's own), bytes. */
  otherMemBytes: number;
  /** Fraction of memory Mai may fill before it steps down (the act threshold). */
  actThreshold: number;
  vramTotalBytes?: number | null;
  otherVramBytes?: number | null;
}

export interface Fit {
  kind: FitKind;
  /** A sentence with the figures. */
  detail: string;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
/** node-llama-cpp's VRAM padding: min(8 %, 1.6 GiB). */
const vramPadding = (total: number) => Math.min(total * 0.08, 1.6 * 2 ** 30);
/** Compute buffers, graph, runtime: a conservative constant. */
export const RUNTIME_OVERHEAD_BYTES = 300e6;

/** KV cache of a context, f16 keys and values. */
export function kvCacheBytes(layers: number, kvHeads: number, headDim: number, contextSize: number): number {
  return 2 * layers * kvHeads * headDim * contextSize * 2;
}

export function assessFit(input: FitInput): Fit {
  const ramRoom = input.memTotalBytes * input.actThreshold - input.otherMemBytes;
  const vramRoom = input.vramTotalBytes ? input.vramTotalBytes - vramPadding(input.vramTotalBytes) - (input.otherVramBytes ?? 0) : 0;
  const need = input.needBytes;
  if (vramRoom >= need) return { kind: 'gpu', detail: `Fits fully on the GPU: needs ${gb(need)}, ${gb(vramRoom)} of GPU memory free.` };
  if (vramRoom > 0 && vramRoom + ramRoom >= need) {
    return { kind: 'partial', detail: `Fits partly on the GPU: ${gb(vramRoom)} on the GPU, the remaining ${gb(need - vramRoom)} in RAM.` };
  }
  if (ramRoom >= need)
    return { kind: 'cpu', detail: `Fits on the CPU: needs ${gb(need)}, ${gb(ramRoom)} free below the ${Math.round(input.actThreshold * 100)} % line.` };
  return {
    kind: 'no',
    detail: `Too big now: needs ${gb(need)}, only ${gb(Math.max(0, ramRoom))} free below the ${Math.round(input.actThreshold * 100)} % line${vramRoom > 0 ? ` and ${gb(vramRoom)} on the GPU` : ''}.`,
  };
}
