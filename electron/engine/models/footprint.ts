/**
 * How much memory a model will need at a given context size and GPU offload: the runtime's estimate
 * before loading (node-llama-cpp's GGUF insights for local models), corrected by what was measured on this machine after earlier
 * loads (engine RSS and VRAM deltas). The corrections live on disk so every load improves the next
 * estimate.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from './json-file';
import type { RuntimeEstimate } from './model-runtime';
import { contextSizeOf, estimateStep, type ModelShape } from './model-shape';
import type { KvCacheType, RungCost } from './rung-cost';

export interface Footprint {
  /** RAM the model and its context will take, bytes (corrected when a measurement exists). */
  memBytes: number;
  /** VRAM, bytes. */
  vramBytes: number;
  /** node-llama-cpp's own estimate, before correction. */
  estimatedMemBytes: number;
  estimatedVramBytes: number;
  /** measured ÷ estimated for RAM, 1 when never measured. */
  correction: number;
  /** How many loads the correction is built from. */
  measurements: number;
  /** The model's own name (general.name), when the file has one. */
  name?: string;
  /** The architecture figures its cascade steps are estimated from (model-shape.ts), when known. */
  shape?: ModelShape;
  /** The configuration this estimate is for; a measurement is recorded under the same key. */
  key: string;
}

interface CorrectionEntry {
  ratio: number;
  vramRatio: number;
  measurements: number;
  lastMeasuredMemBytes: number;
  /** VRAM measured on the last load, bytes (0 on CPU); used as is when the estimate had none. */
  lastMeasuredVramBytes?: number;
  updatedAt: number;
}

/** Weight of a new measurement in the running correction (older ones still count). */
const NEW_MEASUREMENT_WEIGHT = 0.5;

export class FootprintEstimator {
  private corrections: Record<string, CorrectionEntry> = {};
  private loaded = false;

  constructor(
    private readonly file: string | null,
    private readonly log: (message: string) => void = () => {},
  ) {}

  /**
   * The key of a model configuration: file identity (name and size) and the settings that change
   * memory. A Q8_0 KV cache adds `|kvq8_0` (an F16 key stays as it was before KV types existed), so
   * a cascade step's measurement never corrects the full rung's estimate, nor the other way round.
   * GPU layers left to node-llama-cpp (`undefined`) are `gpuauto`, apart from an explicit `gpu0`:
   * the CPU-only cascade step and a step of the same context with automatic layers (all on the GPU)
   * must not correct each other.
   */
  static key(modelPath: string, sizeBytes: number, contextSize: number, gpuLayers: number | undefined, kvCacheType: KvCacheType = 'f16'): string {
    return `${path.basename(modelPath)}|${sizeBytes}|ctx${contextSize}|gpu${gpuLayers ?? 'auto'}${kvCacheType === 'f16' ? '' : `|kv${kvCacheType}`}`;
  }

  /**
   * The correction stored for `key`. Before automatic GPU layers had their own key, the full rungs
   * (F16, automatic layers) were stored as `gpu0`: such an entry still applies to its full rung.
   * A Q8_0 `gpu0` entry of that time is not read: it may have mixed the CPU-only step with the
   * automatic one, and the step is simply measured again.
   */
  private entryOf(key: string): CorrectionEntry | undefined {
    return this.corrections[key] ?? (key.endsWith('|gpuauto') ? this.corrections[`${key.slice(0, -'auto'.length)}0`] : undefined);
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.file) return;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object') {
        for (const [key, value] of Object.entries(parsed as Record<string, Partial<CorrectionEntry>>)) {
          if (typeof value?.ratio === 'number' && value.ratio > 0 && value.ratio < 100) this.corrections[key] = value as CorrectionEntry;
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`memory corrections unreadable, starting afresh: ${(error as Error).message}`);
    }
  }

  /**
   * A configuration's footprint before loading it: the runtime's own estimate, corrected by what
   * earlier loads of the same configuration measured on this machine.
   */
  async estimate(
    raw: RuntimeEstimate,
    modelPath: string,
    sizeBytes: number,
    contextSize: number,
    gpuLayers: number | undefined,
    kvCacheType: KvCacheType = 'f16',
  ): Promise<Footprint> {
    await this.ensureLoaded();
    const { memBytes: estimatedMemBytes, vramBytes: estimatedVramBytes, name, shape } = raw;
    const key = FootprintEstimator.key(modelPath, sizeBytes, contextSize, gpuLayers, kvCacheType);
    const entry = this.entryOf(key);
    const correction = entry?.ratio ?? 1;
    const vramBytes = estimatedVramBytes > 0 ? estimatedVramBytes * (entry?.vramRatio ?? 1) : (entry?.lastMeasuredVramBytes ?? 0);
    return {
      key,
      memBytes: Math.round(estimatedMemBytes * correction),
      vramBytes: Math.round(vramBytes),
      estimatedMemBytes,
      estimatedVramBytes,
      correction,
      measurements: entry?.measurements ?? 0,
      ...(name ? { name } : {}),
      ...(shape ? { shape } : {}),
    };
  }

  /**
   * A cascade step's footprint: the full rung's own estimate (`base`, at cost `from`) re-sized for
   * cost `to` from the model's architecture (model-shape.ts `estimateStep`), then corrected by what
   * this step measured on earlier runs, under the step's own key. Null when the architecture is
   * unknown (no step can be estimated, so none should be offered).
   */
  async estimateStep(base: Footprint, from: RungCost, to: RungCost, modelPath: string, sizeBytes: number): Promise<Footprint | null> {
    const { shape } = base;
    if (!shape) return null;
    const raw = estimateStep({ memBytes: base.estimatedMemBytes, vramBytes: base.estimatedVramBytes }, shape, from, to);
    return this.estimate(
      { ...raw, shape, ...(base.name ? { name: base.name } : {}) },
      modelPath,
      sizeBytes,
      contextSizeOf(shape, to),
      to.gpuLayers,
      to.kvCacheType,
    );
  }

  /**
   * Records what a configuration really cost (RAM and VRAM deltas, bytes) under the estimate's own
   * key and persists the new correction.
   */
  async record(estimate: Footprint, measuredMemBytes: number, measuredVramBytes: number, now = Date.now()): Promise<void> {
    await this.ensureLoaded();
    const key = estimate.key;
    if (estimate.estimatedMemBytes <= 0 || measuredMemBytes <= 0) return;
    const ratio = measuredMemBytes / estimate.estimatedMemBytes;
    const vramRatio = estimate.estimatedVramBytes > 0 && measuredVramBytes > 0 ? measuredVramBytes / estimate.estimatedVramBytes : 1;
    const previous = this.entryOf(key);
    const blend = (old: number | undefined, next: number) => (old === undefined ? next : old * (1 - NEW_MEASUREMENT_WEIGHT) + next * NEW_MEASUREMENT_WEIGHT);
    this.corrections[key] = {
      ratio: blend(previous?.ratio, ratio),
      vramRatio: blend(previous?.vramRatio, vramRatio),
      measurements: (previous?.measurements ?? 0) + 1,
      lastMeasuredMemBytes: measuredMemBytes,
      lastMeasuredVramBytes: Math.max(0, measuredVramBytes),
      updatedAt: now,
    };
    if (this.file) await writeJsonAtomic(this.file, this.corrections).catch((error: Error) => this.log(`could not save memory corrections: ${error.message}`));
  }
}
