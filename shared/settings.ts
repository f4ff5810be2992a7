/**
 * The user's settings: what the settings page edits and main persists in settings.json. Every
 * field has its unit, default and valid range here; the store refuses values outside the range
 * with a sentence built from this schema, and resets a bad field in a damaged file to its default.
 */
import { z } from 'zod';
import { remoteEngineSettingSchema, remotePolicySchema } from './remote';
import type { ManagerSettingsData } from './resource';

export const tierIds = ['minimal', 'small', 'medium', 'large', 'workstation'] as const;
export type TierIdData = (typeof tierIds)[number];

const MiB = 2 ** 20;

export const appSettingsSchema = z.object({
  /**
   * Fraction of memory in use at which Mai moves to a smaller model, per hardware tier. A tier not
   * listed uses its own default (70–85 %). Range 0.3–0.99.
   */
  actThresholds: z.partialRecord(z.enum(tierIds), z.number().min(0.3).max(0.99)).default({}),
  /** Seconds resources must stay good before Mai moves back up to a bigger model. Default 300, range 0–7200. */
  stabilizationSeconds: z.number().min(0).max(7200).default(300),
  /** "Never below model X": models smaller than this file are left off the ladder. Default none. */
  qualityFloorPath: z.string().max(4096).nullable().default(null),
  /** Pin a model: Mai stays on it (emergencies excepted). Default none (automatic scaling). */
  pinnedModelPath: z.string().max(4096).nullable().default(null),
  /** `speed` acts earlier and starts smaller; `quality` holds bigger models longer. Default balanced. */
  preference: z.enum(['balanced', 'speed', 'quality']).default('balanced'),
  /**
   * Cheaper steps of the same model before a smaller one (a Q8_0 KV cache, a shorter context, fewer
   * GPU layers; docs/scaling-policy.md, "The cascade"). Default true.
   */
  cascade: z.boolean().default(true),
  /** Folder scanned for GGUF models; null = `models` in the user data folder. */
  modelsDir: z.string().max(4096).nullable().default(null),
  /** Switch models without an in-app notice (the notification centre still lists it). Default false. */
  silentSwitching: z.boolean().default(false),
  /** Also announce upgrades with a native notification (degradations always are). Default false. */
  notifyUpgrades: z.boolean().default(false),
  /** Closing the window keeps Mai in the tray (minimised instead on Linux desktops without a tray host). Default true. */
  closeToTray: z.boolean().default(true),
  /** Treat the machine as having at most this much RAM, bytes; null = all of it. Range 256 MiB–1 TiB. */
  memoryBudgetBytes: z
    .number()
    .min(256 * MiB)
    .max(2 ** 40)
    .nullable()
    .default(null),
  /** Context size of every model, tokens. Default 4096, range 512–131072. */
  contextSize: z.number().int().min(512).max(131_072).default(4096),
  /** Longest reply, tokens. Default 1024, range 16–32768. */
  maxReplyTokens: z.number().int().min(16).max(32_768).default(1024),
  /** The model in use when Mai last ran. */
  lastModelPath: z.string().max(4096).nullable().default(null),
  /** GGUF files the user opened from outside the models folder. */
  importedModelPaths: z.array(z.string().max(4096)).max(1000).default([]),
  /** When each model was last loaded, ms since 1970, by path. */
  modelUsage: z.record(z.string().max(4096), z.number()).default({}),
  /** The user closed the chat's "get a first real model" card: it is not shown again. Default false. */
  firstModelCardDismissed: z.boolean().default(false),
  /** Models that crashed the engine while loading: never loaded automatically again. */
  crashedModelPaths: z.array(z.string().max(4096)).max(1000).default([]),
  /** Where remote rungs go on the ladder. Default `local-only`: nothing leaves the machine. */
  remotePolicy: remotePolicySchema.default('local-only'),
  /** Remote engines and the models chosen as rungs (their API keys are kept apart, encrypted). Default none. */
  remoteEngines: z.array(remoteEngineSettingSchema).max(16).default([]),
});
export type AppSettings = z.infer<typeof appSettingsSchema>;

export const defaultAppSettings: AppSettings = appSettingsSchema.parse({});

/** The part of the settings the engine's ModelManager needs. */
export function managerSettingsFrom(settings: AppSettings): ManagerSettingsData {
  return {
    scaler: { stabilizationSeconds: settings.stabilizationSeconds },
    memoryBudgetBytes: settings.memoryBudgetBytes,
    contextSize: settings.contextSize,
    autoScaling: settings.pinnedModelPath === null,
    actThresholds: settings.actThresholds,
    qualityFloorPath: settings.qualityFloorPath,
    preference: settings.preference,
    cascade: settings.cascade,
  };
}
