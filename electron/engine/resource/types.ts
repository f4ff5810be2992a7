/**
 * Data shapes shared by the monitor, the tiers, the scaler and the switcher. Bytes are bytes,
 * fractions are 0–1, times are milliseconds of the injected clock unless a name says seconds.
 */

/** One reading of the machine: what the scaler consumes every sample. */
export interface ResourceSample {
  /** Clock time of the reading, ms. */
  t: number;
  /** Fraction (0–1) of all logical cores busy with work other than the assistant's engine. */
  cpuOtherLoad: number;
  /** Fraction (0–1) of all logical cores busy in total, the engine included; for display. */
  cpuTotalLoad?: number;
  /** Installed memory, bytes. */
  memTotalBytes: number;
  /** Memory in use system-wide, bytes: total − MemAvailable on Linux. Includes the assistant. */
  memUsedBytes: number;
  /**
   * The part of `memUsedBytes` that is the assistant's own (anonymous RSS of the engine on Linux,
   * the loaded model in a trace). Subtracted to get the background the scaler forecasts.
   */
  ownMemBytes: number;
  /** Resident set of the engine, bytes (includes mmap'd weights); for display. */
  ownRssBytes?: number;
  /** Swap size and use, bytes; absent where unknown. */
  swapTotalBytes?: number;
  swapUsedBytes?: number;
  /** Bytes per second read back from swap over the last interval (thrashing when sustained). */
  swapInBytesPerSecond?: number;
  /** Linux PSI `/proc/pressure/memory` avg10, as fractions (0.05 = 5 %); absent elsewhere. */
  psiSomeAvg10?: number;
  psiFullAvg10?: number;
  /** VRAM of the GPU(s) the engine uses, bytes; absent on CPU-only machines or when unmeasured. */
  vramTotalBytes?: number;
  vramUsedBytes?: number;
  /** The assistant's share of `vramUsedBytes`. */
  ownVramBytes?: number;
  /** Power: true on battery; battery charge 0–100. Sampled at a low rate, carried between. */
  onBattery?: boolean;
  batteryPercent?: number;
}

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
