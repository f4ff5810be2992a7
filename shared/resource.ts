/**
 * What the engine reports about resources and scaling, as schemas every process shares: the
 * sample and scaler state the resource panel draws, decisions for the log, capability changes for
 * notices. Derived numbers are nullable because JSON turns Infinity and NaN into null.
 */
import { z } from 'zod';
import { remoteFiguresSchema } from './remote';
import { scalerSettingsSchema } from './scaler-settings';

const num = z.number().nullable();

/**
 * One reading of the machine: what the scaler consumes every sample. Bytes are bytes, fractions
 * are 0–1, times are milliseconds of the engine's clock. The engine holds the same fields with
 * numbers never null (`ResourceSample` in electron/engine/resource/types.ts is derived from this);
 * on the wire a derived number may be null, JSON's form of Infinity and NaN.
 */
export const resourceSampleFieldsSchema = z.object({
  /** Clock time of the reading, ms. */
  t: z.number(),
  /** Fraction (0–1) of all logical cores busy with work other than the assistant's engine. */
  cpuOtherLoad: num,
  /** Fraction (0–1) of all logical cores busy in total, the engine included; for display. */
  cpuTotalLoad: num.optional(),
  /** Installed memory, bytes. */
  memTotalBytes: z.number(),
  /** Memory in use system-wide, bytes: total − MemAvailable on Linux. Includes the assistant. */
  memUsedBytes: z.number(),
  /**
   * The part of `memUsedBytes` that is the assistant's own (anonymous RSS of the engine on Linux,
   * the loaded model in a trace). Subtracted to get the background the scaler forecasts.
   */
  ownMemBytes: num,
  /** Resident set of the engine, bytes (includes mmap'd weights); for display. */
  ownRssBytes: num.optional(),
  /** Swap size, bytes; absent where unknown. */
  swapTotalBytes: num.optional(),
  /** Swap in use, bytes; absent where unknown. */
  swapUsedBytes: num.optional(),
  /** Bytes per second read back from swap over the last interval (thrashing when sustained). */
  swapInBytesPerSecond: num.optional(),
  /** Linux PSI `/proc/pressure/memory` some avg10, as a fraction (0.05 = 5 %); absent elsewhere. */
  psiSomeAvg10: num.optional(),
  /** Linux PSI `/proc/pressure/memory` full avg10, as a fraction; absent elsewhere. */
  psiFullAvg10: num.optional(),
  /** VRAM of the GPU(s) the engine uses, bytes; absent on CPU-only machines or when unmeasured. */
  vramTotalBytes: num.optional(),
  /** VRAM in use, bytes. */
  vramUsedBytes: num.optional(),
  /** The assistant's share of `vramUsedBytes`. */
  ownVramBytes: num.optional(),
  /** True on battery. Sampled at a low rate, carried between. */
  onBattery: z.boolean().optional(),
  /** Battery charge 0–100. */
  batteryPercent: num.optional(),
});
/** The sample on the wire: the fields above, and any a newer engine adds. */
export const resourceSampleSchema = resourceSampleFieldsSchema.loose();
export type ResourceSampleData = z.infer<typeof resourceSampleSchema>;

export const trendSchema = z.object({
  resource: z.enum(['memory', 'vram', 'cpu']),
  available: z.boolean(),
  latest: num,
  level: num,
  slopePerSecond: num,
  longSlopePerSecond: num,
  threshold: num,
  secondsToThreshold: num,
  change: z.string(),
  reliable: z.boolean(),
});
export type TrendData = z.infer<typeof trendSchema>;

export const scalerStatusSchema = z.looseObject({
  kind: z.enum(['steady', 'degrading', 'stabilizing', 'paused']),
  /** Stabilizing: the earliest an upgrade can happen, seconds from the snapshot. */
  secondsUntilUpgrade: num.optional(),
  /** Stabilizing: the holding rule in a sentence. */
  blockedBy: z.string().optional(),
  /**
   * Stabilizing: the holding rule's one name — `stabilization`, `cooldown`, `upgrade-gap`,
   * `revert-backoff`, `hourly-cap`, `stalls`, or a condition with no end time (`reply`, `cpu`,
   * `rising`, `sensor`, `performance`, `battery`, `failed-load`, `switching`, `paused`).
   */
  rule: z.string().optional(),
  reason: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  waitingForReply: z.boolean().optional(),
});
export type ScalerStatusData = z.infer<typeof scalerStatusSchema>;

/**
 * The one name the user sees for each rule that can hold an upgrade (`scalerStatusSchema.rule`),
 * shared by the notices and the resource panel so a timer is never called by another's name.
 */
export const UPGRADE_HOLD_LABELS: Readonly<Record<string, string>> = {
  stabilization: 'Stabilization period',
  cooldown: 'Cooldown after a switch',
  'upgrade-gap': 'Minimum gap between upgrades',
  'revert-backoff': 'Backoff after a reverted upgrade',
  'hourly-cap': 'Hourly switch limit',
  stalls: 'Recent memory stalls',
  paused: 'Scaling paused',
  switching: 'Switch in progress',
  reply: 'Reply in progress',
  cpu: 'CPU busy',
  performance: 'Slow replies',
  battery: 'Low battery',
  sensor: 'Sensor missing',
  rising: 'Use still rising',
  'failed-load': 'Failed load',
};

/** The label of an upgrade-hold rule (the rule's own name when unknown to this version). */
export const upgradeHoldLabel = (rule: string): string => UPGRADE_HOLD_LABELS[rule] ?? rule;

export const tierSchema = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  reasons: z.array(z.string()),
});

export const modelPerformanceSchema = z.object({
  modelId: z.string(),
  replies: z.number(),
  failures: z.number(),
  /** Exponential moving averages of the successful replies; null before the first. */
  tokensPerSecond: num,
  ttftMs: num,
  replySeconds: num,
  loadSeconds: num,
});
export type ModelPerformanceData = z.infer<typeof modelPerformanceSchema>;

/** One resource-panel frame: emitted once per sample (1 Hz by default). */
export const resourceSnapshotSchema = z.object({
  sample: resourceSampleSchema,
  tier: tierSchema,
  modelId: z.string(),
  switching: z.object({ from: z.string(), to: z.string() }).nullable(),
  generating: z.boolean(),
  threads: z.number(),
  trends: z.object({ memory: trendSchema, vram: trendSchema, cpu: trendSchema }),
  status: scalerStatusSchema,
  thresholds: z.object({ degrade: z.number(), critical: z.number(), upgrade: z.number() }),
  performance: z.array(modelPerformanceSchema),
});
export type ResourceSnapshot = z.infer<typeof resourceSnapshotSchema>;

/** A scaler decision or switch event, with the numbers that caused it. */
export const decisionSchema = z.looseObject({
  id: z.number(),
  t: z.number(),
  action: z.enum(['degrade', 'upgrade', 'threads', 'switch', 'loaded', 'cancel']),
  path: z.string(),
  reason: z.string(),
  from: z.union([z.string(), z.number()]).optional(),
  to: z.union([z.string(), z.number()]).optional(),
  metrics: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
});
export type DecisionData = z.infer<typeof decisionSchema>;

/** What a model change means to the user. */
export const capabilityChangeSchema = z.object({
  direction: z.enum(['down', 'up']),
  /**
   * `step`: the same model at another cost (a cascade step: its KV cache, its context or its GPU
   * layers changed; the model stayed loaded); `model`: another model. Absent: `model`.
   */
  kind: z.enum(['model', 'step']).optional(),
  /** The model's name before and after. */
  from: z.string(),
  to: z.string(),
  /** What the user gains or loses. */
  what: z.string(),
  /** The decision's reason, with its numbers. */
  why: z.string(),
  /** The condition that brings the bigger model back (empty on an upgrade). */
  bringBack: z.string(),
  /**
   * On a step down: the earliest an upgrade can happen (seconds from the change) and the rule
   * that holds it until then (see `scalerStatusSchema.rule`). Absent on an upgrade.
   */
  upgradeHold: z.object({ rule: z.string(), seconds: z.number().nullable() }).optional(),
});
export type CapabilityChangeData = z.infer<typeof capabilityChangeSchema>;

export const preflightSchema = z.object({
  verdict: z.enum(['go', 'go-degraded', 'degrade-first', 'critical']),
  modelId: z.string(),
  threads: z.number(),
  expectedSeconds: num,
  projectedMemoryFraction: num,
  secondsToThreshold: num,
  reason: z.string(),
});
export type PreflightData = z.infer<typeof preflightSchema>;

export const ladderRungSchema = z.object({
  id: z.string(),
  path: z.string(),
  name: z.string(),
  synthetic: z.boolean(),
  memBytes: z.number(),
  vramBytes: z.number(),
  estimatedMemBytes: z.number(),
  correction: z.number(),
  measurements: z.number(),
  /** `host:port` of the server for a rung on a remote engine (the conversation leaves the machine); absent for a local rung. */
  host: z.string().optional(),
  /** A remote rung's measured figures (time to first token, tokens/s, failures, round trip). */
  remote: remoteFiguresSchema.optional(),
  /** A cascade step's cost in words ("Q8_0 KV cache, 8,192 tokens"); absent on a model's full rung. */
  step: z.string().optional(),
});
export type LadderRungData = z.infer<typeof ladderRungSchema>;

/** Manager settings sent to the engine, validated on arrival (the scaler's part by its own schema). */
export const managerSettingsSchema = z.object({
  /** The proactive scaler's knobs; see shared/scaler-settings.ts. */
  scaler: scalerSettingsSchema.prefault({}),
  /** Treat the machine as having at most this much RAM, bytes; null = the real total. */
  memoryBudgetBytes: z.number().positive().nullable().default(null),
  /** Context size in tokens for every model. Default 4096 (or the model's training size if smaller). */
  contextSize: z
    .number()
    .int()
    .min(512)
    .max(1 << 20)
    .optional(),
  /** False pins the model: no automatic switches except emergencies. Default true. */
  autoScaling: z.boolean().default(true),
  /**
   * False keeps every model at its full cost: no cascade steps (a Q8_0 KV cache, a shorter context,
   * fewer GPU layers) before a smaller model. Default true.
   */
  cascade: z.boolean().default(true),
  /** Degrade threshold per tier id, replacing the tier's default when set. */
  actThresholds: z.record(z.string(), z.number().min(0.3).max(0.99)).default({}),
  /** Models smaller than this one stay off the ladder. */
  qualityFloorPath: z.string().max(4096).nullable().default(null),
  /** `speed` acts 5 points earlier, `quality` 5 points later than the tier's threshold. Default balanced. */
  preference: z.enum(['balanced', 'speed', 'quality']).default('balanced'),
});
export type ManagerSettingsData = z.input<typeof managerSettingsSchema>;
