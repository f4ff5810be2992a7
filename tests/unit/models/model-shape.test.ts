import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FootprintEstimator } from '../../../electron/engine/models/footprint';
import { estimateStep, kvCacheBytes, shapeFromGguf, type ModelShape } from '../../../electron/engine/models/model-shape';

const MiB = 2 ** 20;

/** The long-context synthetic model's header (tests/fixtures/synthetic-models.ts LONG_CONTEXT_MODEL). */
const longContext = shapeFromGguf(
  { block_count: 16, embedding_length: 256, context_length: 32768, attention: { head_count: 4, head_count_kv: 4 } },
  16 * 4_200_000,
)!;

describe('KV cache from the architecture', () => {
  it('gives the sizes llama.cpp reports for the long-context model (F16 512 MiB, Q8_0 272 MiB at 32,768 tokens)', () => {
    expect(kvCacheBytes(longContext, 32768, 'f16')).toBe(512 * MiB);
    expect(kvCacheBytes(longContext, 32768, 'q8_0')).toBe(272 * MiB);
    expect(kvCacheBytes(longContext, 16384, 'f16')).toBe(256 * MiB);
  });

  it('counts grouped-query attention by its KV heads and per-layer head counts', () => {
    // An 8B Llama-class model: 32 layers, 32 heads of 128, 8 KV heads: 128 KiB per token in F16.
    const llama8b = shapeFromGguf({ block_count: 32, embedding_length: 4096, context_length: 131072, attention: { head_count: 32, head_count_kv: 8 } }, 0)!;
    expect(kvCacheBytes(llama8b, 32768, 'f16')).toBe(4 * 2 ** 30);
    const perLayer = shapeFromGguf({ block_count: 2, embedding_length: 256, attention: { head_count: 4, head_count_kv: [4, 1] } }, 0)!;
    expect(perLayer.kvElementsPerToken).toBe(2 * 64 * 4 + 2 * 64 * 1);
  });

  it('has no shape without the keys it needs', () => {
    expect(shapeFromGguf({ block_count: 8 }, 0)).toBeNull();
  });
});

describe('estimateStep', () => {
  const base = { memBytes: 300 * MiB, vramBytes: 0 };

  it('re-sizes only the KV cache on the CPU', () => {
    const q8 = estimateStep(base, longContext, { contextSize: 32768 }, { contextSize: 32768, kvCacheType: 'q8_0' });
    expect(base.memBytes - q8.memBytes).toBe(240 * MiB);
    const half = estimateStep(base, longContext, { contextSize: 32768, kvCacheType: 'q8_0' }, { contextSize: 16384, kvCacheType: 'q8_0' });
    expect(half.memBytes).toBe(300 * MiB - 136 * MiB);
    expect(half.vramBytes).toBe(0);
  });

  it('resolves an open context the way the engine does (4096, or less when trained for less)', () => {
    const small: ModelShape = { ...longContext, trainContextSize: 2048 };
    const step = estimateStep(base, small, {}, { kvCacheType: 'q8_0' });
    expect(base.memBytes - step.memBytes).toBe(kvCacheBytes(small, 2048) - kvCacheBytes(small, 2048, 'q8_0'));
  });

  it('moves a GPU layer’s weights and KV share from VRAM to RAM', () => {
    const gpu = { memBytes: 100 * MiB, vramBytes: 400 * MiB };
    const step = estimateStep(gpu, longContext, { contextSize: 32768, gpuLayers: 16 }, { contextSize: 32768, gpuLayers: 14 });
    const moved = 2 * longContext.layerWeightBytes + (2 / 16) * 512 * MiB;
    expect(gpu.vramBytes - step.vramBytes).toBe(Math.round(moved));
    expect(step.memBytes - gpu.memBytes).toBe(Math.round(moved));
  });
});

describe('a step’s measured correction', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is kept under the step’s own key and never corrects the full rung', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mai-shape-'));
    const file = path.join(dir, 'model-memory.json');
    const estimator = new FootprintEstimator(file);
    const raw = { memBytes: 600 * MiB, vramBytes: 0, shape: longContext };
    const full = await estimator.estimate(raw, '/m/long.gguf', 34e6, 32768, 0);
    const step = (await estimator.estimateStep(full, { contextSize: 32768 }, { contextSize: 32768, kvCacheType: 'q8_0' }, '/m/long.gguf', 34e6))!;
    expect(step.key).not.toBe(full.key);
    expect(step.estimatedMemBytes).toBe(360 * MiB);
    await estimator.record(step, 400 * MiB, 0);

    const again = new FootprintEstimator(file);
    const fullAgain = await again.estimate(raw, '/m/long.gguf', 34e6, 32768, 0);
    expect(fullAgain.correction).toBe(1);
    const stepAgain = (await again.estimateStep(fullAgain, { contextSize: 32768 }, { contextSize: 32768, kvCacheType: 'q8_0' }, '/m/long.gguf', 34e6))!;
    expect(stepAgain.memBytes).toBe(400 * MiB);
    expect(stepAgain.measurements).toBe(1);
  });

  it('keeps the CPU-only step apart from the same-context step with automatic GPU layers', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mai-shape-'));
    const file = path.join(dir, 'model-memory.json');
    const estimator = new FootprintEstimator(file);
    // All on the GPU: 400 MiB of VRAM, 200 MiB of RAM at 32,768 tokens, GPU layers automatic.
    const raw = { memBytes: 200 * MiB, vramBytes: 400 * MiB, shape: longContext };
    const full = await estimator.estimate(raw, '/m/long.gguf', 34e6, 32768, undefined);
    const costs = { full: { contextSize: 32768 }, q8: { contextSize: 2048, kvCacheType: 'q8_0' as const } };
    const onGpu = (await estimator.estimateStep(full, costs.full, costs.q8, '/m/long.gguf', 34e6))!;
    const cpuOnly = (await estimator.estimateStep(full, costs.full, { ...costs.q8, gpuLayers: 0 }, '/m/long.gguf', 34e6))!;
    expect(onGpu.key).not.toBe(cpuOnly.key);
    expect(full.key).not.toBe(cpuOnly.key);
    // The step that stayed on the GPU measured its VRAM; the CPU-only step is still estimated with none.
    await estimator.record(onGpu, 150 * MiB, 300 * MiB);
    const again = new FootprintEstimator(file);
    const fullAgain = await again.estimate(raw, '/m/long.gguf', 34e6, 32768, undefined);
    const cpuAgain = (await again.estimateStep(fullAgain, costs.full, { ...costs.q8, gpuLayers: 0 }, '/m/long.gguf', 34e6))!;
    expect(cpuAgain.vramBytes).toBe(0);
    expect(cpuAgain.measurements).toBe(0);
    expect(cpuAgain.memBytes).toBe(cpuOnly.memBytes);
    const gpuAgain = (await again.estimateStep(fullAgain, costs.full, costs.q8, '/m/long.gguf', 34e6))!;
    expect(gpuAgain.measurements).toBe(1);
    // And the other way round: the CPU-only step's RAM does not correct the GPU step.
    await again.record(cpuAgain, 900 * MiB, 0);
    const third = new FootprintEstimator(file);
    const gpuThird = (await third.estimateStep(fullAgain, costs.full, costs.q8, '/m/long.gguf', 34e6))!;
    expect(gpuThird.memBytes).toBe(150 * MiB);
    expect(gpuThird.vramBytes).toBe(300 * MiB);
  });

  it('still applies a full rung measured under the key used before automatic GPU layers had their own (gpu0)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mai-shape-'));
    const file = path.join(dir, 'model-memory.json');
    const stored = { ratio: 1.25, vramRatio: 1, measurements: 3, lastMeasuredMemBytes: 750 * MiB, lastMeasuredVramBytes: 0, updatedAt: 1 };
    await writeFile(file, JSON.stringify({ 'long.gguf|34000000|ctx32768|gpu0': stored }));
    const estimator = new FootprintEstimator(file);
    const raw = { memBytes: 600 * MiB, vramBytes: 0, shape: longContext };
    const full = await estimator.estimate(raw, '/m/long.gguf', 34e6, 32768, undefined);
    expect(full.memBytes).toBe(750 * MiB);
    expect(full.measurements).toBe(3);
    // The next measurement builds on it (under the new key), it does not start afresh.
    await estimator.record(full, 600 * MiB, 0);
    const again = await new FootprintEstimator(file).estimate(raw, '/m/long.gguf', 34e6, 32768, undefined);
    expect(again.measurements).toBe(4);
    expect(again.correction).toBeCloseTo((1.25 + 1) / 2, 6);
  });

  it('is null for a model whose architecture is unknown', async () => {
    const estimator = new FootprintEstimator(null);
    const full = await estimator.estimate({ memBytes: MiB, vramBytes: 0 }, '/m/x.gguf', 1, 4096, 0);
    expect(await estimator.estimateStep(full, {}, { kvCacheType: 'q8_0' }, '/m/x.gguf', 1)).toBeNull();
  });
});
