/**
 * Data shapes shared by the monitor, the tiers, the scaler and the switcher. Bytes are bytes,
 * fractions are 0–1, times are milliseconds of the injected clock unless a name says seconds.
 */
import type { z } from 'zod';
import type { resourceSampleFieldsSchema } from '../../../shared/resource';

/**
 * One reading of the machine: the fields of `resourceSampleFieldsSchema` in shared/resource.ts
 * (the one definition, with each field's unit), numbers never null inside the engine.
 */
export type ResourceSample = { [K in keyof ResourceSampleFields]: Exclude<ResourceSampleFields[K], null> };
type ResourceSampleFields = z.infer<typeof resourceSampleFieldsSchema>;

/** A GPU as found at start. */
export interface GpuInfo {
  name: string;
  vendor?: string;
  /** Dedicated memory, bytes (0 when shared or unknown). */
  vramTotalBytes: number;
}

/** Hardware that does not change while the app runs; read once at start. */
export interface StaticHardwareInfo {
  cpuModel: string;
  physicalCores: number;
  logicalCores: number;
  memTotalBytes: number;
  gpus: GpuInfo[];
  os: { platform: string; release: string; arch: string; distro?: string };
}

/**
 * One rung of the model ladder (smallest first). The ModelManager may also use rungs for cheaper
 * configurations of one model (for example a smaller context); the scaler only compares sizes.
 */
export interface ModelProfile {
  id: string;
  /** Memory the rung occupies when loaded (weights + context), bytes. */
  memBytes: number;
  /** VRAM the rung occupies when loaded, bytes (0 on CPU). */
  vramBytes: number;
  /** Time a load takes, seconds: sets the forecast horizon and the cooldown. */
  loadSeconds: number;
  /** KV-cache growth per token, bytes; used by the pre-flight check. */
  kvBytesPerToken?: number;
  /** Expected generation speed before any feedback, tokens/s; used by the pre-flight check. */
  tokensPerSecond?: number;
  /**
   * Rungs that run the same model share this key: they are that model's cascade steps (cheaper
   * KV cache, shorter context, fewer GPU layers), and moving between them keeps the model loaded.
   * Absent: the rung's own id (a model with no steps).
   */
  modelKey?: string;
  /** Time to reach this rung from another rung of the same model (the context is recreated), seconds; absent: `loadSeconds`. */
  stepSeconds?: number;
  /** Context size, tokens: a rung whose context is shorter than what the conversation needs is not a target. */
  contextSize?: number;
}

/** What the ModelManager reports after each reply. */
export interface ReplyFeedback {
  /** Model the reply ran on; defaults to the scaler's current model. */
  modelId?: string;
  /** False when the reply failed (not when the user aborted it). */
  ok: boolean;
  /** Generation speed, tokens/s, when measured. */
  tokensPerSecond?: number;
  /** Time to first token, ms, when measured. */
  ttftMs?: number;
  /** Failure kind: `out-of-memory` triggers an emergency step down. */
  error?: 'out-of-memory' | 'failed' | 'aborted';
}

/** The pre-flight question: can the next reply run, and at what cost. */
export interface PreflightRequest {
  /** Model to check; defaults to the current one. */
  modelId?: string;
  /** Expected length of the reply, tokens (default 256). */
  expectedOutputTokens?: number;
  /** Prompt length, tokens (for KV growth; default 0). */
  promptTokens?: number;
}

/** The pre-flight answer, computed synchronously from cached state. */
export interface PreflightAnswer {
  /**
   * `go`: run on the requested model. `go-degraded`: run, but the scaler will step down after
   * the reply (pressure is building but will not peak during it). `degrade-first`: step down
   * before starting — the forecast crosses the threshold before the reply would end.
   * `critical`: memory is near exhaustion; run only on `modelId`, the smallest that fits.
   */
  verdict: 'go' | 'go-degraded' | 'degrade-first' | 'critical';
  /** Model the reply should run on. */
  modelId: string;
  /** CPU threads the reply should use. */
  threads: number;
  /** Expected duration of the reply, seconds (from measured or declared token rates). */
  expectedSeconds: number;
  /** Memory fraction expected at the end of the reply on `modelId`. */
  projectedMemoryFraction: number;
  /** Forecast seconds until the degrade threshold is crossed on the current model; null = not rising. */
  secondsToThreshold: number | null;
  /** One sentence with the numbers, for the log and the UI. */
  reason: string;
}
