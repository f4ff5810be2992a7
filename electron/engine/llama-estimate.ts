/**
 * node-llama-cpp's estimate of what a GGUF model and its context will take, read from the file's
 * header before loading (GGUF insights). The header is checked by Mai's own reader first: a
 * malformed one would crash node-llama-cpp's.
 */
import path from 'node:path';
import type { Llama } from 'node-llama-cpp';
import { checkGguf } from './gguf-peek';
import type { RuntimeEstimate } from './models/model-runtime';

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
    return { memBytes: model.cpuRam + context.cpuRam, vramBytes: model.gpuVram + context.gpuVram, ...(name ? { name } : {}) };
  } catch (error) {
    // Unknown architectures cannot be estimated; the file size is a floor that is never wildly off.
    log(`no estimate for ${path.basename(modelPath)} (${(error as Error).message}); using its file size`);
    return { memBytes: sizeBytes, vramBytes: 0, ...(name ? { name } : {}) };
  }
}
