/**
 * node-llama-cpp's estimate of what a GGUF model and its context will take, read from the file's
 * header before loading (GGUF insights). The header is checked by Mai's own reader first: a
 * malformed one would crash node-llama-cpp's.
 */
import path from 'node:path';
import type { GgufFileInfo, Llama } from 'node-llama-cpp';
import { checkGguf } from './gguf-peek';
import { shapeFromGguf, type ModelShape } from './models/model-shape';
import type { RuntimeEstimate } from './models/model-runtime';

/**
 * The model's shape (model-shape.ts) from its header. A repeating layer's weight bytes are the
 * distances between the `blk.N.` tensors' offsets (padding included), so no type table is needed.
 */
function shapeOf(info: GgufFileInfo, sizeBytes: number): ModelShape | null {
  const tensors = [...(info.fullTensorInfo ?? [])].sort((a, b) => Number(a.fileOffset) - Number(b.fileOffset));
  let layerBytes = 0;
  tensors.forEach((tensor, i) => {
    const end = i + 1 < tensors.length ? Number(tensors[i + 1]!.fileOffset) : sizeBytes;
    if (/^blk\.\d+\./.test(tensor.name)) layerBytes += Math.max(0, end - Number(tensor.fileOffset));
  });
  return shapeFromGguf(info.architectureMetadata as Parameters<typeof shapeFromGguf>[0], layerBytes);
}

/** Estimates RAM and VRAM at `contextSize` with `gpuLayers` offloaded; the file size when the architecture is unknown. */
export async function estimateGguf(
  llama: Llama,
  modelPath: string,
  sizeBytes: number,
  contextSize: number,
  gpuLayers: number,
  log: (message: string) => void,
): Promise<RuntimeEstimate> {
  await checkGguf(modelPath);
  const { readGgufFileInfo, GgufInsights } = await import('node-llama-cpp');
  let name: string | undefined;
  try {
    const info = await readGgufFileInfo(modelPath, { logWarnings: false });
    const general = (info.metadata as { general?: { name?: unknown } }).general;
    if (typeof general?.name === 'string' && general.name.trim()) name = general.name.trim().slice(0, 200);
    const insights = await GgufInsights.from(info, llama);
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
    const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: gpuLayers });
    const shape = shapeOf(info, sizeBytes);
    return { memBytes: model.cpuRam + context.cpuRam, vramBytes: model.gpuVram + context.gpuVram, ...(name ? { name } : {}), ...(shape ? { shape } : {}) };
  } catch (error) {
    // Unknown architectures cannot be estimated; the file size is a floor that is never wildly off.
    log(`no estimate for ${path.basename(modelPath)} (${(error as Error).message}); using its file size`);
    return { memBytes: sizeBytes, vramBytes: 0, ...(name ? { name } : {}) };
  }
}
