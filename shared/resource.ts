/**
 * What the engine reports about resources and scaling, as schemas every process shares: the
 * sample and scaler state the resource panel draws, decisions for the log, capability changes for
 * notices. Derived numbers are nullable because JSON turns Infinity and NaN into null.
 */
import { z } from 'zod';

const num = z.number().nullable();

export const resourceSampleSchema = z.looseObject({
  t: z.number(),
  cpuOtherLoad: num,
  cpuTotalLoad: num.optional(),
  memTotalBytes: z.number(),
  memUsedBytes: z.number(),
  ownMemBytes: num,
  ownRssBytes: num.optional(),
  swapTotalBytes: num.optional(),
  swapUsedBytes: num.optional(),
  swapInBytesPerSecond: num.optional(),
  psiSomeAvg10: num.optional(),
  psiFullAvg10: num.optional(),
  vramTotalBytes: num.optional(),
  vramUsedBytes: num.optional(),
  ownVramBytes: num.optional(),
  onBattery: z.boolean().optional(),
  batteryPercent: num.optional(),
});
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
  secondsUntilUpgrade: num.optional(),
  blockedBy: z.string().optional(),
  reason: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  waitingForReply: z.boolean().optional(),
});
export type ScalerStatusData = z.infer<typeof scalerStatusSchema>;

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
  from: z.string(),
  to: z.string(),
  what: z.string(),
  why: z.string(),
  bringBack: z.string(),
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
});
export type LadderRungData = z.infer<typeof ladderRungSchema>;

/** Manager settings sent to the engine; the scaler part is validated by the engine's own schema. */
export const managerSettingsSchema = z.object({
  scaler: z.record(z.string(), z.unknown()).default({}),
  memoryBudgetBytes: z.number().positive().nullable().default(null),
  contextSize: z.number().int().min(512).max(1 << 20).optional(),
  autoScaling: z.boolean().default(true),
  /** Degrade threshold per tier id, replacing the tier's default when set. */
  actThresholds: z.record(z.string(), z.number().min(0.3).max(0.99)).default({}),
  /** Models smaller than this one stay off the ladder. */
  qualityFloorPath: z.string().max(4096).nullable().default(null),
  preference: z.enum(['balanced', 'speed', 'quality']).default('balanced'),
});
export type ManagerSettingsData = z.input<typeof managerSettingsSchema>;
