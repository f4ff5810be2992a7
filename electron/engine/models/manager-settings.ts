/**
 * What the ModelManager is configured with: the models main lists, the manager's settings, the
 * and the pure functions that turn settings into scaler and monitor input.
 */
import type { ScalerSettingsInput } from '../resource/policy/settings';

/** A model Mai may use, as main lists it. */
export interface LadderInput {
  path: string;
  sizeBytes: number;
  synthetic: boolean;
  /** Context size in tokens for this model, replacing `ManagerSettings.contextSize`. */
  contextSize?: number;
}

/** Manager settings (beyond the scaler's own). */
export interface ManagerSettings {
  scaler?: ScalerSettingsInput;
  /** Treat the machine as having at most this much RAM, bytes; null = the real total. */
  memoryBudgetBytes?: number | null;
  /** Context size in tokens for every model. Default 4096 (or the model's training size if smaller). */
  contextSize?: number;
  /** False pins the model: no automatic switches except emergencies. Default true. */
  autoScaling?: boolean;
  /** Degrade threshold per tier id, replacing the tier's default. */
  actThresholds?: Record<string, number>;
  /** Models smaller than this one stay off the ladder ("never below model X"). */
  qualityFloorPath?: string | null;
  /** `speed` acts 5 points earlier, `quality` 5 points later than the tier's threshold. */
  preference?: 'balanced' | 'speed' | 'quality';
}

/** The scaler settings for this machine's tier: the user's per-tier threshold, else the tier's adjusted by preference. */
export function scalerSettingsFor(settings: ManagerSettings, tier: { id: string; budgets: { degradeThreshold: number; criticalThreshold: number } }): ScalerSettingsInput {
  const explicit = settings.actThresholds?.[tier.id];
  const shift = settings.preference === 'speed' ? -0.05 : settings.preference === 'quality' ? 0.05 : 0;
  const degrade = explicit ?? (shift ? Math.min(tier.budgets.criticalThreshold - 0.03, tier.budgets.degradeThreshold + shift) : undefined);
  return { ...(settings.scaler ?? {}), ...(degrade !== undefined ? { degradeThreshold: Math.round(degrade * 1000) / 1000 } : {}) };
}

export interface ConfigureRequest {
  models: LadderInput[];
  /** The model to start on (the user's choice or the last one used); null lets Mai choose. */
  preferredPath: string | null;
  /** Models never loaded automatically (they crashed the engine). */
  avoidPaths?: string[];
  settings: ManagerSettings;
}

/** The ResourceMonitor's period from the scaler settings (`sampleIntervalSeconds`, 0.1–60 s, default 1 s), ms. */
export function sampleIntervalMs(settings: ManagerSettings): number {
  const seconds = (settings.scaler as { sampleIntervalSeconds?: unknown } | undefined)?.sampleIntervalSeconds;
  return typeof seconds === 'number' && seconds >= 0.1 && seconds <= 60 ? Math.round(seconds * 1000) : 1000;
}
